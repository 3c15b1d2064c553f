"""Reads for the release pages: a project's releases with their progress, one release with
its stages, guards, work and history, and what a card shows about its release. Each read
is a fixed number of queries, whatever the number of items a release ships."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from kpis.models import KPI, KPIDataPoint
from portal.activity import activity_for_target
from portal.models import Activity, Project, User
from projects.models import WorkItem
from requirements.models import Requirement

from .models import (
    FINAL_STATES,
    FreezeWindow,
    Operator,
    Release,
    RolloutStage,
    StageGuard,
    StageMetric,
)

HISTORY_ROWS = 50
# How many candidates the "add work" field suggests (the newest open ones).
SUGGESTIONS = 200


def _items_of(release_ref) -> QuerySet[WorkItem]:
    return WorkItem.objects.filter(releases=release_ref)


def _count(qs: QuerySet) -> Subquery:
    return Subquery(
        qs.order_by().values("project_id").annotate(n=Count("pk")).values("n")[:1],
        output_field=IntegerField(),
    )


def _points(qs: QuerySet) -> Subquery:
    return Subquery(
        qs.order_by().values("project_id").annotate(n=Sum("story_points")).values("n")[:1],
        output_field=IntegerField(),
    )


def with_progress(qs: QuerySet[Release]) -> QuerySet[Release]:
    """Each release with `items_total`, `items_done`, `points_total`, `points_done` and
    `requirements_total`: correlated subqueries, so one query for any number of rows."""
    items = _items_of(OuterRef("pk"))
    done = items.filter(done_at__isnull=False)
    return qs.annotate(
        items_total=Coalesce(_count(items), Value(0)),
        items_done=Coalesce(_count(done), Value(0)),
        points_total=Coalesce(_points(items), Value(0)),
        points_done=Coalesce(_points(done), Value(0)),
        requirements_total=Coalesce(
            _count(Requirement.objects.filter(releases=OuterRef("pk"))), Value(0)
        ),
    )


def project_releases(*, project: Project, show: str = "open") -> list[Release]:
    """The project's releases for its release list: open ones (not released, rolled back or
    cancelled) by target date, or all of them newest first; stages prefetched."""
    qs = Release.objects.filter(project=project).select_related("project", "stopped_by")
    if show == "open":
        qs = qs.exclude(state__in=FINAL_STATES).order_by("target_date", "created_at", "id")
    elif show == "closed":
        qs = qs.filter(state__in=FINAL_STATES).order_by("-updated_at", "-id")
    else:
        qs = qs.order_by("-created_at", "-id")
    qs = qs.prefetch_related(Prefetch("stages", queryset=RolloutStage.objects.order_by("position")))
    return list(with_progress(qs))


def release_counts(*, project: Project) -> dict[str, int]:
    """How many releases the list's tabs hold."""
    rows = Release.objects.filter(project=project).values("state").annotate(n=Count("pk"))
    counts = {"open": 0, "closed": 0, "all": 0}
    for row in rows:
        key = "closed" if row["state"] in FINAL_STATES else "open"
        counts[key] += row["n"]
        counts["all"] += row["n"]
    return counts


def release_for_page(*, project: Project, version: str) -> Release | None:
    """One release with everything its page shows about the release itself and its
    rollout (stages, their people and guards with their KPI)."""
    stages = RolloutStage.objects.order_by("position").select_related("started_by", "ended_by")
    # Each guard with its current reading: the KPI's latest point, or the latest value
    # pushed for its metric during its stage.
    guards = (
        StageGuard.objects.order_by("id")
        .select_related("kpi")
        .annotate(
            kpi_value=Subquery(
                KPIDataPoint.objects.filter(kpi_id=OuterRef("kpi_id"))
                .order_by("-date", "-id")
                .values("value")[:1]
            ),
            pushed_value=Subquery(
                StageMetric.objects.filter(stage_id=OuterRef("stage_id"), metric=OuterRef("metric"))
                .order_by("-at", "-id")
                .values("value")[:1]
            ),
        )
    )
    return (
        with_progress(Release.objects.filter(project=project, version=version))
        .select_related(
            "project",
            "created_by",
            "stopped_by",
            "risks_accepted_by",
            "hotfix_approved_by",
        )
        .prefetch_related(
            Prefetch("stages", queryset=stages.prefetch_related(Prefetch("guards", guards)))
        )
        .first()
    )


def release_work_items(*, release: Release) -> list[WorkItem]:
    """The release's work items: open ones first, then by number."""
    return list(
        WorkItem.objects.filter(releases=release)
        # The requirement each delivers: the release notes group the items by it.
        .select_related("project", "column", "assignee", "requirement_link")
        .order_by(F("done_at").asc(nulls_first=True), "number", "id")
    )


def release_requirements(*, release: Release) -> list[Requirement]:
    return list(
        Requirement.objects.filter(releases=release).select_related("project").order_by("number")
    )


def release_history(*, release: Release) -> list[Activity]:
    return list(activity_for_target(release)[:HISTORY_ROWS])


@dataclass
class GuardReading:
    guard: StageGuard
    value: Decimal | None
    limit: Decimal | None

    @property
    def holds(self) -> bool | None:
        """True/False once both a value and a limit are known, else None."""
        if self.value is None or self.limit is None:
            return None
        if self.guard.operator == Operator.AT_MOST:
            return self.value <= self.limit
        return self.value >= self.limit


def guard_reading(guard: StageGuard) -> GuardReading:
    """A guard read by `release_for_page`: its current value (annotated) and its limit."""
    value = guard.kpi_value if guard.kpi_id else guard.pushed_value  # type: ignore[attr-defined]
    if guard.of_baseline:
        limit = guard.baseline * guard.threshold / 100 if guard.baseline is not None else None
    else:
        limit = guard.threshold
    return GuardReading(guard=guard, value=value, limit=limit)


def freeze_windows_ahead(*, project: Project, now: datetime, limit: int = 5) -> list[FreezeWindow]:
    """The project's and the site's freeze windows now running or still to come."""
    return list(
        FreezeWindow.objects.filter(Q(project=project) | Q(project__isnull=True))
        .filter(ends_at__gt=now)
        .select_related("project")
        .order_by("starts_at", "id")[:limit]
    )


def open_releases(*, project: Project) -> list[Release]:
    """The releases work can still be added to, soonest first."""
    return list(
        Release.objects.filter(project=project)
        .exclude(state__in=FINAL_STATES)
        .order_by("target_date", "created_at", "id")
    )


def guard_kpis(*, project: Project) -> QuerySet[KPI]:
    """The KPIs a stage of this project may be guarded by: its own and company-wide ones."""
    return KPI.objects.filter(Q(project=project) | Q(project__isnull=True)).order_by("name", "id")


def scope_suggestions(*, release: Release) -> list[tuple[str, str]]:
    """(key, title) of open work items and requirements not yet in the release, newest
    first, for the "add work" field's completion."""
    project = release.project
    items = (
        WorkItem.objects.filter(project=project, done_at__isnull=True)
        .exclude(releases=release)
        .order_by("-number")
        .values_list("number", "title")[:SUGGESTIONS]
    )
    requirements = (
        Requirement.objects.filter(project=project)
        .exclude(releases=release)
        .exclude(status__in=("rejected", "delivered"))
        .order_by("-number")
        .values_list("number", "title")[:SUGGESTIONS]
    )
    return [(f"{project.key}-R{n}", t) for n, t in requirements] + [
        (f"{project.key}-{n}", t) for n, t in items
    ]


def work_item_releases(*, item: WorkItem) -> list[Release]:
    """The releases a work item ships in, newest first."""
    return list(Release.objects.filter(work_items=item).order_by("-created_at", "-id"))


def with_release_version(qs: QuerySet[WorkItem]) -> QuerySet[WorkItem]:
    """Work items with `release_version` and `release_state`: the newest release each ships
    in (a correlated subquery: one query for a board of any size)."""
    newest = Release.objects.filter(work_items=OuterRef("pk")).order_by("-created_at", "-id")
    return qs.annotate(
        release_version=Subquery(newest.values("version")[:1]),
        release_state=Subquery(newest.values("state")[:1]),
    )


def checklist_people(*, release: Release) -> dict[int, Any]:
    """The people who ticked the release's go/no-go items, by id."""
    ids = {
        v["by"]
        for v in (release.checklist or {}).values()
        if isinstance(v, dict) and isinstance(v.get("by"), int)
    }
    if not ids:
        return {}
    return {u.pk: u for u in User.objects.filter(pk__in=ids)}


def project_requirements_by_id(*, project: Project, ids: list[int]) -> list[Requirement]:
    """The project's requirements among `ids` (others' are left out: the caller compares)."""
    return list(Requirement.objects.filter(project=project, pk__in=ids).select_related("project"))
