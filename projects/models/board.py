"""The board: workflow columns and work items, with the column history that cycle time,
burndown and the cumulative flow are computed from."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.validators import validate_date_in_range

# Sane maxima for the numbers people type on the board (the columns hold far more).
MAX_STORY_POINTS = 100
MAX_WIP_LIMIT = 999


class ColumnCategory(models.TextChoices):
    TODO = "todo", _("To do")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


DEFAULT_COLUMNS = [
    # (Chinese name, English name, category): the default board of a new project.
    ("待办", "To do", ColumnCategory.TODO),
    ("进行中", "In progress", ColumnCategory.IN_PROGRESS),
    ("评审中", "In review", ColumnCategory.IN_PROGRESS),
    ("测试中", "Testing", ColumnCategory.IN_PROGRESS),
    ("已完成", "Done", ColumnCategory.DONE),
]


class WorkflowColumn(models.Model):
    project = models.ForeignKey(
        "portal.Project",
        on_delete=models.CASCADE,
        related_name="columns",
        verbose_name=_("project"),
    )
    name = models.CharField(_("name"), max_length=40)
    category = models.CharField(_("category"), max_length=12, choices=ColumnCategory.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    wip_limit = models.PositiveSmallIntegerField(
        _("WIP limit"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_WIP_LIMIT)],
    )
    # When set, a move that would exceed the WIP limit is refused instead of only flagged.
    wip_enforced = models.BooleanField(_("refuse moves over the WIP limit"), default=False)

    class Meta:
        verbose_name = _("workflow column")
        verbose_name_plural = _("workflow columns")
        ordering = ["project", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="column_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_done(self) -> bool:
        return self.category == ColumnCategory.DONE


class WorkItemType(models.TextChoices):
    STORY = "story", _("Story")
    TASK = "task", _("Task")
    BUG = "bug", _("Bug")


class Priority(models.TextChoices):
    P0 = "P0", "P0"
    P1 = "P1", "P1"
    P2 = "P2", "P2"
    P3 = "P3", "P3"


class WorkItem(models.Model):
    project = models.ForeignKey(
        "portal.Project",
        on_delete=models.CASCADE,
        related_name="work_items",
        verbose_name=_("project"),
    )
    number = models.PositiveIntegerField(_("number"))
    type = models.CharField(
        _("type"), max_length=8, choices=WorkItemType.choices, default=WorkItemType.STORY
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    column = models.ForeignKey(
        WorkflowColumn, on_delete=models.PROTECT, related_name="items", verbose_name=_("column")
    )
    # Order inside a column: sparse integers, renumbered under the project lock when a gap closes.
    rank = models.BigIntegerField(_("rank"), default=0)
    sprint = models.ForeignKey(
        "projects.Sprint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("sprint"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_items",
        verbose_name=_("assignee"),
    )
    story_points = models.PositiveSmallIntegerField(
        _("story points"), null=True, blank=True, validators=[MaxValueValidator(MAX_STORY_POINTS)]
    )
    priority = models.CharField(
        _("priority"), max_length=2, choices=Priority.choices, default=Priority.P2
    )
    labels = models.JSONField(_("labels"), default=list, blank=True)
    blocked = models.BooleanField(_("blocked"), default=False)
    blocked_reason = models.CharField(_("blocked reason"), max_length=300, blank=True)
    due_date = models.DateField(
        _("due date"), null=True, blank=True, validators=[validate_date_in_range]
    )
    added_after_start = models.BooleanField(_("added after sprint start"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), db_index=True)
    column_entered_at = models.DateTimeField(_("in this column since"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Not columns: the stand-up and board reads (projects.selectors.board, views_board) set
    # these on the cards they return, for the templates. Declared only, so a card that did
    # not come through them has no such attribute.
    age_hours: float
    in_progress_hours: float
    aging: bool

    class Meta:
        verbose_name = _("work item")
        verbose_name_plural = _("work items")
        ordering = ["column__order", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="workitem_unique_number"),
            models.CheckConstraint(
                condition=Q(blocked=False) | ~Q(blocked_reason=""),
                name="workitem_blocked_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "column", "rank"], name="workitem_board_order"),
            models.Index(fields=["sprint", "column"], name="workitem_sprint_column"),
            models.Index(fields=["project", "done_at"], name="workitem_project_done"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def key(self) -> str:
        return f"{self.project.key}-{self.number}"


class ColumnChange(models.Model):
    """Every entry of an item into a column: cycle time, burndown and flow come from here."""

    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="column_changes")
    from_column = models.ForeignKey(
        WorkflowColumn, on_delete=models.CASCADE, null=True, related_name="+"
    )
    to_column = models.ForeignKey(WorkflowColumn, on_delete=models.CASCADE, related_name="+")
    to_category = models.CharField(max_length=12, choices=ColumnCategory.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("column change")
        verbose_name_plural = _("column changes")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["item", "at"], name="columnchange_item_at")]

    def __str__(self) -> str:
        return f"{self.item_id} → {self.to_column_id}"
