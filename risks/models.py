from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from portal.validators import validate_date_in_range

from . import scoring


class Category(models.TextChoices):
    TECHNICAL = "technical", _("Technical")
    SECURITY = "security", _("Security")
    COMPLIANCE = "compliance", _("Compliance")
    THIRD_PARTY = "third_party", _("Third party")
    SCHEDULE = "schedule", _("Schedule")
    RESOURCE = "resource", _("Resource")
    OPERATIONAL = "operational", _("Operational")
    FINANCIAL = "financial", _("Financial")


class Regime(models.TextChoices):
    GDPR = "gdpr", "GDPR"
    PIPL = "pipl", _("PIPL (Personal Information Protection Law)")
    PCI_DSS = "pci_dss", "PCI DSS"
    CSL = "csl", _("Cybersecurity Law")


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    MITIGATING = "mitigating", _("Mitigating")
    ACCEPTED = "accepted", _("Accepted")
    CLOSED = "closed", _("Closed")
    OCCURRED = "occurred", _("Occurred")


# Risks that can still hit: they count towards the project's exposure.
ACTIVE_STATUSES = [Status.OPEN, Status.MITIGATING, Status.ACCEPTED]


class Level(models.TextChoices):
    LOW = scoring.LOW, _("Low")
    MEDIUM = scoring.MEDIUM, _("Medium")
    HIGH = scoring.HIGH, _("High")
    CRITICAL = scoring.CRITICAL, _("Critical")


ONE_TO_FIVE = [MinValueValidator(1), MaxValueValidator(5)]


class Risk(models.Model):
    project = models.ForeignKey(
        "portal.Project",
        on_delete=models.CASCADE,
        related_name="risks",
        verbose_name=_("project"),
    )
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    regime = models.CharField(
        _("compliance regime"), max_length=10, choices=Regime.choices, blank=True
    )
    probability = models.PositiveSmallIntegerField(_("probability"), validators=ONE_TO_FIVE)
    impact = models.PositiveSmallIntegerField(_("impact"), validators=ONE_TO_FIVE)
    # Derived by the database from probability and impact, so never out of step.
    score = models.GeneratedField(
        expression=F("probability") * F("impact"),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
        verbose_name=_("score"),
    )
    level = models.GeneratedField(
        # The same bands as scoring.risk_level(), computed by the database.
        expression=Case(
            When(LessThanOrEqual(F("probability") * F("impact"), 4), then=Value(scoring.LOW)),
            When(LessThanOrEqual(F("probability") * F("impact"), 9), then=Value(scoring.MEDIUM)),
            When(LessThanOrEqual(F("probability") * F("impact"), 16), then=Value(scoring.HIGH)),
            default=Value(scoring.CRITICAL),
        ),
        output_field=models.CharField(max_length=10, choices=Level.choices),
        db_persist=True,
        verbose_name=_("level"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_risks",
        verbose_name=_("owner"),
    )
    trigger = models.TextField(_("trigger"), blank=True)
    mitigation_plan = models.TextField(_("mitigation plan"), blank=True)
    contingency_plan = models.TextField(_("contingency plan"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    next_review_date = models.DateField(
        _("next review date"), null=True, blank=True, validators=[validate_date_in_range]
    )
    # The work the risk threatens or that mitigates it: cards and backlog requirements of
    # the same project (string references: the register does not import those apps' code).
    work_items = models.ManyToManyField(
        "projects.WorkItem", blank=True, related_name="risks", verbose_name=_("work items")
    )
    requirements = models.ManyToManyField(
        "requirements.Requirement",
        blank=True,
        related_name="risks",
        verbose_name=_("requirements"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        ordering = ["-score", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="risk_unique_number"),
            models.CheckConstraint(
                condition=Q(probability__gte=1, probability__lte=5), name="risk_probability_1_5"
            ),
            models.CheckConstraint(
                condition=Q(impact__gte=1, impact__lte=5), name="risk_impact_1_5"
            ),
        ]
        indexes = [models.Index(fields=["project", "status"], name="risk_project_status")]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    def get_level_display(self) -> str:
        # GeneratedField does not add Django's get_FOO_display(); keep the usual name.
        return str(Level(self.level).label) if self.level else ""

    @property
    def key(self) -> str:
        return f"{self.project.key}-RISK-{self.number}"

    def is_overdue(self, today) -> bool:
        """Review date passed while the risk is still live. `today` is the project's local date."""
        return (
            self.next_review_date is not None
            and self.status in ACTIVE_STATUSES
            and self.next_review_date < today
        )


class RiskHistory(models.Model):
    """One row per change of probability, impact, status or owner (who, when, from → to).

    Each row also keeps the risk's probability, impact and status right after the change,
    so the exposure trend can be replayed from history alone.
    """

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="history")
    field = models.CharField(_("field"), max_length=20)
    old_value = models.CharField(_("from"), max_length=100, blank=True)
    new_value = models.CharField(_("to"), max_length=100, blank=True)
    probability = models.PositiveSmallIntegerField()
    impact = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), db_index=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("risk history entry")
        verbose_name_plural = _("risk history")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.risk_id} {self.field}: {self.old_value} → {self.new_value}"


class RiskReview(models.Model):
    """A review of a risk: "reviewed, no change" is a real event that moves the next review date."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)
    next_review_date = models.DateField(_("next review date"), validators=[validate_date_in_range])

    class Meta:
        verbose_name = _("risk review")
        verbose_name_plural = _("risk reviews")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.risk_id} reviewed {self.at:%Y-%m-%d}"
