"""Reads for KPI tiles and OKR boards: a fixed number of queries for any number of rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from kpis.models import KPI, KPIDataPoint
from portal import clock
from portal.models import Membership, Project
from portal.permissions import can_edit, projects_visible_to
from projects.models import Sprint, SprintState, WorkItem
from projects.selectors.board import sprint_progress
from risks.models import ACTIVE_STATUSES, Risk

from .calculations import (
    elapsed_fraction,
    kpi_status,
    kr_progress,
    objective_progress,
    track_status,
)
from .engineering import days_figure
from .models import CheckIn, DailyReport, KeyResult, Objective, ProjectSnapshot
from .permissions import kpis_visible_to, objectives_visible_to


class LatestPoints(TypedDict):
    """What kpi_list annotates on each KPI: its latest two data points."""

    latest_value: Decimal | None
    latest_date: date | None
    previous_value: Decimal | None


if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    KPIWithLatest = WithAnnotations[KPI, LatestPoints]


def _latest(field: str) -> Subquery:
    return Subquery(
        KPIDataPoint.objects.filter(kpi=OuterRef("pk")).order_by("-date").values(field)[:1]
    )


def _previous(field: str) -> Subquery:
    return Subquery(
        KPIDataPoint.objects.filter(kpi=OuterRef("pk")).order_by("-date").values(field)[1:2]
    )


def kpi_list(
    *, user: Any, project: Any = None, company_only: bool = False
) -> QuerySet[KPIWithLatest]:
    qs = (
        kpis_visible_to(user)
        .select_related("project")
        .annotate(
            latest_value=_latest("value"),
            latest_date=_latest("date"),
            previous_value=_previous("value"),
        )
    )
    if project is not None:
        qs = qs.filter(project=project)
    elif company_only:
        qs = qs.filter(project__isnull=True)
    return qs.order_by("project_id", "name", "id")


def with_tiles(kpis: list[KPIWithLatest], *, days: int = 30) -> list[KPIWithLatest]:
    """Add status, change vs the previous point and a sparkline (one query for all)."""
    since = clock.now().date() - timedelta(days=days)
    series: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for kpi_id, day, value in (
        KPIDataPoint.objects.filter(kpi__in=[k.pk for k in kpis], date__gte=since)
        .order_by("date")
        .values_list("kpi_id", "date", "value")
    ):
        series[kpi_id].append((day.isoformat(), float(value)))
    for kpi in kpis:
        kpi.status = kpi_status(kpi.latest_value, kpi.target, kpi.direction)
        kpi.change = (
            kpi.latest_value - kpi.previous_value
            if kpi.latest_value is not None and kpi.previous_value is not None
            else None
        )
        kpi.sparkline = series.get(kpi.pk, [])
    return kpis


def kpi_points(*, kpi: KPI) -> QuerySet[KPIDataPoint]:
    return KPIDataPoint.objects.filter(kpi=kpi).order_by("-date")


def objectives_with_key_results(*, user: Any) -> QuerySet[Objective]:
    """The objectives the person may see (none for no user), latest period first, with
    owner and project joined and their key results prefetched, each with its KPI, its
    owner and the KPI's latest value as `kpi_latest` (2 queries)."""
    krs = KeyResult.objects.select_related("kpi", "owner").annotate(kpi_latest=_kpi_latest())
    return (
        objectives_visible_to(user)
        .select_related("owner", "project")
        .prefetch_related(Prefetch("key_results", queryset=krs))
        .order_by("-period", "level", "id")
    )


def objective_is_visible(*, user: Any, objective_id: int) -> bool:
    """Whether the objective exists and the person may see it (one query)."""
    return objectives_visible_to(user).filter(pk=objective_id).exists()


def objectives_for(*, user: Any, period: str | None = None, project: Any = None) -> list[Objective]:
    """Objectives with their key results, progress and status computed (3 queries)."""
    qs = objectives_with_key_results(user=user)
    if period:
        qs = qs.filter(period=period)
    if project is not None:
        qs = qs.filter(project=project)
    objectives = list(qs)
    today = clock.now().date()
    for objective in objectives:
        annotate_objective(objective, today)
    return objectives


def _kpi_latest() -> Subquery:
    return Subquery(
        KPIDataPoint.objects.filter(kpi=OuterRef("kpi_id")).order_by("-date").values("value")[:1]
    )


def annotate_objective(objective: Objective, today) -> Objective:
    elapsed = elapsed_fraction(objective.period, today)
    pairs = []
    for kr in objective.key_results.all():
        current = getattr(kr, "kpi_latest", None) if kr.kpi_id else kr.current
        kr.current_value = current
        kr.progress = kr_progress(kr.start, kr.target, current)
        kr.status = track_status(kr.progress, elapsed)
        pairs.append((kr.progress, kr.weight))
    objective.progress = objective_progress(pairs)
    objective.status = track_status(objective.progress, elapsed) if pairs else None
    objective.elapsed = elapsed
    return objective


def key_result_with_progress(kr: KeyResult) -> KeyResult:
    current = kr.current
    if kr.kpi_id:
        if hasattr(kr, "kpi_latest"):
            current = kr.kpi_latest  # annotated by the list query: no query per row
        else:
            current = (
                KPIDataPoint.objects.filter(kpi_id=kr.kpi_id)
                .order_by("-date")
                .values_list("value", flat=True)
                .first()
            )
    kr.current_value = current
    kr.progress = kr_progress(kr.start, kr.target, current)
    kr.status = track_status(kr.progress, elapsed_fraction(kr.objective.period, clock.now().date()))
    return kr


# ---------------------------------------------------------------- dashboards


def dashboard_snapshots(*, project: Any, days: int = 90) -> list[ProjectSnapshot]:
    """The project's daily snapshots of the last `days` days (its local days), oldest first."""
    since = project.today() - timedelta(days=days)
    return list(ProjectSnapshot.objects.filter(project=project, date__gt=since).order_by("date"))


def done_items_since(
    *, project: Any, since: datetime
) -> list[tuple[int, str, datetime | None, datetime | None]]:
    """(number, title, started, done) of the items finished since `since`, oldest first:
    the cycle-time scatter's points."""
    return list(
        WorkItem.objects.filter(project=project, done_at__gte=since, started_at__isnull=False)
        .order_by("done_at")
        .values_list("number", "title", "started_at", "done_at")
    )


def latest_daily_report(*, project: Any) -> DailyReport | None:
    return DailyReport.objects.filter(project=project).order_by("-date").first()


def daily_report_dates(*, project: Any, limit: int = 30) -> list[date]:
    """The days of the project's latest reports, newest first (the report page's picker)."""
    return list(
        DailyReport.objects.filter(project=project)
        .order_by("-date")
        .values_list("date", flat=True)[:limit]
    )


def portfolio_projects(*, user: Any) -> list[Any]:
    """The live projects the person may see, by name, each with its open high and critical
    risks, its latest throughput and cycle time P85 (days, as the project dashboard shows
    it), and its running sprint with the sprint's progress. Four queries in all."""
    latest = ProjectSnapshot.objects.filter(project=OuterRef("pk")).order_by("-date")
    # Rows for the template: each project also carries its sprint and figures (set below).
    projects: list[Any] = list(
        projects_visible_to(user)
        .filter(archived=False)
        .select_related("owner")
        .annotate(
            open_high=Count(
                "risks",
                filter=Q(risks__status__in=ACTIVE_STATUSES, risks__level__in=["high", "critical"]),
                distinct=True,
            ),
            latest_throughput=Subquery(latest.values("throughput_7d")[:1]),
            latest_cycle=Subquery(latest.values("cycle_p85_hours")[:1]),
        )
        .order_by("name")
    )
    sprints = {
        s.project_id: s
        for s in Sprint.objects.filter(
            project_id__in=[p.pk for p in projects], state=SprintState.ACTIVE
        )
    }
    progress = sprint_progress(sprints=sprints.values())
    for project in projects:
        project.sprint = sprints.get(project.pk)
        project.sprint_percent = progress[project.sprint.pk].percent if project.sprint else None
        project.cycle_p85_days = days_figure(project.latest_cycle)
    return projects


def top_risks(*, project_ids: list[int], limit: int = 8) -> list[Any]:
    """The live risks of these projects, highest score first, then the most overdue review."""
    return list(
        Risk.objects.filter(project_id__in=project_ids, status__in=ACTIVE_STATUSES)
        .select_related("project", "owner")
        .order_by("-score", "next_review_date")[:limit]
    )


# ---------------------------------------------------------------- boards' pickers


def project_kpis(*, project: Project | None) -> QuerySet[KPI]:
    """The KPIs of `project` (company KPIs when None): the KPI board's lookup for a value or
    a CSV import, narrowed further by key in the view."""
    return KPI.objects.filter(project=project)


def live_projects_by_name(*, user: Any) -> QuerySet[Project]:
    """The projects the person may see that are not archived, by name (the KPI board's
    project picker)."""
    return projects_visible_to(user).filter(archived=False).order_by("name")


def projects_editable_by(*, user: Any) -> list[Project]:
    """The live projects the person may see and change: where they may add objectives."""
    return [p for p in projects_visible_to(user).filter(archived=False) if can_edit(user, p)]


def projects_by_pk(*, pks: list[int]) -> QuerySet[Project]:
    """The projects with these primary keys (the objective form's project choices)."""
    return Project.objects.filter(pk__in=pks)


def project_roles_of(*, user: Any) -> dict[int, str]:
    """{project id: role} for every project the person belongs to, in one query."""
    return dict(Membership.objects.filter(user=user).values_list("project_id", "role"))


def kpi_choice_rows(*, user: Any) -> list[tuple[int, str, int | None]]:
    """(pk, name, project id) of every KPI the person may see, by name: one query for the
    key-result forms of all objectives on the OKR board."""
    return list(kpis_visible_to(user).order_by("name").values_list("pk", "name", "project_id"))


def _key_result_kpis(*, user: Any, project_id: int | None) -> QuerySet[KPI]:
    return kpis_visible_to(user).filter(Q(project__isnull=True) | Q(project_id=project_id))


def key_result_kpi_choices(*, user: Any, project_id: int | None) -> list[tuple[int, str]]:
    """(pk, name) of the KPIs a key result of an objective in `project_id` may track: the
    company KPIs and the project's own, those the person may see."""
    return list(_key_result_kpis(user=user, project_id=project_id).values_list("pk", "name"))


def key_result_kpi(*, user: Any, project_id: int | None, pk: int) -> KPI | None:
    """The KPI `pk` if a key result of an objective in `project_id` may track it (see
    key_result_kpi_choices), else None."""
    return _key_result_kpis(user=user, project_id=project_id).filter(pk=pk).first()


def key_results_visible_to(*, user: Any) -> QuerySet[KeyResult]:
    """Key results of the objectives the person may see, each with its objective."""
    return KeyResult.objects.filter(
        objective__in=objectives_visible_to(user).values("pk")
    ).select_related("objective")


def key_result_list(*, user: Any, project_id: int | None = None) -> QuerySet[KeyResult]:
    """`key_results_visible_to` with KPI and owner joined and the KPI's latest value as
    `kpi_latest` (what progress needs, no query per row); with `project_id`, only those of
    the project's objectives (the caller has checked the person may see the project)."""
    qs = (
        key_results_visible_to(user=user)
        .select_related("kpi", "owner")
        .annotate(kpi_latest=_kpi_latest())
    )
    if project_id is not None:
        qs = qs.filter(objective__project_id=project_id)
    return qs


def key_result_check_ins(*, key_result: KeyResult) -> QuerySet[CheckIn]:
    """The key result's check-ins, newest first, with their author."""
    return key_result.check_ins.select_related("author")
