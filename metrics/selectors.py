"""Reads for KPI tiles and OKR boards: a fixed number of queries for any number of rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from portal import clock

from .calculations import (
    elapsed_fraction,
    kpi_status,
    kr_progress,
    objective_progress,
    track_status,
)
from .models import KPI, KeyResult, KPIDataPoint, Objective
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


def objectives_for(*, user: Any, period: str | None = None, project: Any = None) -> list[Objective]:
    """Objectives with their key results, progress and status computed (3 queries)."""
    qs = objectives_visible_to(user).select_related("owner", "project")
    if period:
        qs = qs.filter(period=period)
    if project is not None:
        qs = qs.filter(project=project)
    krs = KeyResult.objects.select_related("kpi", "owner").annotate(kpi_latest=_kpi_latest())
    objectives = list(
        qs.prefetch_related(Prefetch("key_results", queryset=krs)).order_by(
            "-period", "level", "id"
        )
    )
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
