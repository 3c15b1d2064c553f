"""Sprints, their scope changes, stand-up notes and retrospectives."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from portal.validators import validate_date_in_range

from ..calculations import sprint_days_left, sprint_length_days


class SprintState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class Sprint(models.Model):
    project = models.ForeignKey(
        "portal.Project",
        on_delete=models.CASCADE,
        related_name="sprints",
        verbose_name=_("project"),
    )
    name = models.CharField(_("name"), max_length=80)
    goal = models.TextField(_("goal"), blank=True)
    start = models.DateField(_("start"), validators=[validate_date_in_range])
    end = models.DateField(_("end"), validators=[validate_date_in_range])
    state = models.CharField(
        _("state"), max_length=8, choices=SprintState.choices, default=SprintState.PLANNED
    )
    committed_points = models.PositiveIntegerField(_("committed points"), null=True, blank=True)
    completed_points = models.PositiveIntegerField(_("completed points"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The close report: what was finished, carried over and where (kept as it was at close).
    report = models.JSONField(_("report"), default=dict, blank=True)

    class Meta:
        verbose_name = _("sprint")
        verbose_name_plural = _("sprints")
        ordering = ["project", "start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="sprint_end_after_start"),
            # The database itself guarantees at most one active sprint per project.
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(state="active"),
                name="sprint_one_active_per_project",
                violation_error_message=_("This project already has an active sprint."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def length_days(self) -> int:
        """Both the first and the last day count (Monday to Sunday of next week: 14)."""
        return sprint_length_days(self.start, self.end)

    def days_left(self, today: date) -> int:
        """Days still to work, today included (1 on the last day)."""
        return sprint_days_left(self.start, self.end, today)

    def can_start(self) -> bool:
        return self.state == SprintState.PLANNED

    def can_close(self) -> bool:
        return self.state == SprintState.ACTIVE


class SprintScopeChange(models.Model):
    """An item entering or leaving a sprint, with its points then: burndown shows scope changes."""

    class Change(models.TextChoices):
        ADDED = "added", _("Added")
        REMOVED = "removed", _("Removed")
        POINTS = "points", _("Re-estimated")

    sprint = models.ForeignKey(Sprint, on_delete=models.CASCADE, related_name="scope_changes")
    # SET_NULL: a deleted item's scope history stays, so the burndown does not rewrite itself.
    item = models.ForeignKey(
        "projects.WorkItem", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    change = models.CharField(max_length=8, choices=Change.choices)
    points = models.IntegerField(default=0)  # signed: the change to the sprint's total
    after_start = models.BooleanField(default=False)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.sprint_id} {self.change} {self.item_id}"


class StandupNote(models.Model):
    """The team's note for one stand-up (one per project per local day)."""

    project = models.ForeignKey(
        "portal.Project", on_delete=models.CASCADE, related_name="standup_notes"
    )
    date = models.DateField(_("date"))
    text = models.TextField(_("note"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("stand-up note")
        verbose_name_plural = _("stand-up notes")
        constraints = [
            models.UniqueConstraint(fields=["project", "date"], name="standup_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.date}"


class RetroKind(models.TextChoices):
    WENT_WELL = "went_well", _("Went well")
    TO_IMPROVE = "to_improve", _("To improve")
    ACTION = "action", _("Action")


class Retrospective(models.Model):
    sprint = models.OneToOneField(Sprint, on_delete=models.CASCADE, related_name="retrospective")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("retrospective")
        verbose_name_plural = _("retrospectives")

    def __str__(self) -> str:
        return f"{self.sprint}"


class RetroItem(models.Model):
    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("kind"), max_length=12, choices=RetroKind.choices)
    text = models.CharField(_("text"), max_length=500)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="retro_actions",
        verbose_name=_("owner"),
    )
    due_date = models.DateField(
        _("due date"), null=True, blank=True, validators=[validate_date_in_range]
    )
    done = models.BooleanField(_("done"), default=False)
    work_item = models.OneToOneField(
        "projects.WorkItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="retro_action",
        verbose_name=_("work item"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("retrospective item")
        verbose_name_plural = _("retrospective items")
        ordering = ["kind", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="action") | (Q(owner__isnull=True) & Q(due_date__isnull=True)),
                name="retroitem_owner_only_on_actions",
            )
        ]

    def __str__(self) -> str:
        return self.text
