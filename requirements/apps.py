from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequirementsConfig(AppConfig):
    name = "requirements"
    verbose_name = _("Requirements")

    def ready(self) -> None:
        from portal.activity import register_verbs
        from portal.events import register_emitted
        from portal.navigation import NavEntry, register_project_tab
        from projects.extensions import WorkItemExtension, register_work_item_extension

        from .selectors import with_work_item_requirement

        register_project_tab(
            NavEntry("requirements", _("Requirements"), "requirements:backlog", order=10)
        )
        register_emitted({"requirement.p0"})
        # A card shows the requirement it delivers (requirements owns that link).
        register_work_item_extension(
            WorkItemExtension(
                "requirement",
                annotate=with_work_item_requirement,
                attributes=("requirement_id", "requirement_number", "requirement_title"),
                panel_template="requirements/partials/_work_item_requirement.html",
            )
        )
        register_verbs(
            {
                "requirement.created": _("%(actor)s added requirement %(target)s"),
                "requirement.updated": _("%(actor)s updated requirement %(target)s"),
                "requirement.triaged": _(
                    "%(actor)s triaged %(target)s: %(after_moscow)s, %(after_priority)s"
                ),
                "requirement.rejected": _(
                    "%(actor)s rejected %(target)s: %(after_rejection_reason)s"
                ),
                "requirement.deleted": _("%(actor)s deleted requirement %(target)s"),
                "requirement.reordered": _("%(actor)s reordered the requirement backlog"),
                "requirement.kpi_linked": _(
                    "%(actor)s linked %(target)s to KPI %(after_kpi)s (%(after_expected_change)s)"
                ),
                "requirement.kpi_unlinked": _(
                    "%(actor)s unlinked KPI %(before_kpi)s from %(target)s"
                ),
                "requirement.kpis_changed": _("%(actor)s changed the target KPIs of %(target)s"),
                "requirement.surveyed": _("%(actor)s answered the Kano survey of %(target)s"),
                "requirement.survey_answer_removed": _(
                    "%(actor)s removed a Kano survey answer from %(target)s"
                ),
                "requirement.commented": _("%(actor)s commented on %(target)s"),
                "requirement.promoted": _(
                    "%(actor)s created work items %(after_work_items)s from %(target)s"
                ),
            }
        )
