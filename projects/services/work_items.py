"""Board writes: work items created, edited, deleted and moved between columns and
sprints, each under the project lock (`columns.lock_project`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max, Min
from django.utils.translation import gettext as _

from portal import clock
from portal.activity import activity_record
from portal.errors import ApplicationError
from portal.events import emit
from portal.models import Membership, Project

from ..calculations import RANK_LIMIT, rank_between
from ..models import (
    ColumnCategory,
    ColumnChange,
    Priority,
    Sprint,
    SprintScopeChange,
    SprintState,
    WorkflowColumn,
    WorkItem,
    WorkItemType,
)
from .columns import _rank_above, _rank_below, _renumber, lock_project

# ---------------------------------------------------------------- work items


def _check_assignee(project: Project, assignee: Any) -> None:
    if (
        assignee is not None
        and not Membership.objects.filter(project=project, user=assignee)
        .exclude(role="viewer")
        .exists()
    ):
        raise ApplicationError(
            _("The assignee must be a member of the project (not a viewer)."), field="assignee"
        )


def _check_sprint(project: Project, sprint: Sprint | None) -> None:
    if sprint is None:
        return
    if sprint.project_id != project.pk:
        raise ApplicationError(_("This sprint belongs to another project."), field="sprint")
    if sprint.state == SprintState.CLOSED:
        raise ApplicationError(_("This sprint is closed."), field="sprint")


def _bottom_rank(column: WorkflowColumn, *, exclude: int | None = None) -> int:
    """Below the last card; a column whose ranks reached the end of the range is spread
    out again first (call under the project lock)."""
    cards = WorkItem.objects.filter(column=column)
    if exclude is not None:
        cards = cards.exclude(pk=exclude)
    new = rank_between(cards.aggregate(m=Max("rank"))["m"], None)
    if new is None:
        _renumber(column, exclude=exclude)
        new = rank_between(cards.aggregate(m=Max("rank"))["m"], None)
    # Renumbering leaves RANK_GAP below the last rank, which is far inside the range.
    assert new is not None
    return new


def _top_rank(column: WorkflowColumn) -> int:
    cards = WorkItem.objects.filter(column=column)
    new = rank_between(None, cards.aggregate(m=Min("rank"))["m"])
    if new is None:
        _renumber(column, exclude=None)
        new = rank_between(None, cards.aggregate(m=Min("rank"))["m"])
    # Renumbering starts the ranks at RANK_GAP, so there is room above the first.
    assert new is not None
    return new


@transaction.atomic
def work_item_create(
    *,
    project: Project,
    actor: Any,
    title: str,
    type: str = WorkItemType.STORY,
    column: WorkflowColumn | None = None,
    sprint: Sprint | None = None,
    assignee: Any = None,
    story_points: int | None = None,
    priority: str = Priority.P2,
    labels: list[str] | None = None,
    description: str = "",
    due_date: date | None = None,
    position: str = "bottom",
    blocked: bool = False,
    blocked_reason: str = "",
) -> WorkItem:
    """Add a card (to the first to-do column unless told). An item added to an active
    sprint is flagged as added after the start and shows in the burndown as scope; one
    created blocked needs the reason and emits `work_item.blocked`."""
    blocked_reason = (blocked_reason or "").strip() if blocked else ""
    if blocked and not blocked_reason:
        raise ApplicationError(_("Say what blocks this item."), field="blocked_reason")
    lock_project(project)
    if column is None:
        column = project.columns.filter(category=ColumnCategory.TODO).order_by("order").first()
    if column is None or column.project_id != project.pk:
        raise ApplicationError(_("Choose a column of this project's board."), field="column")
    _check_assignee(project, assignee)
    _check_sprint(project, sprint)
    now = clock.now()
    number = (WorkItem.objects.filter(project=project).aggregate(m=Max("number"))["m"] or 0) + 1
    item = WorkItem(
        project=project,
        number=number,
        type=type,
        title=(title or "").strip(),
        description=description,
        column=column,
        rank=_top_rank(column) if position == "top" else _bottom_rank(column),
        sprint=sprint,
        assignee=assignee,
        story_points=story_points,
        priority=priority,
        labels=_clean_labels(labels),
        due_date=due_date,
        blocked=bool(blocked),
        blocked_reason=blocked_reason,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
        column_entered_at=now,
        started_at=now if column.category != ColumnCategory.TODO else None,
        done_at=now if column.category == ColumnCategory.DONE else None,
        added_after_start=bool(sprint and sprint.state == SprintState.ACTIVE),
    )
    item.full_clean(
        exclude=["project", "column", "sprint", "assignee", "created_by"],
        validate_unique=False,
        validate_constraints=False,
    )
    item.save()
    ColumnChange.objects.create(
        item=item,
        from_column=None,
        to_column=column,
        to_category=column.category,
        actor=item.created_by,
        at=now,
    )
    if sprint is not None and sprint.state == SprintState.ACTIVE:
        SprintScopeChange.objects.create(
            sprint=sprint,
            item=item,
            change="added",
            points=item.story_points or 0,
            after_start=True,
            at=now,
        )
    activity_record(
        actor=actor, verb="work_item.created", target=item, project=project, label=str(item)
    )
    if item.blocked:
        _emit_blocked(item, actor)
    return item


def _emit_blocked(item: WorkItem, actor: Any) -> None:
    emit(
        "work_item.blocked",
        project=item.project,
        payload={
            "item_id": item.pk,
            "key": item.key,
            "title": item.title,
            "reason": item.blocked_reason,
            "assignee": item.assignee.label if item.assignee else None,
            "by": actor.label if getattr(actor, "pk", None) else None,
        },
    )


def _clean_labels(labels: list[str] | None) -> list[str]:
    seen: list[str] = []
    for label in labels or []:
        label = str(label).strip()[:30]
        if label and label not in seen:
            seen.append(label)
    return seen[:10]


ITEM_FIELDS = {
    "title",
    "type",
    "description",
    "assignee",
    "story_points",
    "priority",
    "labels",
    "due_date",
    "blocked",
    "blocked_reason",
    "sprint",
}


@transaction.atomic
def work_item_update(*, item: WorkItem, actor: Any, **changes: Any) -> WorkItem:
    """Edit a card. Blocking it needs a reason and emits `work_item.blocked`; changing its
    points or sprint while a sprint runs is recorded as a scope change."""
    unknown = set(changes) - ITEM_FIELDS
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    lock_project(item.project)
    item = WorkItem.objects.select_related("project", "sprint", "column", "assignee").get(
        pk=item.pk
    )
    if "labels" in changes:
        changes["labels"] = _clean_labels(changes["labels"])
    if "assignee" in changes and changes["assignee"] != item.assignee:
        _check_assignee(item.project, changes["assignee"])
    if changes.get("blocked") is False:
        changes["blocked_reason"] = ""
    if (
        changes.get("blocked")
        and not (changes.get("blocked_reason") or item.blocked_reason).strip()
    ):
        raise ApplicationError(_("Say what blocks this item."), field="blocked_reason")
    old_sprint = item.sprint
    old_points = item.story_points or 0
    was_blocked = item.blocked
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for field, value in changes.items():
        old = getattr(item, field)
        if old != value:
            before[field] = old
            after[field] = value
            setattr(item, field, value)
    if not after:
        return item
    if "sprint" in after:
        _check_sprint(item.project, item.sprint)
    item.full_clean(
        exclude=["project", "column", "sprint", "assignee", "created_by"],
        validate_unique=False,
        validate_constraints=False,
    )
    now = clock.now()
    if "sprint" in after:
        _record_sprint_move(item, old_sprint, item.sprint, old_points, now)
    elif "story_points" in after and item.sprint and item.sprint.state == SprintState.ACTIVE:
        delta = (item.story_points or 0) - old_points
        if delta:
            SprintScopeChange.objects.create(
                sprint=item.sprint,
                item=item,
                change="points",
                points=delta,
                after_start=True,
                at=now,
            )
    item.save()
    activity_record(
        actor=actor,
        verb="work_item.updated",
        target=item,
        project=item.project,
        before=before,
        after=after,
        label=str(item),
    )
    if item.blocked and not was_blocked:
        _emit_blocked(item, actor)
    return item


@transaction.atomic
def work_item_delete(*, item: WorkItem, actor: Any) -> None:
    """Remove a card entered by mistake. Its last state stays in the activity log, and a
    card leaving a running sprint stays in that sprint's burndown as removed scope."""
    lock_project(item.project)
    item = WorkItem.objects.select_related("project", "column", "sprint", "assignee").get(
        pk=item.pk
    )
    if item.sprint is not None and item.sprint.state == SprintState.ACTIVE:
        # The scope row outlives the card (SET_NULL), so the burndown does not rewrite itself.
        SprintScopeChange.objects.create(
            sprint=item.sprint,
            item=item,
            change="removed",
            points=-(item.story_points or 0),
            after_start=True,
            at=clock.now(),
        )
    activity_record(
        actor=actor,
        verb="work_item.deleted",
        target=item,
        project=item.project,
        before={
            "title": item.title,
            "type": item.type,
            "column": item.column.name,
            "sprint": item.sprint.name if item.sprint else None,
            "assignee": item.assignee.label if item.assignee else None,
            "story_points": item.story_points,
            "priority": item.priority,
            "labels": item.labels,
            "blocked": item.blocked,
            "blocked_reason": item.blocked_reason,
            "due_date": item.due_date,
            "description": item.description,
        },
        label=str(item),
    )
    item.delete()


def _record_sprint_move(
    item: WorkItem, old: Sprint | None, new: Sprint | None, old_points: int, now
) -> None:
    if old is not None and old.state == SprintState.ACTIVE:
        SprintScopeChange.objects.create(
            sprint=old, item=item, change="removed", points=-old_points, after_start=True, at=now
        )
    if new is not None and new.state == SprintState.ACTIVE:
        SprintScopeChange.objects.create(
            sprint=new,
            item=item,
            change="added",
            points=item.story_points or 0,
            after_start=True,
            at=now,
        )
        item.added_after_start = True
    elif new is None or new.state == SprintState.PLANNED:
        item.added_after_start = False


@transaction.atomic
def work_item_move(
    *,
    item: WorkItem,
    column: WorkflowColumn,
    actor: Any,
    before: WorkItem | None = None,
    after: WorkItem | None = None,
    rank: int | None = None,
    allow_over_wip: bool = False,
) -> WorkItem:
    """Move a card to `column`, placed between `after` (the card above) and `before` (the
    card below), or at `rank`, or at the bottom. Maintains started/done timestamps:
    started is set once, on the first entry into an in-progress or done column; done is
    set on entry into a done column and cleared when the item is reopened."""
    lock_project(item.project)
    item = WorkItem.objects.select_related("project", "column", "sprint").get(pk=item.pk)
    if column.project_id != item.project_id:
        raise ApplicationError(_("This column belongs to another project."), field="column")
    for neighbour, name in ((before, "before"), (after, "after")):
        if neighbour is not None and (
            neighbour.project_id != item.project_id or neighbour.pk == item.pk
        ):
            raise ApplicationError(
                _("Place the card next to another card of this board."), field=name
            )
    if (
        column.pk != item.column_id
        and column.wip_limit
        and column.wip_enforced
        and WorkItem.objects.filter(column=column).count() >= column.wip_limit
    ):
        raise ApplicationError(
            _("“%(column)s” is at its WIP limit of %(limit)s: finish something first.")
            % {"column": column.name, "limit": column.wip_limit},
            field="column",
        )
    new_rank = _rank_for(item, column, before=before, after=after, rank=rank)
    now = clock.now()
    old_column = item.column
    item.rank = new_rank
    if column.pk != old_column.pk:
        item.column = column
        item.column_entered_at = now
        if column.category != ColumnCategory.TODO and item.started_at is None:
            item.started_at = now
        if column.category == ColumnCategory.DONE:
            if old_column.category != ColumnCategory.DONE:
                item.done_at = now
        else:
            item.done_at = None
        if column.category == ColumnCategory.DONE and item.blocked:
            item.blocked, item.blocked_reason = False, ""
        ColumnChange.objects.create(
            item=item,
            from_column=old_column,
            to_column=column,
            to_category=column.category,
            actor=actor if getattr(actor, "pk", None) else None,
            at=now,
        )
        activity_record(
            actor=actor,
            verb="work_item.moved",
            target=item,
            project=item.project,
            before={"column": old_column.name},
            after={"column": column.name},
            label=str(item),
        )
    item.save(
        update_fields=[
            "rank",
            "column",
            "column_entered_at",
            "started_at",
            "done_at",
            "blocked",
            "blocked_reason",
            "updated_at",
        ]
    )
    return item


def _rank_for(item, column, *, before, after, rank) -> int:
    if rank is not None:
        if not -RANK_LIMIT <= rank <= RANK_LIMIT:
            # The API refuses these already; this guards every other caller.
            raise ApplicationError(
                _("A rank is a whole number from %(min)s to %(max)s.")
                % {"min": -RANK_LIMIT, "max": RANK_LIMIT},
                field="rank",
            )
        return rank
    if before is None and after is None:
        if item.column_id != column.pk:
            return _bottom_rank(column, exclude=item.pk)
        return item.rank
    for neighbour in (before, after):
        if neighbour is not None:
            neighbour.refresh_from_db(fields=["rank", "column"])
            if neighbour.column_id != column.pk:
                raise ApplicationError(
                    _("The neighbouring card is in another column."),
                    field="before" if neighbour is before else "after",
                )
    # Anchor on one neighbour as it is now (under the project lock): the card the client
    # saw above (or below) may have moved since, so its other side is read afresh.
    if after is not None:
        above, below = after.rank, _rank_below(column, after.rank, exclude=item.pk)
    else:
        above, below = _rank_above(column, before.rank, exclude=item.pk), before.rank
    new = rank_between(above, below)
    if new is None:
        _renumber(column, exclude=item.pk)
        anchor = after if after is not None else before
        anchor.refresh_from_db(fields=["rank"])
        if after is not None:
            above, below = after.rank, _rank_below(column, after.rank, exclude=item.pk)
        else:
            above, below = _rank_above(column, before.rank, exclude=item.pk), before.rank
        new = rank_between(above, below)
        # Renumbering spaces the column's ranks RANK_GAP apart, so the neighbours no longer touch.
        assert new is not None
    return new
