"""Reads for releases: what blocks a go, the guards' current values, freeze windows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from kpis.models import KPIDataPoint
from portal.models import Project
from portal.permissions import projects_visible_to
from projects.models import WorkItem
from requirements.models import Requirement
from risks.models import Level, Risk, Status

from .models import (
    Check,
    FreezeWindow,
    Release,
    RolloutStage,
    StageGuard,
    StageMetric,
    StageState,
)

# A risk still threatens the release in these states (accepted and closed ones do not).
THREATENING = (Status.OPEN, Status.MITIGATING, Status.OCCURRED)


def release_risks(*, release: Release) -> QuerySet[Risk]:
    """Risks linked to the release's work items or requirements, worst first."""
    return (
        Risk.objects.filter(
            Q(work_items__in=release.work_items.all())
            | Q(requirements__in=release.requirements.all())
        )
        .distinct()
        .select_related("project", "owner")
        .order_by("-score", "number")
    )


@dataclass
class GoNoGo:
    """Whether the first stage may start, and why not."""

    enforced: bool  # only a release touching a critical path is held to it
    missing: list[str] = field(default_factory=list)  # Check values not ticked
    blocking_risks: list[Risk] = field(default_factory=list)
    risks_accepted: bool = False

    @property
    def ready(self) -> bool:
        if not self.enforced:
            return True
        return not self.missing and (not self.blocking_risks or self.risks_accepted)


def go_no_go(*, release: Release) -> GoNoGo:
    risks = list(release_risks(release=release))
    compliance = any(r.category == "compliance" or r.regime for r in risks)
    required = [c for c in Check.values if c != Check.COMPLIANCE_SIGNOFF or compliance]
    ticked = release.checklist or {}
    blocking = [
        r for r in risks if r.level in (Level.HIGH, Level.CRITICAL) and r.status in THREATENING
    ]
    return GoNoGo(
        enforced=bool(release.critical_paths),
        missing=[c for c in required if c not in ticked],
        blocking_risks=blocking,
        risks_accepted=bool(release.risks_accepted_reason),
    )


def freeze_window_at(*, project: Project, at: datetime) -> FreezeWindow | None:
    """The project's or a site-wide freeze window covering `at`, if any."""
    return (
        FreezeWindow.objects.filter(Q(project=project) | Q(project__isnull=True))
        .filter(starts_at__lte=at, ends_at__gt=at)
        .order_by("ends_at")
        .last()
    )


def guard_value(guard: StageGuard) -> Decimal | None:
    """The guard's current reading: the KPI's latest point, or the latest value pushed for
    the metric during this stage."""
    if guard.kpi_id is not None:
        point = (
            KPIDataPoint.objects.filter(kpi_id=guard.kpi_id).order_by("-date").only("value").first()
        )
        return point.value if point else None
    pushed = (
        StageMetric.objects.filter(stage_id=guard.stage_id, metric=guard.metric)
        .order_by("-at", "-id")
        .only("value")
        .first()
    )
    return pushed.value if pushed else None


# ---------------------------------------------------------------- the API's reads


def releases_visible_to(*, user: Any) -> QuerySet[Release]:
    """The releases of every project the user may see, with their stages and guards and
    the ids of what they ship prefetched: a fixed number of queries for any list."""
    return (
        Release.objects.filter(project__in=projects_visible_to(user).values("pk"))
        .select_related("project", "stopped_by")
        .prefetch_related(
            Prefetch(
                "stages",
                queryset=RolloutStage.objects.order_by("position").prefetch_related(
                    Prefetch("guards", queryset=StageGuard.objects.order_by("id"))
                ),
            ),
            Prefetch("work_items", queryset=WorkItem.objects.only("id").order_by("id")),
            Prefetch("requirements", queryset=Requirement.objects.only("id").order_by("id")),
        )
    )


def release_visible_to(*, user: Any, pk: int) -> Release | None:
    """One release as `releases_visible_to` reads it (the answer after a change)."""
    return releases_visible_to(user=user).filter(pk=pk).first()


def current_stage(stages: Iterable[RolloutStage]) -> RolloutStage | None:
    """The running or halted stage, else the next pending one (`stages` in order)."""
    ordered = list(stages)
    for stage in ordered:
        if stage.state in (StageState.RUNNING, StageState.HALTED):
            return stage
    return next((s for s in ordered if s.state == StageState.PENDING), None)


def release_notes_content(*, release: Release) -> tuple[list[Requirement], list[WorkItem]]:
    """What the release notes tell: its requirements (by number) and its work items (by
    key), each item with the requirement it delivers. Two queries."""
    # From the models, not the release's managers: the release may carry prefetched ids.
    requirements = list(
        Requirement.objects.filter(releases=release)
        .select_related("project")
        .order_by("number", "id")
    )
    items = list(
        WorkItem.objects.filter(releases=release)
        .select_related("project", "requirement_link")
        .order_by("number", "id")
    )
    return requirements, items


def freeze_windows_visible_to(
    *, user: Any, project_id: int | None = None
) -> QuerySet[FreezeWindow]:
    """Site-wide freeze windows and those of the user's projects; with `project_id`, the
    windows that apply to that project (its own and the site-wide ones)."""
    visible = projects_visible_to(user).values("pk")
    qs = FreezeWindow.objects.filter(Q(project__isnull=True) | Q(project__in=visible))
    if project_id is not None:
        qs = qs.filter(Q(project__isnull=True) | Q(project_id=project_id))
    return qs.select_related("project").order_by("starts_at", "id")
