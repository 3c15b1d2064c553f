"""Sprint reads for the sprint pages: the list, the sprint page, planning and the
retrospective. Each costs a fixed number of queries, whatever the number of items."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, Sum

from portal.models import Project
from portal.permissions import projects_visible_to

from ..models import RetroItem, Retrospective, Sprint, SprintScopeChange, SprintState, WorkItem


def sprints_visible_to(*, user: Any) -> QuerySet[Sprint]:
    """The sprints of every project the user may see, with the project joined."""
    return Sprint.objects.select_related("project").filter(
        project__in=projects_visible_to(user).values("pk")
    )


def project_sprints(*, project: Project) -> QuerySet[Sprint]:
    """The project's sprints with the project joined: the queryset a sprint is looked up
    in by id, so a sprint of another project is never found. The caller has authorised
    the project."""
    return Sprint.objects.select_related("project").filter(project=project)


def project_sprint(*, project: Project, sprint_id: int) -> Sprint | None:
    """One of the project's sprints by id, or None when it is not the project's."""
    return project.sprints.filter(pk=sprint_id).first()


def open_sprints(*, project: Project) -> list[Sprint]:
    """The project's planned and active sprints, earliest start first."""
    return list(project.sprints.exclude(state=SprintState.CLOSED).order_by("start"))


def sprint_list(*, project: Project) -> list[Sprint]:
    """The project's sprints, newest first, each with `planned_points`: the story points
    of the items now in it (2 queries, whatever the number of sprints)."""
    sprints = list(project.sprints.order_by("-start"))
    points = {
        row["sprint"]: row["points"]
        for row in WorkItem.objects.filter(sprint__project=project)
        .values("sprint")
        .annotate(points=Sum("story_points"))
    }
    for sprint in sprints:
        # Read by the template only: Sprint declares no such attribute for mypy.
        sprint.planned_points = points.get(sprint.pk) or 0  # type: ignore[attr-defined]
    return sprints


def sprint_items(*, sprint: Sprint) -> list[WorkItem]:
    """The sprint's items in board order (column, then rank)."""
    return list(
        WorkItem.objects.filter(sprint=sprint)
        .select_related("assignee", "column", "project")
        .order_by("column__order", "rank")
    )


def sprint_items_by_priority(*, sprint: Sprint) -> list[WorkItem]:
    """The sprint's items as planning lists them: highest priority first, then rank."""
    return list(
        WorkItem.objects.filter(sprint=sprint)
        .select_related("assignee", "column", "project")
        .order_by("priority", "rank")
    )


def sprint_scope_added(*, sprint: Sprint) -> list[SprintScopeChange]:
    """Scope changes made after the sprint started, oldest first, with their items."""
    return list(
        SprintScopeChange.objects.filter(sprint=sprint, after_start=True)
        .select_related("item")
        .order_by("at")
    )


def retrospectives_visible_to(*, user: Any) -> QuerySet[Retrospective]:
    """The retrospectives of every project the user may see, latest sprint first, with
    the sprint and its project joined and the items with their authors prefetched."""
    return (
        Retrospective.objects.select_related("sprint", "sprint__project")
        .prefetch_related("items", "items__author")
        .filter(sprint__project__in=projects_visible_to(user).values("pk"))
        .order_by("-sprint__start")
    )


def retrospective_items(*, retrospective: Retrospective) -> QuerySet[RetroItem]:
    """The retrospective's items with their author (to be paginated)."""
    return retrospective.items.select_related("author")


def retro_items(*, sprint: Sprint) -> list[RetroItem]:
    """The items of the sprint's retrospective (none before it has one), with their
    author, owner and work item (at most 2 queries)."""
    retro = Retrospective.objects.filter(sprint=sprint).first()
    if retro is None:
        return []
    return list(retrospective_items(retrospective=retro).select_related("owner", "work_item"))
