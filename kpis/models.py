"""KPIs and their data points: the catalogue the work points at and metrics reads."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.validators import validate_currency, validate_date_in_range


class Unit(models.TextChoices):
    MONEY = "money", _("Money")
    PERCENT = "percent", _("Percent")
    COUNT = "count", _("Count")
    DURATION = "duration", _("Duration (days)")
    WEEKS = "weeks", _("Duration (weeks)")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class Source(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    API = "api", _("Pushed by the data platform")
    COMPUTED = "computed", _("Computed by the portal")


code_validator = RegexValidator(
    r"^[a-z][a-z0-9_]{1,39}$", _("Lower-case letters, digits and _, starting with a letter.")
)


class KPI(models.Model):
    name = models.CharField(_("name"), max_length=80)
    code = models.CharField(_("code"), max_length=40, validators=[code_validator])
    description = models.CharField(_("description"), max_length=300, blank=True)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    currency = models.CharField(
        _("currency"), max_length=3, blank=True, validators=[validate_currency]
    )
    direction = models.CharField(
        _("direction"), max_length=6, choices=Direction.choices, default=Direction.HIGHER
    )
    target = models.DecimalField(
        _("target"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    # Null: a company-wide KPI.
    project = models.ForeignKey(
        "portal.Project",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="kpis",
        verbose_name=_("project"),
    )
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.MANUAL
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Not columns: metrics.selectors.with_tiles sets these on the KPIs it returns, for the
    # tiles. Declared only, so getattr() still tells a KPI that did not come through it.
    # (The latest and previous values are queryset annotations: see KPIWithLatest there.)
    status: str | None
    change: Decimal | None
    sparkline: list[tuple[str, float]]

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["project_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="kpi_unique_code_per_project"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(project__isnull=True), name="kpi_unique_company_code"
            ),
            models.CheckConstraint(
                condition=~Q(unit="money") | ~Q(currency=""), name="kpi_money_has_currency"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class KPIDataPoint(models.Model):
    """One value per KPI per day (or period start): pushing the same date again updates it."""

    kpi = models.ForeignKey(
        KPI, on_delete=models.CASCADE, related_name="points", verbose_name=_("KPI")
    )
    date = models.DateField(_("date"), validators=[validate_date_in_range])
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("KPI data point")
        verbose_name_plural = _("KPI data points")
        ordering = ["kpi", "date"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "date"], name="kpi_point_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id} {self.date}: {self.value}"
