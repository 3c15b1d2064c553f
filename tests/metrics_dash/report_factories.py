"""A daily report that carries one KPI of each unit, for the tests of how it reads."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from kpis.models import KPI
from metrics.models import DailyReport
from metrics.reports import daily_report_generate
from portal import clock
from portal.events import emit
from tests.metrics.factories import KPIDataPointFactory

REPORT_DAY = date(2026, 12, 8)


def report_with_every_unit(project, day: date = REPORT_DAY) -> DailyReport:
    """GMV ¥156,166 (money), conversion 62.5 % (percent), 12,345 orders (count) and a
    delivery time of 3.45 days (duration) on `day`, and a risk that escalated that day."""
    rows = [
        ("GMV", "gmv", "money", "CNY", "higher", "150000", "156166.0000", "149000.5000"),
        ("转化率", "conversion_rate", "percent", "", "higher", "60", "62.5000", "33.3300"),
        ("订单数", "orders", "count", "", "higher", "10000", "12345.0000", "9876.0000"),
        ("交付周期", "delivery_time", "duration", "", "lower", "3", "3.4500", "4.0000"),
    ]
    for name, code, unit, currency, direction, target, value, before in rows:
        kpi = KPI.objects.create(
            project=project,
            name=name,
            code=code,
            unit=unit,
            currency=currency,
            direction=direction,
            target=Decimal(target),
        )
        KPIDataPointFactory(kpi=kpi, date=day, value=Decimal(value))
        KPIDataPointFactory(kpi=kpi, date=day - timedelta(days=1), value=Decimal(before))
    noon = datetime.combine(day, time(12), tzinfo=zoneinfo.ZoneInfo(project.timezone))
    with clock.frozen_at(noon):
        emit(
            "risk.escalated",
            project=project,
            payload={"key": f"{project.key}-RISK-1", "title": "支付网关限流", "level": "high"},
        )
    return daily_report_generate(project, day)
