from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RisksConfig(AppConfig):
    name = "risks"
    verbose_name = _("Risks")

    def ready(self) -> None:
        from portal.activity import register_verbs
        from portal.events import register_emitted
        from portal.navigation import NavEntry, register_project_tab
        from projects.extensions import WorkItemExtension, register_work_item_extension

        register_project_tab(NavEntry("risks", _("Risks"), "risks:register", order=40))
        # A card's panel lists the risks tied to it.
        register_work_item_extension(
            WorkItemExtension("risks", panel_template="risks/partials/_work_item_risks.html")
        )
        register_emitted({"risk.created", "risk.escalated", "risk.review_overdue", "risk.occurred"})
        register_verbs(
            {
                "risk.created": _("%(actor)s registered risk %(target)s"),
                "risk.updated": _("%(actor)s updated risk %(target)s"),
                "risk.reviewed": _(
                    "%(actor)s reviewed risk %(target)s; next review %(after_next_review_date)s"
                ),
                "risk.deleted": _("%(actor)s deleted risk %(target)s"),
                "risk.linked": _("%(actor)s linked %(after_linked)s to risk %(target)s"),
                "risk.unlinked": _("%(actor)s unlinked %(before_linked)s from risk %(target)s"),
                "risk.links_changed": _("%(actor)s changed the work linked to risk %(target)s"),
            }
        )
