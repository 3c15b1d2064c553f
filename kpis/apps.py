from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    """The KPI catalogue: what the business measures and its values (issue #14).

    It stands just above the workspace so the work can point at KPIs (a requirement's
    expected effect, an experiment's metric) without reaching up to `metrics`, which
    keeps OKRs, computed delivery metrics, dashboards and the daily report above them all.
    """

    name = "kpis"
    verbose_name = _("KPIs")
