"""Read queries for projects; each returns what the user may see, prefetched."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from portal.models import Activity, Membership, PhaseChange, Project
from portal.permissions import projects_visible_to
from portal.roles import Role

from ..models import WorkflowColumn


def member_count() -> Subquery:
    """Members per project as a subquery: a join would count only the visible rows."""
    return Subquery(
        Membership.objects.filter(project=OuterRef("pk"))
        .values("project")
        .annotate(n=Count("pk"))
        .values("n")[:1],
        output_field=IntegerField(),
    )


def projects_with_member_count(*, user: Any) -> QuerySet[Project]:
    """Every project the user may see, archived ones too, live ones first then by name,
    with the owner joined and `member_count` annotated (one query)."""
    return (
        projects_visible_to(user)
        .select_related("owner")
        .annotate(member_count=member_count())
        .order_by("archived", "name")
    )


def project_details(*, user: Any) -> QuerySet[Project]:
    """`projects_with_member_count` with what a project's detail shows prefetched: its
    phase changes (with who made each) and its board columns in order (three queries)."""
    return projects_with_member_count(user=user).prefetch_related(
        Prefetch("phase_changes", queryset=PhaseChange.objects.select_related("changed_by")),
        Prefetch("columns", queryset=WorkflowColumn.objects.order_by("order", "id")),
    )


def project_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Project]:
    """The projects page's (and home's) list: `projects_with_member_count` narrowed by
    text, phase, health and archived (live ones only unless asked)."""
    filters = filters or {}
    qs = projects_with_member_count(user=user)
    text = (filters.get("q") or "").strip()
    if text:
        qs = qs.filter(
            Q(name__icontains=text) | Q(key__icontains=text) | Q(description__icontains=text)
        )
    if filters.get("phase"):
        qs = qs.filter(phase=filters["phase"])
    if filters.get("health"):
        qs = qs.filter(health=filters["health"])
    archived = filters.get("archived")
    if archived in (None, "", False, "false", "0"):
        qs = qs.filter(archived=False)
    elif archived in ("only",):
        qs = qs.filter(archived=True)
    return qs


def project_members(*, project: Project) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(project=project)
        .select_related("user")
        .annotate(
            role_rank=Case(
                When(role=Role.OWNER, then=Value(0)),
                When(role=Role.MEMBER, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("role_rank", "user__username")
    )


def project_phase_changes(*, project: Project) -> list[PhaseChange]:
    """The project's phase changes, oldest first, with who made each."""
    return list(project.phase_changes.select_related("changed_by"))


def project_activity(*, project: Project) -> QuerySet[Activity]:
    return Activity.objects.filter(project=project).select_related("actor").order_by("-at", "-id")
