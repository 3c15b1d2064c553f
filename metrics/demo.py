"""Demo KPIs with 90 days of history and a 2026-Q4 OKR set. Idempotent."""

from __future__ import annotations

import math
import random
from datetime import timedelta
from decimal import Decimal

from kpis.models import KPI
from portal import clock
from portal.models import Project, User

from . import services
from .models import Objective

SERIES = {
    # code: (base, trend per day, weekly swing, noise, decimals)
    "gmv": (2_400_000, 4_000, 0.18, 0.06, 0),
    "conversion_rate": (3.1, 0.004, 0.08, 0.04, 2),
    "repurchase_rate": (24.0, 0.03, 0.02, 0.02, 1),
    "dau": (128_000, 350, 0.10, 0.03, 0),
    "return_rate": (7.2, -0.012, 0.05, 0.05, 2),
    "aov": (186, 0.1, 0.04, 0.03, 2),
    "ctr": (3.6, 0.002, 0.06, 0.05, 2),
}


def _values(code: str, days: int, rng: random.Random) -> list[tuple[int, Decimal]]:
    base, trend, swing, noise, decimals = SERIES[code]
    out = []
    for offset in range(days):
        day_index = days - offset
        value = base + trend * offset
        value *= 1 + swing * math.sin(2 * math.pi * (offset % 7) / 7)
        value *= 1 + rng.uniform(-noise, noise)
        out.append((day_index - 1, Decimal(str(round(value, decimals)))))
    return out


def seed_metrics(users: dict[str, User], projects: dict[str, Project]) -> int:
    if KPI.objects.exists():
        return 0
    admin = users["admin"]
    rng = random.Random("metrics")
    today = clock.now().date()
    company = services.kpi_templates_apply(
        actor=admin,
        project=None,
        codes=["gmv", "conversion_rate", "repurchase_rate", "dau", "return_rate", "aov"],
        language="zh-hans",
    )
    by_code = {k.code: k for k in company}
    services.kpi_update(kpi=by_code["gmv"], actor=admin, target=Decimal("2800000"))
    services.kpi_update(kpi=by_code["dau"], actor=admin, target=Decimal("150000"))
    services.kpi_update(kpi=by_code["aov"], actor=admin, target=Decimal("199"))
    mall = projects.get("MALL")
    project_kpis = []
    if mall is not None:
        project_kpis = services.kpi_templates_apply(
            actor=mall.owner,
            project=mall,
            codes=["conversion_rate", "ctr", "dau"],
            language="zh-hans",
        )
    for kpi in [*company, *project_kpis]:
        rows = [
            {"date": (today - timedelta(days=back)).isoformat(), "value": str(value)}
            for back, value in _values(kpi.code, 90, rng)
        ]
        if kpi.code == "gmv":
            # Singles' Day: the spike everybody remembers.
            for row in rows:
                if row["date"].endswith("-11-11"):
                    row["value"] = str(Decimal(row["value"]) * 6)
        services.kpi_points_upsert(kpi=kpi, actor=admin, rows=rows)
    _seed_okrs(users, projects, by_code, today)
    # Computed from the boards and backlogs; the snapshot backfill writes their history.
    from .engineering import engineering_kpis_enable

    for key, language in (("MALL", "zh-hans"), ("PAY", "en")):
        if key in projects:
            engineering_kpis_enable(
                project=projects[key], actor=projects[key].owner, language=language
            )
    from .models import ExchangeRate

    for currency, rate in (("USD", "7.12"), ("EUR", "7.74"), ("HKD", "0.913"), ("SGD", "5.31")):
        ExchangeRate.objects.get_or_create(
            currency=currency,
            date=today - timedelta(days=90),
            defaults={"cny_per_unit": Decimal(rate)},
        )
    return len(company) + len(project_kpis)


def _seed_okrs(users, projects, kpis, today) -> None:
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    if Objective.objects.filter(period=quarter).exists():
        return
    admin, pm = users["admin"], users["wangfang"]
    members = services.objective_create(
        actor=admin,
        title="提升会员活跃度",
        period=quarter,
        level="company",
        owner=users["chenzong"],
    )
    services.key_result_create(
        objective=members,
        actor=admin,
        title="DAU 提升到 15 万",
        start=Decimal("120000"),
        target=Decimal("150000"),
        kpi=kpis["dau"],
        unit="count",
    )
    services.key_result_create(
        objective=members,
        actor=admin,
        title="复购率提升到 30%",
        start=Decimal("22"),
        target=Decimal("30"),
        kpi=kpis["repurchase_rate"],
        unit="percent",
    )
    services.key_result_create(
        objective=members,
        actor=admin,
        title="退货率降到 5% 以下",
        start=Decimal("8"),
        target=Decimal("5"),
        kpi=kpis["return_rate"],
        unit="percent",
    )
    delivery = services.objective_create(
        actor=admin,
        title="提升研发交付效率",
        period=quarter,
        level="department",
        department="tech",
        owner=users["lilei"],
    )
    kr = services.key_result_create(
        objective=delivery,
        actor=admin,
        title="迭代承诺完成率达到 90%",
        start=Decimal("70"),
        target=Decimal("90"),
        unit="percent",
        owner=users["lilei"],
    )
    for value, confidence, note in (
        (74, 6, "迭代 2 完成 18/13"),
        (81, 7, "测试环境稳定后提升明显"),
    ):
        services.check_in_add(
            key_result=kr,
            actor=users["lilei"],
            value=Decimal(value),
            confidence=confidence,
            note=note,
        )
    mall = projects.get("MALL")
    if mall is not None:
        launch = services.objective_create(
            actor=pm, project=mall, title="母婴 App 2.0 按期上线", period=quarter, level="project"
        )
        kr = services.key_result_create(
            objective=launch,
            actor=pm,
            title="完成一期 40 个需求",
            start=Decimal("0"),
            target=Decimal("40"),
            unit="count",
        )
        services.check_in_add(
            key_result=kr,
            actor=pm,
            value=Decimal(22),
            confidence=7,
            note="推荐与会员体系已上线灰度",
        )
