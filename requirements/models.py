"""The requirement backlog: requirements, their KPI links, Kano survey answers, comments
and the PM's saved backlog views (DESIGN §3)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.models import Department
from portal.validators import validate_date_in_range

from . import scoring


class Status(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    REJECTED = "rejected", _("Rejected")


# Where a requirement may go from each status. Reopening is allowed (done → in progress,
# rejected → new); leaving "new" other than by rejection is triage, which needs MoSCoW
# and a priority.
TRANSITIONS = {
    Status.NEW: {Status.TRIAGED, Status.PLANNED, Status.IN_PROGRESS, Status.REJECTED},
    Status.TRIAGED: {Status.NEW, Status.PLANNED, Status.IN_PROGRESS, Status.DONE, Status.REJECTED},
    Status.PLANNED: {Status.TRIAGED, Status.IN_PROGRESS, Status.DONE, Status.REJECTED},
    Status.IN_PROGRESS: {Status.PLANNED, Status.DONE, Status.REJECTED},
    Status.DONE: {Status.IN_PROGRESS},
    Status.REJECTED: {Status.NEW, Status.TRIAGED},
}
OPEN_STATUSES = [Status.NEW, Status.TRIAGED, Status.PLANNED, Status.IN_PROGRESS]


class MoSCoW(models.TextChoices):
    MUST = "must", _("Must have")
    SHOULD = "should", _("Should have")
    COULD = "could", _("Could have")
    WONT = "wont", _("Won't have (this time)")


class Kano(models.TextChoices):
    MUST_BE = "must_be", _("Must-be")
    PERFORMANCE = "performance", _("Performance")
    ATTRACTIVE = "attractive", _("Attractive")
    INDIFFERENT = "indifferent", _("Indifferent")
    REVERSE = "reverse", _("Reverse")
    QUESTIONABLE = "questionable", _("Questionable")


def kano_label(value: str | None) -> str:
    """A Kano category as people read it ("" when there is none)."""
    return str(Kano(value).label) if value in Kano.values else ""


class Priority(models.TextChoices):
    P0 = "P0", "P0"
    P1 = "P1", "P1"
    P2 = "P2", "P2"
    P3 = "P3", "P3"


class Answer(models.TextChoices):
    LIKE = "like", _("I like it")
    EXPECT = "expect", _("I expect it")
    NEUTRAL = "neutral", _("I am neutral")
    TOLERATE = "tolerate", _("I can tolerate it")
    DISLIKE = "dislike", _("I dislike it")


RICE_IMPACT_CHOICES = [
    (Decimal("3"), _("3 — massive")),
    (Decimal("2"), _("2 — high")),
    (Decimal("1"), _("1 — medium")),
    (Decimal("0.5"), _("0.5 — low")),
    (Decimal("0.25"), _("0.25 — minimal")),
]
WSJF_CHOICES = [(n, str(n)) for n in scoring.WSJF_SCALE]


_CN_DIGITS = "零一二三四五六七八九十"


def phase_label(phase: int | None) -> str:
    """一期 / 二期 … in Chinese, "Phase 1" in English."""
    if not phase:
        return ""
    if (translation.get_language() or "").startswith("zh") and phase <= 10:
        return f"{_CN_DIGITS[phase]}期"
    return str(pgettext_lazy("release phase", "Phase %(n)s") % {"n": phase})


# The integer column's own bound, enforced on every backend (SQLite would store more and
# PostgreSQL refuse it); the stored RICE score (14 digits) holds reach × 3 × 100 % ÷ 0.01.
MAX_REACH = 2_147_483_647


class Requirement(models.Model):
    project = models.ForeignKey(
        "portal.Project",
        on_delete=models.CASCADE,
        related_name="requirements",
        verbose_name=_("project"),
    )
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    source_department = models.CharField(
        _("source department"), max_length=20, choices=Department.choices, blank=True
    )
    requester = models.CharField(_("requester"), max_length=80, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    rejection_reason = models.CharField(_("rejection reason"), max_length=500, blank=True)
    moscow = models.CharField(_("MoSCoW"), max_length=6, choices=MoSCoW.choices, blank=True)
    kano = models.CharField(_("Kano"), max_length=12, choices=Kano.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices, blank=True)
    phase = models.PositiveSmallIntegerField(
        _("release phase"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # The stories made from it (one requirement, many items; an item delivers at most one).
    work_items = models.ManyToManyField(
        "projects.WorkItem",
        through="WorkItemLink",
        related_name="delivered_requirements",
        blank=True,
        verbose_name=_("work items"),
    )
    # "|tag1|tag2|": the tags as text, so the tag filter is one portable LIKE (SQLite has no
    # JSON containment, and stores non-ASCII JSON escaped). Written by the services.
    tags_text = models.CharField(max_length=500, blank=True, editable=False)
    target_date = models.DateField(
        _("target date"), null=True, blank=True, validators=[validate_date_in_range]
    )
    # RICE inputs.
    reach = models.PositiveIntegerField(
        _("reach"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_REACH)],
        help_text=_("People or orders affected per quarter."),
    )
    impact = models.DecimalField(
        _("impact"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        choices=RICE_IMPACT_CHOICES,
    )
    confidence = models.PositiveSmallIntegerField(
        _("confidence"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("0–100 %."),
    )
    effort = models.DecimalField(
        _("effort"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Person-weeks, more than 0."),
    )
    # WSJF inputs, each on the 1, 2, 3, 5, 8, 13, 20 scale.
    business_value = models.PositiveSmallIntegerField(
        _("business value"), null=True, blank=True, choices=WSJF_CHOICES
    )
    time_criticality = models.PositiveSmallIntegerField(
        _("time criticality"), null=True, blank=True, choices=WSJF_CHOICES
    )
    risk_reduction = models.PositiveSmallIntegerField(
        _("risk reduction"), null=True, blank=True, choices=WSJF_CHOICES
    )
    job_size = models.PositiveSmallIntegerField(
        _("job size"), null=True, blank=True, choices=WSJF_CHOICES
    )
    # Stored so 10,000 requirements sort by score in the database; the services recompute
    # them from the inputs on every write (scoring.rice_score / wsjf_score).
    rice_score = models.DecimalField(
        _("RICE"), max_digits=14, decimal_places=2, null=True, blank=True, editable=False
    )
    wsjf_score = models.DecimalField(
        _("WSJF"), max_digits=8, decimal_places=2, null=True, blank=True, editable=False
    )
    # Backlog order: sparse integers, renumbered under the project lock when a gap closes.
    rank = models.BigIntegerField(_("rank"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), db_index=True)
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        ordering = ["rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="requirement_unique_number"),
            models.CheckConstraint(
                condition=Q(effort__isnull=True) | Q(effort__gt=0),
                name="requirement_effort_positive",
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__lte=100),
                name="requirement_confidence_0_100",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="requirement_rejected_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "rank"], name="requirement_backlog_order"),
            models.Index(fields=["project", "status"], name="requirement_project_status"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def key(self) -> str:
        return f"{self.project.key}-R{self.number}"

    @property
    def phase_label(self) -> str:
        return phase_label(self.phase)

    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class WorkItemLink(models.Model):
    """The requirement a work item delivers: made when the requirement is promoted to
    stories. Requirements owns the link, as it stands above the board (issue #14)."""

    work_item = models.OneToOneField(
        "projects.WorkItem",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="requirement_link",
        verbose_name=_("work item"),
    )
    requirement = models.ForeignKey(
        Requirement,
        on_delete=models.CASCADE,
        related_name="work_item_links",
        verbose_name=_("requirement"),
    )

    class Meta:
        verbose_name = _("work item link")
        verbose_name_plural = _("work item links")

    def __str__(self) -> str:
        return f"{self.work_item_id} → {self.requirement_id}"


class RequirementKPI(models.Model):
    """A KPI the requirement is expected to move, and by how much (e.g. conversion +2 %)."""

    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="kpi_links")
    # A string reference: the backlog links to KPIs without importing the metrics app.
    kpi = models.ForeignKey("kpis.KPI", on_delete=models.CASCADE, related_name="requirement_links")
    expected_change = models.DecimalField(
        _("expected change"),
        max_digits=14,
        decimal_places=2,
        help_text=_("In the KPI's unit: +2 for two percentage points, −5000 for ¥5,000 less."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("target KPI")
        verbose_name_plural = _("target KPIs")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["requirement", "kpi"], name="requirement_kpi_once"),
        ]

    def __str__(self) -> str:
        return f"{self.requirement_id} → {self.kpi_id} {self.expected_change:+}"


class KanoResponse(models.Model):
    """One person's answers to the functional / dysfunctional questions. A member answers
    for themself (answering again replaces the answer); a PM may also record answers from
    interviews with people outside the portal, under `respondent_name`."""

    requirement = models.ForeignKey(
        Requirement, on_delete=models.CASCADE, related_name="kano_responses"
    )
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="kano_responses",
        verbose_name=_("respondent"),
    )
    respondent_name = models.CharField(_("respondent name"), max_length=80, blank=True)
    functional = models.CharField(_("if the product has it"), max_length=8, choices=Answer.choices)
    dysfunctional = models.CharField(
        _("if the product does not have it"), max_length=8, choices=Answer.choices
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("answered at"))

    class Meta:
        verbose_name = _("Kano survey answer")
        verbose_name_plural = _("Kano survey answers")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requirement", "respondent"],
                condition=Q(respondent__isnull=False),
                name="kano_one_answer_per_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requirement_id}: {self.functional}/{self.dysfunctional}"

    @property
    def kano_class(self) -> str:
        return scoring.kano_class(self.functional, self.dysfunctional)

    @property
    def who(self) -> str:
        if self.respondent_name:
            return self.respondent_name
        return self.respondent.label if self.respondent_id else "—"


class RequirementComment(models.Model):
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("comment"), help_text=_("Markdown."))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.requirement_id} #{self.pk}"


class BacklogView(models.Model):
    """A named set of backlog filters (the query string), private or shared with the team."""

    project = models.ForeignKey(
        "portal.Project", on_delete=models.CASCADE, related_name="backlog_views"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="backlog_views"
    )
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("filters"), max_length=1000, blank=True)
    shared = models.BooleanField(_("shared with the project"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved backlog view")
        verbose_name_plural = _("saved backlog views")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "owner", "name"], name="backlog_view_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name
