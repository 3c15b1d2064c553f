"""Releases, their gray (canary) rollout stages and guards, and freeze windows (DESIGN §8)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.validators import validate_date_in_range

version_validator = RegexValidator(
    r"^[0-9A-Za-z][0-9A-Za-z.+\-]{0,39}$",
    _("Letters, digits, dots, + and -, starting with a letter or digit (e.g. 2.3.0)."),
    code="invalid_version",
)
# The default plan: 1 → 5 → 20 → 50 → 100 % of traffic, each observed for half an hour.
DEFAULT_PLAN = (1, 5, 20, 50, 100)
DEFAULT_OBSERVE_MINUTES = 30
MAX_OBSERVE_MINUTES = 7 * 24 * 60
MAX_STAGES = 10


class ReleaseState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    GRAY = "gray", _("In gray")
    RELEASED = "released", _("Released")
    HALTED = "halted", _("Halted")
    ROLLED_BACK = "rolled_back", _("Rolled back")
    CANCELLED = "cancelled", _("Cancelled")


# A release in one of these moves no further.
FINAL_STATES = (ReleaseState.RELEASED, ReleaseState.ROLLED_BACK, ReleaseState.CANCELLED)


class CriticalPath(models.TextChoices):
    CHECKOUT_PAYMENT = "checkout_payment", _("Checkout & payment (下单支付)")
    INVENTORY = "inventory", _("Inventory (库存扣减)")
    PRICING = "pricing", _("Pricing")
    PROMOTION = "promotion", _("Promotions")
    USER_DATA = "user_data", _("User data")


class Check(models.TextChoices):
    """The go/no-go checklist (DESIGN §8)."""

    ROLLBACK_PLAN = "rollback_plan", _("Rollback plan written and rehearsed")
    CIRCUIT_BREAKER = "circuit_breaker", _("Circuit breaker / degradation switch ready")
    MONITORING = "monitoring", _("Monitoring and alerts in place")
    LOAD_TEST = "load_test", _("Load test (压测) passed")
    MIGRATION_REVERSIBLE = "migration_reversible", _("Data migration reversible")
    COMPLIANCE_SIGNOFF = "compliance_signoff", _("Compliance sign-off")


class Release(models.Model):
    project = models.ForeignKey(
        "portal.Project",
        on_delete=models.CASCADE,
        related_name="releases",
        verbose_name=_("project"),
    )
    version = models.CharField(_("version"), max_length=40, validators=[version_validator])
    name = models.CharField(_("name"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    target_date = models.DateField(
        _("target date"), null=True, blank=True, validators=[validate_date_in_range]
    )
    state = models.CharField(
        _("state"), max_length=12, choices=ReleaseState.choices, default=ReleaseState.PLANNED
    )
    critical_paths = models.JSONField(_("critical paths"), default=list, blank=True)
    # An approved hotfix may start a stage inside a freeze window.
    hotfix = models.BooleanField(_("hotfix"), default=False)
    hotfix_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("hotfix approved by"),
    )
    # Go/no-go: {check: {"by": user id, "at": ISO time}} for every item ticked.
    checklist = models.JSONField(_("go/no-go checklist"), default=dict, blank=True)
    risks_accepted_reason = models.CharField(
        _("why the open risks are accepted"), max_length=500, blank=True
    )
    risks_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("risks accepted by"),
    )
    risks_accepted_at = models.DateTimeField(_("risks accepted at"), null=True, blank=True)
    work_items = models.ManyToManyField(
        "projects.WorkItem", related_name="releases", blank=True, verbose_name=_("work items")
    )
    requirements = models.ManyToManyField(
        "requirements.Requirement",
        related_name="releases",
        blank=True,
        verbose_name=_("requirements"),
    )
    # Why it stopped: the breached guard or the person's reason (halted, rolled back).
    stop_reason = models.CharField(_("reason"), max_length=500, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("stopped by"),
    )
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = ["project_id", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "version"], name="release_version_once_per_project"
            )
        ]
        indexes = [models.Index(fields=["project", "state"], name="release_project_state")]

    def __str__(self) -> str:
        return f"{self.project.key} {self.version}"

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


class StageState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("rollout stage", "Pending")
    RUNNING = "running", pgettext_lazy("rollout stage", "Running")
    PASSED = "passed", pgettext_lazy("rollout stage", "Passed")
    HALTED = "halted", pgettext_lazy("rollout stage", "Halted")


class RolloutStage(models.Model):
    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="stages", verbose_name=_("release")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    percent = models.PositiveSmallIntegerField(
        _("traffic (%)"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    observe_minutes = models.PositiveIntegerField(
        _("observe for (minutes)"),
        default=DEFAULT_OBSERVE_MINUTES,
        validators=[MaxValueValidator(MAX_OBSERVE_MINUTES)],
    )
    state = models.CharField(
        _("state"), max_length=8, choices=StageState.choices, default=StageState.PENDING
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("started by"),
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("ended by"),
    )

    class Meta:
        verbose_name = _("rollout stage")
        verbose_name_plural = _("rollout stages")
        ordering = ["release", "position"]
        constraints = [
            models.UniqueConstraint(fields=["release", "position"], name="stage_position_once"),
            models.CheckConstraint(
                condition=Q(percent__gte=1) & Q(percent__lte=100), name="stage_percent_1_100"
            ),
            # At most one stage of a release runs at a time.
            models.UniqueConstraint(
                fields=["release"],
                condition=Q(state="running"),
                name="stage_one_running_per_release",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.release} {self.percent}%"


class Operator(models.TextChoices):
    AT_MOST = "lte", "≤"
    AT_LEAST = "gte", "≥"


metric_validator = RegexValidator(
    r"^[a-z][a-z0-9_]{1,39}$", _("Lower-case letters, digits and _, starting with a letter.")
)


class StageGuard(models.Model):
    """A limit on a KPI or a pushed metric while a stage runs: breached, it halts the
    rollout (the circuit breaker). With `of_baseline` the threshold is a percentage of the
    value when the stage started (conversion ≥ 95 % of baseline)."""

    stage = models.ForeignKey(
        RolloutStage, on_delete=models.CASCADE, related_name="guards", verbose_name=_("stage")
    )
    kpi = models.ForeignKey(
        "kpis.KPI",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("KPI"),
    )
    metric = models.CharField(
        _("pushed metric"), max_length=40, blank=True, validators=[metric_validator]
    )
    operator = models.CharField(_("must stay"), max_length=3, choices=Operator.choices)
    threshold = models.DecimalField(_("threshold"), max_digits=18, decimal_places=4)
    of_baseline = models.BooleanField(_("percent of the value at the stage's start"), default=False)
    baseline = models.DecimalField(
        _("baseline"), max_digits=18, decimal_places=4, null=True, blank=True
    )

    class Meta:
        verbose_name = _("stage guard")
        verbose_name_plural = _("stage guards")
        ordering = ["stage", "id"]
        constraints = [
            # Exactly one of a KPI and a pushed metric.
            models.CheckConstraint(
                condition=(Q(kpi__isnull=False) & Q(metric=""))
                | (Q(kpi__isnull=True) & ~Q(metric="")),
                name="guard_kpi_or_metric",
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric or self.kpi_id} {self.operator} {self.threshold}"


class StageMetric(models.Model):
    """A value the monitoring system pushed for a running stage (error_rate, p99_ms, …)."""

    stage = models.ForeignKey(
        RolloutStage, on_delete=models.CASCADE, related_name="metrics", verbose_name=_("stage")
    )
    metric = models.CharField(_("metric"), max_length=40, validators=[metric_validator])
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("stage metric")
        verbose_name_plural = _("stage metrics")
        ordering = ["stage", "metric", "-at", "-id"]
        indexes = [models.Index(fields=["stage", "metric", "-at"], name="stage_metric_latest")]

    def __str__(self) -> str:
        return f"{self.metric}={self.value}"


class FreezeWindow(models.Model):
    """No stage starts inside it (封网) except an approved hotfix. No project: site-wide."""

    project = models.ForeignKey(
        "portal.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="freeze_windows",
        verbose_name=_("project"),
    )
    name = models.CharField(_("name"), max_length=120)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("freeze window")
        verbose_name_plural = _("freeze windows")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="freeze_ends_after_it_starts",
                violation_error_message=_("A freeze window must end after it starts."),
            )
        ]

    def __str__(self) -> str:
        return self.name
