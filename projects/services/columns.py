"""Board writes: the project lock and the workflow columns.

Every change to a project's board order takes the project row lock first
(`lock_project`), so two people dragging cards at the same time are applied one after
the other: no move is lost and ranks never collide.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max, Min
from django.utils.translation import gettext as _

from portal.activity import activity_record
from portal.errors import ApplicationError
from portal.models import Project

from ..calculations import RANK_GAP
from ..models import DEFAULT_COLUMNS, ColumnCategory, WorkflowColumn, WorkItem


def lock_project(project: Project) -> None:
    Project.objects.select_for_update().filter(pk=project.pk).first()


# ---------------------------------------------------------------- columns


def columns_create_default(*, project: Project, language: str = "zh-hans") -> list[WorkflowColumn]:
    zh = language.startswith("zh")
    return WorkflowColumn.objects.bulk_create(
        WorkflowColumn(
            project=project, name=zh_name if zh else en_name, category=category, order=index
        )
        for index, (zh_name, en_name, category) in enumerate(DEFAULT_COLUMNS)
    )


@transaction.atomic
def column_create(
    *,
    project: Project,
    actor: Any,
    name: str,
    category: str,
    wip_limit: int | None = None,
    wip_enforced: bool = False,
) -> WorkflowColumn:
    lock_project(project)
    order = (project.columns.aggregate(m=Max("order"))["m"] or 0) + 1
    column = WorkflowColumn(
        project=project,
        name=name.strip(),
        category=category,
        order=order,
        wip_limit=wip_limit,
        wip_enforced=wip_enforced,
    )
    _clean_column(column)
    column.save()
    activity_record(actor=actor, verb="column.created", target=column, project=project)
    return column


def _clean_column(column: WorkflowColumn) -> None:
    if (
        WorkflowColumn.objects.filter(project=column.project, name=column.name)
        .exclude(pk=column.pk)
        .exists()
    ):
        raise ApplicationError(_("This board already has a column with this name."), field="name")
    column.full_clean(exclude=["project"], validate_unique=False, validate_constraints=False)


@transaction.atomic
def column_update(*, column: WorkflowColumn, actor: Any, **changes: Any) -> WorkflowColumn:
    allowed = {"name", "category", "wip_limit", "wip_enforced"}
    lock_project(column.project)
    column = WorkflowColumn.objects.select_related("project").get(pk=column.pk)
    before, after = {}, {}
    for field, value in changes.items():
        if field not in allowed:
            raise ApplicationError(_("This field cannot be changed."), field=field)
        if getattr(column, field) != value:
            before[field], after[field] = getattr(column, field), value
            setattr(column, field, value)
    if not after:
        return column
    if "category" in after:
        _keep_todo_and_done(column.project, changing=column, new_category=column.category)
    _clean_column(column)
    column.save()
    activity_record(
        actor=actor,
        verb="column.updated",
        target=column,
        project=column.project,
        before=before,
        after=after,
    )
    return column


def _keep_todo_and_done(
    project: Project, *, changing: WorkflowColumn, new_category: str | None
) -> None:
    """A board needs at least one to-do and one done column for work to enter and finish."""
    categories = [
        (new_category if c.pk == changing.pk else c.category)
        for c in project.columns.all()
        if new_category is not None or c.pk != changing.pk
    ]
    if ColumnCategory.TODO not in categories or ColumnCategory.DONE not in categories:
        raise ApplicationError(
            _("A board needs at least one “to do” and one “done” column."), field="category"
        )


@transaction.atomic
def column_delete(*, column: WorkflowColumn, actor: Any) -> None:
    lock_project(column.project)
    if column.items.exists():
        raise ApplicationError(
            _("Move the cards out of this column before deleting it."), field="column"
        )
    _keep_todo_and_done(column.project, changing=column, new_category=None)
    activity_record(actor=actor, verb="column.deleted", target=column, project=column.project)
    column.delete()


@transaction.atomic
def columns_reorder(*, project: Project, actor: Any, column_ids: list[int]) -> None:
    lock_project(project)
    existing = list(project.columns.values_list("pk", flat=True))
    if sorted(existing) != sorted(column_ids):
        raise ApplicationError(
            _("The list must name each column of this board once."), field="columns"
        )
    for order, pk in enumerate(column_ids):
        WorkflowColumn.objects.filter(pk=pk).update(order=order)
    activity_record(
        actor=actor,
        verb="columns.reordered",
        target=project,
        project=project,
        after={"columns": column_ids},
    )


# ---------------------------------------------------------------- ranks in a column


def _rank_above(column, rank: int, *, exclude: int) -> int | None:
    return (
        WorkItem.objects.filter(column=column, rank__lt=rank)
        .exclude(pk=exclude)
        .aggregate(m=Max("rank"))["m"]
    )


def _rank_below(column, rank: int, *, exclude: int) -> int | None:
    return (
        WorkItem.objects.filter(column=column, rank__gt=rank)
        .exclude(pk=exclude)
        .aggregate(m=Min("rank"))["m"]
    )


def _renumber(column, *, exclude: int | None) -> None:
    """Spread a column's ranks out again (rare: only when two neighbours touch)."""
    cards = WorkItem.objects.filter(column=column)
    if exclude is not None:
        cards = cards.exclude(pk=exclude)
    items = list(cards.order_by("rank", "id"))
    for index, neighbour in enumerate(items, start=1):
        neighbour.rank = index * RANK_GAP
    WorkItem.objects.bulk_update(items, ["rank"], batch_size=500)
