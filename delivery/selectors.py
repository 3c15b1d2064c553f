"""Reads for releases: what blocks a go, the guards' current values, freeze windows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Q, QuerySet

from kpis.models import KPIDataPoint
from portal.models import Project
from risks.models import Level, Risk, Status

from .models import Check, FreezeWindow, Release, StageGuard, StageMetric

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
