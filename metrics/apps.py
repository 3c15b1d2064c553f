from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = _("Metrics")

    def ready(self) -> None:
        from portal.activity import register_verbs
        from portal.events import register_emitted
        from portal.navigation import NavEntry, register_project_tab, register_site

        register_site(NavEntry("dashboard", _("Dashboard"), "metrics:dashboard", order=15))
        register_site(NavEntry("kpis", _("KPIs"), "metrics:kpis", order=20))
        register_project_tab(
            NavEntry("dashboard", _("Dashboard"), "metrics:project_dashboard", order=10)
        )
        register_site(NavEntry("okrs", _("OKRs"), "metrics:okrs", order=30))
        register_emitted({"kpi.red", "report.daily", "key_result.off_track"})
        register_verbs(
            {
                "kpi.created": _("%(actor)s added the KPI %(target)s"),
                "kpi.updated": _("%(actor)s changed the KPI %(target)s"),
                "kpi.deleted": _("%(actor)s deleted the KPI %(target)s"),
                "kpi.points_saved": _("%(actor)s recorded values for %(target)s"),
                "objective.created": _("%(actor)s set the objective %(target)s"),
                "objective.updated": _("%(actor)s changed the objective %(target)s"),
                "objective.deleted": _("%(actor)s deleted the objective %(target)s"),
                "key_result.created": _("%(actor)s added the key result %(target)s"),
                "key_result.updated": _("%(actor)s changed the key result %(target)s"),
                "key_result.deleted": _("%(actor)s deleted the key result %(target)s"),
                "key_result.checked_in": _("%(actor)s checked in on %(target)s"),
            }
        )
