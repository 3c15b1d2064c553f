from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projects")

    def ready(self) -> None:
        from portal.activity import register_verbs

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
            }
        )
        from portal.navigation import NavEntry, register_project_tab, register_site

        register_site(NavEntry("projects", _("Projects"), "projects:list", order=10))
        register_project_tab(NavEntry("overview", _("Overview"), "projects:detail", order=0))
        register_project_tab(
            NavEntry("settings", _("Settings"), "projects:settings", order=100, min_role="owner")
        )
