"""Reads for the releases portfolio (/releases/) and the executive dashboard's release
tiles: every visible project's releases, sorted into what needs attention now.

A fixed number of queries whatever the number of releases: the releases with their
project and who stopped them, then their stages, then the stages' guards (with the KPI).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.models import Project
from portal.permissions import projects_visible_to

from .models import Operator, Release, ReleaseState, RolloutStage, StageGuard, StageState

# "Recently released": what shipped in the last 30 days.
RECENT_DAYS = 30
# States a release still moves on from (the portfolio's live sections).
LIVE_STATES = (
    ReleaseState.PLANNED,
    ReleaseState.IN_PROGRESS,
    ReleaseState.GRAY,
    ReleaseState.HALTED,
)


def release_page_url(project_key: str, version: str) -> str:
    """The release's own page."""
    return reverse("releases:detail", args=[project_key, version])


def guard_label(guard: StageGuard) -> str:
    """`error_rate ≤ 0.5`, `转化率 ≥ 95 % of baseline`: what the guard holds the stage to."""
    name = guard.kpi.name if guard.kpi_id and guard.kpi else guard.metric
    op = "≤" if guard.operator == Operator.AT_MOST else "≥"
    threshold = f"{guard.threshold.normalize():f}"
    if guard.of_baseline:
        return _("%(name)s %(op)s %(threshold)s %% of the baseline") % {
            "name": name,
            "op": op,
            "threshold": threshold,
        }
    return f"{name} {op} {threshold}"


@dataclass(frozen=True)
class ReleaseRow:
    """One release as the portfolio shows it."""

    release: Release
    url: str
    # Where the traffic is: the running or halted stage, else the last one passed.
    stage: RolloutStage | None
    # The stage that starts next (a release between two stages waits for it).
    next_stage: RolloutStage | None
    guards: list[str] = field(default_factory=list)
    overdue: bool = False

    @property
    def project(self) -> Project:
        return self.release.project


@dataclass
class Portfolio:
    halted: list[ReleaseRow]
    gray: list[ReleaseRow]
    this_week: list[ReleaseRow]
    planned: list[ReleaseRow]
    released: list[ReleaseRow]
    week_start: date
    week_end: date

    @property
    def total(self) -> int:
        return sum(
            len(rows)
            for rows in (self.halted, self.gray, self.this_week, self.planned, self.released)
        )


def portfolio_projects_for(*, user: Any) -> list[Project]:
    """The projects whose releases the user may see, by key (the portfolio's filter)."""
    return list(projects_visible_to(user).order_by("key"))


def _portfolio_releases(
    *, user: Any, project: Project | None, released_since: datetime
) -> QuerySet[Release]:
    visible = projects_visible_to(user).values("pk")
    qs = Release.objects.filter(project__in=visible).filter(
        Q(state__in=LIVE_STATES) | Q(state=ReleaseState.RELEASED, released_at__gte=released_since)
    )
    if project is not None:
        qs = qs.filter(project=project)
    return qs.select_related("project", "stopped_by").prefetch_related(
        Prefetch(
            "stages",
            queryset=RolloutStage.objects.order_by("position").prefetch_related(
                Prefetch("guards", queryset=StageGuard.objects.select_related("kpi").order_by("id"))
            ),
        )
    )


def live_stage(stages: Sequence[RolloutStage]) -> RolloutStage | None:
    """The stage the traffic is on (`stages` in order): running or halted, else the last
    one passed; None before the first stage starts."""
    for stage in stages:
        if stage.state in (StageState.RUNNING, StageState.HALTED):
            return stage
    passed = [s for s in stages if s.state == StageState.PASSED]
    return passed[-1] if passed else None


def _row(release: Release, today: date) -> ReleaseRow:
    stages = list(release.stages.all())
    stage = live_stage(stages)
    pending = next((s for s in stages if s.state == StageState.PENDING), None)
    watched = stage if stage is not None and stage.state != StageState.PASSED else pending
    return ReleaseRow(
        release=release,
        url=release_page_url(release.project.key, release.version),
        stage=stage,
        next_stage=pending,
        guards=[guard_label(g) for g in watched.guards.all()] if watched else [],
        overdue=release.target_date is not None and release.target_date < today,
    )


def release_portfolio(
    *, user: Any, today: date, now: datetime, project: Project | None = None
) -> Portfolio:
    """The visible releases (of `project` only, when given) by what needs attention:
    halted, in gray, due this week (Monday–Sunday around `today`, not final), planned (by
    target date, undated last) and released in the last 30 days. A release due this week
    is listed there and not again under "planned"; halted and gray ones are listed by
    their state and, when due this week, there too."""
    week_start = today - timedelta(days=today.weekday())
    week_end = week_start + timedelta(days=6)
    rows = [
        _row(r, today)
        for r in _portfolio_releases(
            user=user, project=project, released_since=now - timedelta(days=RECENT_DAYS)
        )
    ]

    def by_version(row: ReleaseRow) -> tuple[str, str]:
        return (row.project.key, row.release.version)

    def state(*states: str) -> list[ReleaseRow]:
        return [r for r in rows if r.release.state in states]

    def due_this_week(row: ReleaseRow) -> bool:
        target = row.release.target_date
        return not row.release.is_final and target is not None and week_start <= target <= week_end

    halted = sorted(
        state(ReleaseState.HALTED),
        key=lambda r: (r.release.stopped_at or now, by_version(r)),
        reverse=True,
    )
    gray = sorted(
        state(ReleaseState.GRAY),
        key=lambda r: ((r.stage.started_at or now) if r.stage else now, by_version(r)),
    )
    this_week = sorted(
        (r for r in rows if due_this_week(r)),
        key=lambda r: (r.release.target_date, by_version(r)),
    )
    planned = sorted(
        (r for r in state(ReleaseState.PLANNED, ReleaseState.IN_PROGRESS) if not due_this_week(r)),
        key=lambda r: (
            r.release.target_date is None,
            r.release.target_date or today,
            by_version(r),
        ),
    )
    released = sorted(
        state(ReleaseState.RELEASED),
        key=lambda r: (r.release.released_at or now, by_version(r)),
        reverse=True,
    )
    return Portfolio(
        halted=halted,
        gray=gray,
        this_week=this_week,
        planned=planned,
        released=released,
        week_start=week_start,
        week_end=week_end,
    )


def releases_in_flight(*, project_ids: Sequence[int]) -> list[Release]:
    """The releases of these projects in gray or halted, halted first, each with
    `stage_percent`, the traffic share of the stage it is on (running or halted, else the
    last passed). One query."""
    on_stage = (
        RolloutStage.objects.filter(release=OuterRef("pk"))
        .exclude(state=StageState.PENDING)
        .order_by("-position")
        .values("percent")[:1]
    )
    releases = (
        Release.objects.filter(
            project_id__in=list(project_ids), state__in=[ReleaseState.HALTED, ReleaseState.GRAY]
        )
        .select_related("project")
        .annotate(stage_percent=Subquery(on_stage))
    )
    return sorted(
        releases,
        key=lambda r: (r.state != ReleaseState.HALTED, r.project.key, r.version),
    )
