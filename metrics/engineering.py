"""Engineering KPIs computed from the portal's own data (velocity, throughput, cycle and lead
time, bug rate, on-time rate, requirement delivery cycle).

They are ordinary project KPIs with `source = computed`: tiles, sparklines, statuses, OKR
links and the API treat them like any other. Their data points are written from the daily
snapshots (one upsert per project-day batch), never by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q

from kpis.models import KPI, Direction, KPIDataPoint, Source, Unit

from .models import ProjectSnapshot


@dataclass(frozen=True)
class EngineeringKPI:
    code: str
    zh: str
    en: str
    unit: str
    direction: str
    target: Decimal | None
    description_zh: str
    description_en: str
    value: Callable[[ProjectSnapshot], float | None]


def _days(hours: float | None) -> float | None:
    return None if hours is None else hours / 24


def days_figure(hours: float | None) -> Decimal | None:
    """Hours as days to two decimals: how every duration figure is stored and shown."""
    return None if hours is None else Decimal(str(round(hours / 24, 2)))


ENGINEERING_KPIS = [
    EngineeringKPI(
        "velocity",
        "迭代速度",
        "Velocity",
        Unit.COUNT,
        Direction.HIGHER,
        None,
        "最近三个已关闭迭代完成故事点的平均值",
        "Mean story points done in the last three closed sprints",
        lambda s: s.velocity,
    ),
    EngineeringKPI(
        "throughput",
        "吞吐量（周）",
        "Throughput per week",
        Unit.COUNT,
        Direction.HIGHER,
        None,
        "最近 7 天完成的工作项数",
        "Work items done in the last 7 days",
        lambda s: s.throughput_7d,
    ),
    EngineeringKPI(
        "cycle_time_p50",
        "周期时间 P50",
        "Cycle time P50",
        Unit.DURATION,
        Direction.LOWER,
        None,
        "开始到完成的天数中位数（近 30 天完成的工作项）",
        "Median days from start to done (items done in the last 30 days)",
        lambda s: _days(s.cycle_p50_hours),
    ),
    EngineeringKPI(
        "cycle_time_p85",
        "周期时间 P85",
        "Cycle time P85",
        Unit.DURATION,
        Direction.LOWER,
        None,
        "85% 的工作项在此天数内从开始到完成",
        "85 % of items go from start to done within this many days",
        lambda s: _days(s.cycle_p85_hours),
    ),
    EngineeringKPI(
        "lead_time_p50",
        "交付前置时间 P50",
        "Lead time P50",
        Unit.DURATION,
        Direction.LOWER,
        None,
        "创建到完成的天数中位数",
        "Median days from creation to done",
        lambda s: _days(s.lead_p50_hours),
    ),
    EngineeringKPI(
        "bug_rate",
        "缺陷率",
        "Bug rate",
        Unit.PERCENT,
        Direction.LOWER,
        Decimal("20"),
        "近 7 天新增缺陷 ÷ 完成的故事",
        "Bugs opened ÷ stories done, last 7 days",
        lambda s: s.bug_rate,
    ),
    EngineeringKPI(
        "on_time_rate",
        "月度功能上线达标率",
        "On-time delivery rate",
        Unit.PERCENT,
        Direction.HIGHER,
        Decimal("90"),
        "近 30 天到期的工作项与需求中按期完成的占比",
        "Work items and requirements due in the last 30 days that were done on time",
        lambda s: s.on_time_rate,
    ),
    EngineeringKPI(
        "delivery_cycle",
        "需求交付周期",
        "Requirement delivery cycle",
        Unit.WEEKS,
        Direction.LOWER,
        Decimal("4"),
        "需求从完成分诊到上线的周数中位数（近 30 天完成）",
        "Median weeks from triage to done (requirements done in the last 30 days)",
        lambda s: s.delivery_p50_weeks,
    ),
]
BY_CODE = {definition.code: definition for definition in ENGINEERING_KPIS}


def engineering_figure(code: str, snapshot: ProjectSnapshot | None) -> Decimal | None:
    """The value of a computed KPI on a snapshot's day, as it is stored in the KPI's data
    points (two decimals). The dashboard tiles show this same number, so a figure shown
    both as a tile and as a KPI reads the same in both places."""
    if snapshot is None:
        return None
    value = BY_CODE[code].value(snapshot)
    return None if value is None else Decimal(str(round(value, 2)))


@transaction.atomic
def engineering_kpis_enable(*, project: Any, actor: Any, language: str) -> list[KPI]:
    """Add the engineering KPIs the project does not track yet, and fill their history from
    the snapshots already computed. A KPI code the project already uses is left alone."""
    from .services import kpi_create

    existing = set(KPI.objects.filter(project=project).values_list("code", flat=True))
    zh = language.startswith("zh")
    created = [
        kpi_create(
            actor=actor,
            project=project,
            name=definition.zh if zh else definition.en,
            code=definition.code,
            description=definition.description_zh if zh else definition.description_en,
            unit=definition.unit,
            currency="",
            direction=definition.direction,
            target=definition.target,
            source=Source.COMPUTED,
        )
        for definition in ENGINEERING_KPIS
        if definition.code not in existing
    ]
    if created:
        engineering_points_record(
            project=project,
            snapshots=ProjectSnapshot.objects.filter(project=project).order_by("date"),
        )
    return created


def engineering_points_record(*, project: Any, snapshots: Iterable[ProjectSnapshot]) -> int:
    """Upsert the computed KPIs' data points from these snapshots (two queries per batch).
    Safe to run twice: points are unique per (KPI, date)."""
    kpis = [
        kpi
        for kpi in KPI.objects.filter(project=project, source=Source.COMPUTED)
        if kpi.code in BY_CODE
    ]
    if not kpis:
        return 0
    points = []
    empty: list[tuple[int, Any]] = []
    for snapshot in snapshots:
        for kpi in kpis:
            value = engineering_figure(kpi.code, snapshot)
            if value is None:
                # Nothing to measure that day (any more): no point, not a stale one.
                empty.append((kpi.pk, snapshot.date))
                continue
            points.append(
                KPIDataPoint(
                    kpi=kpi,
                    date=snapshot.date,
                    value=value,
                    currency="",
                )
            )
    if points:
        KPIDataPoint.objects.bulk_create(
            points,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["kpi", "date"],
            update_fields=["value", "updated_at"],
        )
    if empty:
        stale = Q()
        for kpi_id, day in empty:
            stale |= Q(kpi_id=kpi_id, date=day)
        KPIDataPoint.objects.filter(stale).delete()
    return len(points)
