"""OKRs (objectives, key results, check-ins), computed snapshots, daily reports and
exchange rates. The KPIs themselves are in the `kpis` app below."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kpis.models import KPI, Unit
from portal.models import Department
from portal.validators import (
    MAX_YEAR,
    MIN_YEAR,
    validate_currency,
    validate_date_in_range,
    validate_year,
)

from .calculations import PERIOD_RE, percent_of


class Level(models.TextChoices):
    COMPANY = "company", _("Company")
    DEPARTMENT = "department", _("Department")
    PROJECT = "project", _("Project")


period_validator = RegexValidator(
    PERIOD_RE, _("Use a period such as 2026-Q4, 2026-H1, 2026-M03 or 2026-Y.")
)


def validate_period_year(value: str) -> None:
    """The year of a well-formed period is a year people plan in (0000-Q1 has no dates)."""
    match = PERIOD_RE.match(value or "")
    if match:
        validate_year(int(match["year"]))


class Objective(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    period = models.CharField(
        _("period"), max_length=8, validators=[period_validator, validate_period_year]
    )
    level = models.CharField(
        _("level"), max_length=10, choices=Level.choices, default=Level.COMPANY
    )
    department = models.CharField(
        _("department"), max_length=20, choices=Department.choices, blank=True
    )
    project = models.ForeignKey(
        "portal.Project",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="objectives",
        verbose_name=_("project"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="objectives",
        verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Not columns: metrics.selectors.annotate_objective fills these for the OKR pages.
    progress: Decimal
    status: str | None  # None without key results
    elapsed: Decimal  # share of the period gone, 0–1

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ["-period", "level", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(level="project") & Q(project__isnull=False))
                | (~Q(level="project") & Q(project__isnull=True)),
                name="objective_project_matches_level",
            ),
            # The last line behind the validators: a period such as 2026-Q4 sorts as text
            # between "2000-" and "2101-" exactly when its year is in MIN_YEAR–MAX_YEAR.
            models.CheckConstraint(
                condition=Q(period__gte=f"{MIN_YEAR}-", period__lt=f"{MAX_YEAR + 1}-"),
                name="objective_period_year_in_range",
                violation_error_message=_("Use a period in the years 2000 to 2100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.title}"


class KeyResult(models.Model):
    objective = models.ForeignKey(
        Objective, on_delete=models.CASCADE, related_name="key_results", verbose_name=_("objective")
    )
    title = models.CharField(_("title"), max_length=200)
    start = models.DecimalField(_("start"), max_digits=18, decimal_places=4)
    target = models.DecimalField(_("target"), max_digits=18, decimal_places=4)
    # Manual KRs keep their own current value; a KR linked to a KPI follows its latest point.
    current = models.DecimalField(
        _("current"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    kpi = models.ForeignKey(
        KPI,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="key_results",
        verbose_name=_("KPI"),
    )
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.COUNT)
    weight = models.DecimalField(
        _("weight"), max_digits=5, decimal_places=2, default=1, validators=[MinValueValidator(0)]
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="key_results",
        verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Not columns: the OKR reads (metrics.selectors) set these for the pages and the API.
    # (The linked KPI's latest value, kpi_latest, is a queryset annotation.)
    current_value: Decimal | None
    progress: Decimal
    status: str

    class Meta:
        verbose_name = _("key result")
        verbose_name_plural = _("key results")
        ordering = ["objective", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(target=models.F("start")), name="kr_target_differs_from_start"
            )
        ]

    def __str__(self) -> str:
        return self.title


class CheckIn(models.Model):
    key_result = models.ForeignKey(
        KeyResult, on_delete=models.CASCADE, related_name="check_ins", verbose_name=_("key result")
    )
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    confidence = models.PositiveSmallIntegerField(
        _("confidence"), validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    note = models.TextField(_("note"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__gte=1, confidence__lte=10), name="checkin_confidence_1_10"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key_result_id} {self.value}"


class ProjectSnapshot(models.Model):
    """A project's delivery metrics at the end of one local day, computed by Celery.

    Dashboards read these rows; they never recompute history per request.
    """

    project = models.ForeignKey(
        "portal.Project",
        on_delete=models.CASCADE,
        related_name="snapshots",
        verbose_name=_("project"),
    )
    date = models.DateField(_("date"))
    todo = models.PositiveIntegerField(default=0)
    in_progress = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    throughput_7d = models.PositiveIntegerField(_("items done in the last 7 days"), default=0)
    cycle_p50_hours = models.FloatField(null=True, blank=True)
    cycle_p85_hours = models.FloatField(null=True, blank=True)
    lead_p50_hours = models.FloatField(null=True, blank=True)
    lead_p85_hours = models.FloatField(null=True, blank=True)
    bugs_opened_7d = models.PositiveIntegerField(default=0)
    stories_done_7d = models.PositiveIntegerField(default=0)
    due_30d = models.PositiveIntegerField(default=0)
    on_time_30d = models.PositiveIntegerField(default=0)
    risk_exposure = models.PositiveIntegerField(default=0)
    # Mean completed points of the last three sprints closed by that day.
    velocity = models.FloatField(null=True, blank=True)
    # Requirements: delivery cycle = done − triaged, over those done in the last 30 days.
    requirements_done_30d = models.PositiveIntegerField(default=0)
    delivery_p50_weeks = models.FloatField(null=True, blank=True)
    delivery_p85_weeks = models.FloatField(null=True, blank=True)
    requirements_due_30d = models.PositiveIntegerField(default=0)
    requirements_on_time_30d = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("project snapshot")
        verbose_name_plural = _("project snapshots")
        ordering = ["project", "date"]
        constraints = [
            models.UniqueConstraint(fields=["project", "date"], name="snapshot_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.date}"

    # The figures below are defined here once (DESIGN §4); the dashboard tiles, the charts
    # and the computed KPIs (metrics.engineering) all read them.

    @property
    def bug_rate(self) -> float | None:
        """Bugs opened ÷ stories done in the last 7 days, in percent."""
        return percent_of(self.bugs_opened_7d, self.stories_done_7d)

    @property
    def on_time_due(self) -> int:
        """Work items and requirements due in the last 30 days."""
        return self.due_30d + self.requirements_due_30d

    @property
    def on_time_done(self) -> int:
        """Of those, the ones done by their due (target) date."""
        return self.on_time_30d + self.requirements_on_time_30d

    @property
    def on_time_rate(self) -> float | None:
        """Items and requirements done by their date ÷ those due (30 days), in percent."""
        return percent_of(self.on_time_done, self.on_time_due)


class DailyReport(models.Model):
    """The daily operations report (运营日报) of a project for one local day. One row per day:
    generating it twice is a no-op, so it is never sent twice."""

    project = models.ForeignKey(
        "portal.Project",
        on_delete=models.CASCADE,
        related_name="daily_reports",
        verbose_name=_("project"),
    )
    date = models.DateField(_("date"))
    content = models.JSONField(_("content"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("daily report")
        verbose_name_plural = _("daily reports")
        ordering = ["-date", "project"]
        constraints = [
            models.UniqueConstraint(fields=["project", "date"], name="daily_report_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.date}"


class ExchangeRate(models.Model):
    """How many CNY one unit of a currency was worth from `date` on (admin-editable).

    Dashboards convert money KPIs to the reporting currency chosen on the page with the
    latest rate on or before the value's date. CNY itself needs no row.
    """

    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    date = models.DateField(_("valid from"), validators=[validate_date_in_range])
    cny_per_unit = models.DecimalField(
        _("CNY per unit"),
        max_digits=14,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001"))],
    )

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "date"], name="exchange_rate_one_per_day")
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.cny_per_unit} CNY ({self.date})"
