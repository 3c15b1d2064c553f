"""Builders for boards, sprints and work items, through the real services.

Everything here writes as a person would (services, so activity rows, column history
and scope changes exist), except `bulk_items`, which inserts thousands of cards in one
statement for the query-budget tests. `make_item` and `make_sprint` are the short forms
of `WorkItemFactory` and `SprintFactory` (tests/projects/factories.py).
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from portal import clock
from portal.models import Project
from projects import services
from projects.calculations import RANK_GAP
from projects.models import ColumnCategory, Sprint, WorkflowColumn, WorkItem
from tests.projects.factories import SprintFactory, WorkItemFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

# The default board of a project created in Chinese (tests/conftest.py's MALL).
TODO, DOING, REVIEW, TESTING, DONE = "待办", "进行中", "评审中", "测试中", "已完成"


def column(project: Project, name: str) -> WorkflowColumn:
    return WorkflowColumn.objects.get(project=project, name=name)


def columns(project: Project) -> dict[str, WorkflowColumn]:
    return {c.name: c for c in project.columns.order_by("order", "id")}


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """An aware datetime on `day` at `hour`:`minute` Shanghai time (MALL's time zone)."""
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def make_item(
    project: Project, actor, title: str | None = None, *, when=None, **kwargs
) -> WorkItem:
    """A card created through `work_item_create` (optionally at a pinned time)."""
    if title:
        kwargs["title"] = title
    return WorkItemFactory(project=project, actor=actor, when=when, **kwargs)


def move(item: WorkItem, to: WorkflowColumn | str, actor, *, when=None, **kwargs) -> WorkItem:
    if isinstance(to, str):
        to = column(item.project, to)
    if when is None:
        return services.work_item_move(item=item, column=to, actor=actor, **kwargs)
    with clock.frozen_at(when):
        return services.work_item_move(item=item, column=to, actor=actor, **kwargs)


def make_sprint(
    project: Project,
    actor,
    start: date | None = None,
    *,
    weeks: int = 2,
    name: str | None = None,
    goal: str = "",
) -> Sprint:
    """A planned sprint created through `sprint_create`, `weeks` long from `start` (today)."""
    given = {"start": start, "name": name}
    return SprintFactory(
        project=project,
        actor=actor,
        weeks=weeks,
        goal=goal,
        **{k: v for k, v in given.items() if v},
    )


def start_sprint(sprint: Sprint, actor, *, when=None) -> Sprint:
    if when is None:
        return services.sprint_start(sprint=sprint, actor=actor)
    with clock.frozen_at(when):
        return services.sprint_start(sprint=sprint, actor=actor)


def close_sprint(sprint: Sprint, actor, *, carry_to=None, when=None) -> Sprint:
    if when is None:
        return services.sprint_close(sprint=sprint, actor=actor, carry_to=carry_to)
    with clock.frozen_at(when):
        return services.sprint_close(sprint=sprint, actor=actor, carry_to=carry_to)


def ordered_titles(col: WorkflowColumn) -> list[str]:
    """The cards of a column top to bottom, as the board shows them."""
    return list(
        WorkItem.objects.filter(column=col).order_by("rank", "id").values_list("title", flat=True)
    )


def bulk_items(
    project: Project,
    count: int,
    *,
    sprint: Sprint | None = None,
    assignees: list | None = None,
    start_number: int | None = None,
    categories: tuple[str, ...] = (
        ColumnCategory.TODO,
        ColumnCategory.IN_PROGRESS,
        ColumnCategory.DONE,
    ),
) -> list[WorkItem]:
    """`count` cards spread over the board's columns in one INSERT (no history rows)."""
    cols = [c for c in project.columns.order_by("order", "id") if c.category in categories]
    assignees = assignees or [None]
    now = timezone.now()
    first = start_number
    if first is None:
        last = WorkItem.objects.filter(project=project).order_by("-number").first()
        first = last.number + 1 if last else 1
    items = []
    for i in range(count):
        col = cols[i % len(cols)]
        in_progress = col.category != ColumnCategory.TODO
        items.append(
            WorkItem(
                project=project,
                number=first + i,
                type=("story", "task", "bug")[i % 3],
                title=f"批量卡片 {first + i}",
                column=col,
                rank=(i + 1) * RANK_GAP,
                sprint=sprint,
                assignee=assignees[i % len(assignees)],
                story_points=(1, 2, 3, 5, 8)[i % 5],
                priority=("P0", "P1", "P2", "P3")[i % 4],
                labels=["批量"] if i % 2 else [],
                blocked=i % 97 == 0,
                blocked_reason="等待接口" if i % 97 == 0 else "",
                created_at=now - timedelta(days=3),
                column_entered_at=now - timedelta(hours=i % 50),
                started_at=now - timedelta(days=2) if in_progress else None,
                done_at=now - timedelta(hours=1) if col.category == ColumnCategory.DONE else None,
            )
        )
    return WorkItem.objects.bulk_create(items, batch_size=1000)
