"""Board, stand-up and sprint reads. Each returns a fixed number of queries, whatever
the number of cards, so the board of 5,000 cards costs what the board of 50 does."""

from __future__ import annotations

import json
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from django.db.models import F, Q, QuerySet, Sum

from portal import clock
from portal.models import Activity, Membership, Project
from portal.permissions import projects_visible_to

from ..calculations import BurndownDay, burndown, mean_velocity, percentile, previous_working_day
from ..extensions import with_extensions
from ..models import (
    ColumnCategory,
    ColumnChange,
    Sprint,
    SprintScopeChange,
    SprintState,
    StandupNote,
    WorkflowColumn,
    WorkItem,
)

SWIMLANES = ("none", "assignee", "priority", "type")

# Rows of the burndown's timeline: (at, points, after_start, change, item_id) of a scope
# change and (at, item_id, to_category, story_points) of a column move.
ScopeRow = tuple[datetime, int, bool, str, int]
MoveRow = tuple[datetime, int, str, int | None]


def board_columns(*, project: Project) -> list[WorkflowColumn]:
    return list(project.columns.order_by("order", "id"))


def board_column_ids(*, project: Project) -> list[int]:
    """The ids of the project's columns in board order (what a reorder starts from)."""
    return list(project.columns.order_by("order", "id").values_list("pk", flat=True))


def board_column(*, project: Project, column_id: int) -> WorkflowColumn | None:
    """One of the project's columns by id, or None when it is not on this board."""
    return project.columns.filter(pk=column_id).first()


def board_column_copy(*, column: WorkflowColumn) -> WorkflowColumn:
    """A fresh copy of `column` read from the database, for a form to change while the
    service still compares against the original. Raises DoesNotExist if it has gone."""
    return WorkflowColumn.objects.get(pk=column.pk)


def active_sprint(*, project: Project) -> Sprint | None:
    return project.sprints.filter(state=SprintState.ACTIVE).first()


def board_items(*, project: Project, filters: dict[str, Any] | None = None) -> QuerySet[WorkItem]:
    """Cards on the board: the active sprint's items (or the whole backlog with
    `scope=all`), filtered by assignee, type, label, priority and text."""
    filters = filters or {}
    # With what the apps above add to a card (its release): joins, no query per card.
    qs = with_extensions(
        WorkItem.objects.filter(project=project).select_related("assignee", "column", "project")
    )
    scope = filters.get("scope") or "sprint"
    if scope == "sprint":
        sprint = filters.get("sprint")
        if sprint is not None:
            qs = qs.filter(sprint=sprint)
    if filters.get("assignee") == "none":
        qs = qs.filter(assignee__isnull=True)
    elif filters.get("assignee"):
        qs = qs.filter(assignee__username=filters["assignee"])
    if filters.get("type"):
        qs = qs.filter(type=filters["type"])
    if filters.get("priority"):
        qs = qs.filter(priority=filters["priority"])
    if filters.get("label"):
        qs = _label_filter(qs, filters["label"])
    if filters.get("blocked"):
        qs = qs.filter(blocked=True)
    text = (filters.get("q") or "").strip()
    if text:
        number = text.split("-")[-1]
        q = Q(title__icontains=text)
        if number.isdigit():
            q |= Q(number=int(number))
        qs = qs.filter(q)
    return qs.order_by("column__order", "rank", "id")


def project_work_items(*, project: Project) -> QuerySet[WorkItem]:
    """The project's work items with what the card panel shows joined: the queryset a
    card is looked up in by number. The caller has authorised the project."""
    return with_extensions(
        WorkItem.objects.select_related("project", "column", "assignee", "sprint", "created_by")
    ).filter(project=project)


def work_items_visible_to(*, user: Any) -> QuerySet[WorkItem]:
    """The work items of every project the user may see, with project, assignee and
    column joined."""
    return with_extensions(WorkItem.objects.select_related("project", "assignee", "column")).filter(
        project__in=projects_visible_to(user).values("pk")
    )


def work_items_matching(qs: QuerySet[WorkItem], *, text: str) -> QuerySet[WorkItem]:
    """The items of `qs` whose title or description contains `text` (any case)."""
    return qs.filter(Q(title__icontains=text) | Q(description__icontains=text))


def board_work_item(*, project: Project, item_id: int) -> WorkItem | None:
    """One of the project's work items by id, or None when it is not on this board."""
    return WorkItem.objects.filter(project=project, pk=item_id).first()


def work_item_history(*, item: WorkItem, limit: int = 20) -> list[ColumnChange]:
    """The card's latest column moves, newest first, with the column and who moved it."""
    return list(item.column_changes.select_related("to_column", "actor").order_by("-at")[:limit])


def _label_filter(qs, label: str):
    """Items carrying `label`. PostgreSQL asks the JSON array; SQLite stores the list as
    JSON text with non-ASCII escaped (支付 → \\u652f\\u4ed8), so match that spelling."""
    if _json_contains_ok():
        return qs.filter(labels__contains=[label])
    return qs.filter(labels__icontains=json.dumps(label))


def _json_contains_ok() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


@dataclass
class Lane:
    key: str
    label: str
    cells: dict[int, list[WorkItem]] = field(default_factory=lambda: defaultdict(list))
    points: int = 0
    count: int = 0


def board_lanes(
    *, columns: list[WorkflowColumn], items: list[WorkItem], swimlane: str, labels: dict[str, str]
) -> list[Lane]:
    """Group the cards into swimlanes × columns in Python: one query fed them all."""
    lanes: dict[str, Lane] = {}

    def lane_for(item: WorkItem) -> Lane:
        if swimlane == "assignee":
            key = item.assignee.username if item.assignee else ""
            label = item.assignee.label if item.assignee else labels["unassigned"]
        elif swimlane == "priority":
            key, label = item.priority, item.priority
        elif swimlane == "type":
            key, label = item.type, str(item.get_type_display())
        else:
            key, label = "all", ""
        if key not in lanes:
            lanes[key] = Lane(key=key, label=label)
        return lanes[key]

    for item in items:
        lane = lane_for(item)
        lane.cells[item.column_id].append(item)
        lane.points += item.story_points or 0
        lane.count += 1
    if not lanes:
        lanes["all"] = Lane(key="all", label="")
    ordered = sorted(lanes.values(), key=lambda lane: (lane.key == "", lane.key))
    return ordered


def column_counts(*, columns: list[WorkflowColumn], items: list[WorkItem]) -> dict[int, int]:
    counts = {c.pk: 0 for c in columns}
    for item in items:
        counts[item.column_id] = counts.get(item.column_id, 0) + 1
    return counts


def project_cycle_p85_hours(*, project: Project, days: int = 90) -> float | None:
    """P85 cycle time (done − started) in hours of items done in the last `days`."""
    since = clock.now() - timedelta(days=days)
    rows = WorkItem.objects.filter(
        project=project, done_at__gte=since, started_at__isnull=False
    ).values_list("started_at", "done_at")
    # The query leaves out items without both times; the None checks narrow the types.
    hours = [
        (done - started).total_seconds() / 3600
        for started, done in rows
        if started is not None and done is not None and done >= started
    ]
    return percentile(hours, 85)


def velocity_history(*, project: Project, limit: int = 8) -> list[Sprint]:
    closed = list(project.sprints.filter(state=SprintState.CLOSED).order_by("-start")[:limit])
    return list(reversed(closed))


def project_mean_velocity(*, project: Project) -> float | None:
    return mean_velocity([s.completed_points for s in velocity_history(project=project, limit=3)])


def _local_day(dt: datetime, tz) -> date:
    return dt.astimezone(tz).date()


def sprint_burndown(*, sprint: Sprint, today: date | None = None) -> list[BurndownDay]:
    """The sprint's daily burndown, replayed from its scope rows and its items' column
    moves in time order (2 queries, whatever the sprint's size)."""
    project = sprint.project
    tz = zoneinfo.ZoneInfo(project.timezone)
    today = today or project.today()
    if sprint.state == SprintState.PLANNED or sprint.started_at is None:
        committed = (
            WorkItem.objects.filter(sprint=sprint).aggregate(p=Sum("story_points"))["p"] or 0
        )
        return burndown(
            start=sprint.start,
            end=sprint.end,
            committed=committed,
            scope_events=[],
            done_events=[],
            today=sprint.start - timedelta(days=1),
        )
    scope_rows = list(
        SprintScopeChange.objects.filter(sprint=sprint).values_list(
            "at", "points", "after_start", "change", "item_id"
        )
    )
    item_ids = {row[4] for row in scope_rows}
    moves = ColumnChange.objects.filter(item_id__in=item_ids).values_list(
        "at", "item_id", "to_category", "item__story_points"
    )
    if sprint.closed_at:
        moves = moves.filter(at__lte=sprint.closed_at)
    # One timeline: scope rows (kind 0) sort before moves (kind 1) at the same instant.
    scope_entries: list[tuple[datetime, Literal[0], ScopeRow]] = [
        (at, 0, row) for row in scope_rows for at in [row[0]]
    ]
    move_entries: list[tuple[datetime, Literal[1], MoveRow]] = [
        (at, 1, row) for row in moves for at in [row[0]]
    ]
    timeline: list[tuple[datetime, Literal[0], ScopeRow] | tuple[datetime, Literal[1], MoveRow]]
    timeline = sorted([*scope_entries, *move_entries], key=lambda entry: (entry[0], entry[1]))
    committed = 0
    in_sprint: dict[int, bool] = {}
    is_done: dict[int, bool] = {}
    scope_events: list[tuple[date, int]] = []
    done_events: list[tuple[date, int]] = []
    for entry in timeline:
        day = _local_day(entry[0], tz)
        if entry[1] == 0:  # the kind tells the row's shape
            _at, points, after_start, change, item_id = entry[2]
            if not after_start:
                committed += points
                in_sprint[item_id] = True
                if is_done.get(item_id):  # already finished when the sprint started
                    done_events.append((sprint.start, points))
                continue
            scope_events.append((day, points))
            if change == "added":
                in_sprint[item_id] = True
                if is_done.get(item_id):
                    done_events.append((day, points))
            elif change == "removed":
                in_sprint[item_id] = False
                if is_done.get(item_id):
                    done_events.append((day, points))  # points is negative here
        else:
            _at, item_id, category, item_points = entry[2]
            now_done = category == ColumnCategory.DONE
            if in_sprint.get(item_id) and now_done != is_done.get(item_id, False):
                done_events.append((day, (item_points or 0) if now_done else -(item_points or 0)))
            is_done[item_id] = now_done
    last = min(today, sprint.end) if sprint.state == SprintState.ACTIVE else sprint.end
    return burndown(
        start=sprint.start,
        end=sprint.end,
        committed=committed,
        scope_events=scope_events,
        done_events=done_events,
        today=last,
    )


def burndown_points(burn: list[BurndownDay]) -> list[dict[str, Any]]:
    """The burndown as the small charts draw it (stand-up, dashboard): remaining and the
    scope line, so points added after the start show as a step, not as lost progress."""
    return [
        {
            "day": d.day.isoformat(),
            "remaining": d.remaining,
            "ideal": d.ideal,
            "scope": d.scope,
            "added": d.added,
        }
        for d in burn
    ]


@dataclass
class StandupPerson:
    user: Any
    moved: list[Activity] = field(default_factory=list)
    in_progress: list[WorkItem] = field(default_factory=list)
    blocked: list[WorkItem] = field(default_factory=list)
    done_points: int = 0


def standup(
    *, project: Project, sprint: Sprint | None, today: date | None = None
) -> dict[str, Any]:
    """Everything the stand-up walks through, member by member (a fixed number of queries)."""
    tz = zoneinfo.ZoneInfo(project.timezone)
    today = today or project.today()
    since_day = previous_working_day(today)
    since = datetime.combine(since_day, time.min, tzinfo=tz)
    members = [
        m.user
        for m in Membership.objects.filter(project=project)
        .exclude(role="viewer")
        .select_related("user")
        .order_by("user__username")
    ]
    people = {user.pk: StandupPerson(user=user) for user in members}
    items_qs = WorkItem.objects.filter(project=project).select_related(
        "assignee", "column", "project"
    )
    if sprint is not None:
        items_qs = items_qs.filter(sprint=sprint)
    items = list(items_qs.exclude(column__category=ColumnCategory.DONE, done_at__lt=since))
    p85 = project_cycle_p85_hours(project=project)
    now = clock.now()
    unassigned = StandupPerson(user=None)
    blocked_all = []
    for item in items:
        person = people.get(item.assignee_id) if item.assignee_id else unassigned
        if person is None:
            person = unassigned
        item.age_hours = (now - item.column_entered_at).total_seconds() / 3600
        item.in_progress_hours = (
            (now - item.started_at).total_seconds() / 3600 if item.started_at else 0
        )
        item.aging = bool(
            p85
            and item.column.category == ColumnCategory.IN_PROGRESS
            and item.in_progress_hours > p85
        )
        if item.blocked:
            person.blocked.append(item)
            blocked_all.append(item)
        elif item.column.category == ColumnCategory.IN_PROGRESS:
            person.in_progress.append(item)
    moves = (
        Activity.objects.filter(
            project=project,
            at__gte=since,
            verb__in=["work_item.moved", "work_item.created", "work_item.updated"],
        )
        .select_related("actor")
        .order_by("-at")[:300]
    )
    for activity in moves:
        person = people.get(activity.actor_id) if activity.actor_id is not None else None
        if person is not None:
            person.moved.append(activity)
    for person in [*people.values(), unassigned]:
        person.in_progress.sort(key=lambda i: -i.in_progress_hours)
    ordered = sorted(
        people.values(),
        key=lambda p: (not p.blocked, not p.in_progress and not p.moved, p.user.username),
    )
    if unassigned.blocked or unassigned.in_progress:
        ordered.append(unassigned)
    note = StandupNote.objects.filter(project=project, date=today).first()
    return {
        "people": ordered,
        "blocked": sorted(blocked_all, key=lambda i: -i.age_hours),
        "since": since_day,
        "today": today,
        "p85_hours": p85,
        "note": note,
    }


@dataclass(frozen=True)
class SprintProgress:
    """Story points of a sprint's items now, done and in all: the one definition of sprint
    progress read by the board, the stand-up, the sprint page, the portfolio and the report."""

    points_done: int = 0
    points_total: int = 0

    @property
    def points_remaining(self) -> int:
        return self.points_total - self.points_done

    @property
    def percent(self) -> int:
        return round(100 * self.points_done / self.points_total) if self.points_total else 0


def sprint_progress(*, sprints: Iterable[Sprint]) -> dict[int, SprintProgress]:
    """Progress of each sprint, by id (one query for any number of sprints)."""
    ids = [s.pk for s in sprints]
    done: dict[int, int] = dict.fromkeys(ids, 0)
    total: dict[int, int] = dict.fromkeys(ids, 0)
    rows = (
        WorkItem.objects.filter(sprint__in=ids)
        .values("sprint", "column__category")
        .annotate(points=Sum("story_points"))
    )
    for row in rows:
        total[row["sprint"]] += row["points"] or 0
        if row["column__category"] == ColumnCategory.DONE:
            done[row["sprint"]] += row["points"] or 0
    return {pk: SprintProgress(done[pk], total[pk]) for pk in ids}


def sprint_summary(*, sprint: Sprint | None) -> dict[str, Any] | None:
    if sprint is None:
        return None
    progress = sprint_progress(sprints=[sprint])[sprint.pk]
    return {
        "sprint": sprint,
        "days_left": sprint.days_left(sprint.project.today()),
        "points_done": progress.points_done,
        "points_total": progress.points_total,
        "points_remaining": progress.points_remaining,
        "percent": progress.percent,
    }


def backlog_items(*, project: Project) -> QuerySet[WorkItem]:
    """Not done and not in any sprint: what planning chooses from, highest priority first."""
    return (
        WorkItem.objects.filter(project=project, sprint__isnull=True)
        .exclude(column__category=ColumnCategory.DONE)
        .select_related("assignee", "column", "project")
        .order_by("priority", F("rank").asc(), "id")
    )


def open_items_assigned(*, user: Any, project_ids: list[int], limit: int = 10) -> list[WorkItem]:
    """A person's unfinished work items in these projects: most urgent first, blocked
    before the rest, then the longest waiting (the home page's "my work")."""
    return list(
        WorkItem.objects.filter(assignee=user, project_id__in=project_ids)
        .exclude(column__category=ColumnCategory.DONE)
        .select_related("project", "column")
        .order_by("priority", "-blocked", "column_entered_at")[:limit]
    )
