from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projects")

    def ready(self) -> None:
        from portal.activity import register_verbs
        from portal.events import register_emitted

        register_emitted({"sprint.started", "sprint.closed", "work_item.blocked"})

        register_verbs(
            {
                "project.created": _("%(actor)s created project %(target)s"),
                "project.updated": _("%(actor)s updated project %(target)s"),
                "project.phase_changed": _(
                    "%(actor)s moved %(target)s from %(before_phase)s to %(after_phase)s"
                ),
                "project.archived": _("%(actor)s archived %(target)s"),
                "project.unarchived": _("%(actor)s restored %(target)s from the archive"),
                "member.added": _("%(actor)s added %(target)s to the project as %(after_role)s"),
                "member.role_changed": _(
                    "%(actor)s changed the role of %(target)s from %(before_role)s to %(after_role)s"
                ),
                "member.removed": _("%(actor)s removed %(target)s from the project"),
                "work_item.created": _("%(actor)s created %(target)s"),
                "work_item.updated": _("%(actor)s updated %(target)s"),
                "work_item.moved": _(
                    "%(actor)s moved %(target)s from %(before_column)s to %(after_column)s"
                ),
                "column.created": _("%(actor)s added the board column %(target)s"),
                "column.updated": _("%(actor)s changed the board column %(target)s"),
                "column.deleted": _("%(actor)s deleted the board column %(target)s"),
                "columns.reordered": _("%(actor)s reordered the board columns"),
                "sprint.created": _("%(actor)s planned %(target)s"),
                "sprint.updated": _("%(actor)s updated %(target)s"),
                "sprint.started": _("%(actor)s started %(target)s"),
                "sprint.closed": _("%(actor)s closed %(target)s"),
                "channel.created": _("%(actor)s added the notification channel %(target)s"),
                "channel.updated": _("%(actor)s changed the notification channel %(target)s"),
                "channel.deleted": _("%(actor)s deleted the notification channel %(target)s"),
                "subscription.saved": _("%(actor)s changed which events go to %(target)s"),
                "subscription.deleted": _("%(actor)s stopped notifications to %(target)s"),
                "work_item.deleted": _("%(actor)s deleted %(target)s"),
                "standup.note_saved": _("%(actor)s wrote the stand-up note of %(target)s"),
                "retro.item_added": _("%(actor)s added to the retrospective: %(target)s"),
            }
        )
        from portal.navigation import NavEntry, register_project_tab, register_site

        register_site(NavEntry("projects", _("Projects"), "projects:list", order=10))
        register_project_tab(NavEntry("overview", _("Overview"), "projects:detail", order=0))
        register_project_tab(NavEntry("board", _("Board"), "projects:board", order=20))
        register_project_tab(NavEntry("sprints", _("Sprints"), "projects:sprints", order=30))
        register_project_tab(
            NavEntry(
                "notifications",
                _("Notifications"),
                "projects:notifications",
                order=90,
                min_role="owner",
            )
        )
        register_project_tab(
            NavEntry("settings", _("Settings"), "projects:settings", order=100, min_role="owner")
        )
