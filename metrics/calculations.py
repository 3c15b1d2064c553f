"""KPI and OKR formulas (DESIGN §4) as pure functions, table-tested."""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from portal.validators import year_in_range

GREEN, AMBER, RED = "green", "amber", "red"
ON_TRACK, AT_RISK, OFF_TRACK = "on_track", "at_risk", "off_track"
PERIOD_RE = re.compile(
    r"^(?P<year>\d{4})-(?:Q(?P<q>[1-4])|H(?P<h>[12])|M(?P<m>0[1-9]|1[0-2])|(?P<y>Y))\Z"
)


def percent_of(part: float, whole: float) -> float | None:
    """part ÷ whole as a percentage; None when there is nothing to divide by (no figure,
    rather than a misleading 0 %). Bug rate and on-time rate are defined through it."""
    return part / whole * 100 if whole else None


def kr_progress(start: Decimal, target: Decimal, current: Decimal | None) -> Decimal:
    """(current − start) ÷ (target − start), clamped to 0–1. Works for decreasing KRs
    (return rate from 8 % to 5 %): the sign of the denominator carries the direction."""
    if target == start:
        raise ValueError("target equals start")
    if current is None:
        return Decimal(0)
    ratio = (Decimal(current) - Decimal(start)) / (Decimal(target) - Decimal(start))
    return max(Decimal(0), min(Decimal(1), ratio))


def objective_progress(progresses: Sequence[tuple[Decimal, Decimal]]) -> Decimal:
    """Weighted mean of (progress, weight) pairs; 0 without key results."""
    total_weight = sum((w for _p, w in progresses), Decimal(0))
    if not progresses or total_weight <= 0:
        return Decimal(0)
    return sum((p * w for p, w in progresses), Decimal(0)) / total_weight


def kpi_status(latest: Decimal | None, target: Decimal | None, direction: str) -> str | None:
    """green when the latest value meets the target in its direction, amber within 10 % of
    it, red otherwise; None without a value or a target."""
    if latest is None or target is None:
        return None
    latest, target = Decimal(latest), Decimal(target)
    meets = latest >= target if direction == "higher" else latest <= target
    if meets:
        return GREEN
    band = abs(target) * Decimal("0.10")
    return AMBER if abs(latest - target) <= band else RED


def valid_period(raw: str | None) -> str | None:
    """`raw` when it is a well-formed period in a year people plan in, else None."""
    match = PERIOD_RE.match(raw or "")
    if match is None or not year_in_range(int(match["year"])):
        return None
    return raw


def period_bounds(period: str) -> tuple[date, date]:
    """ "2026-Q4" → (2026-10-01, 2026-12-31); also H1/H2, M01–M12 and Y."""
    match = PERIOD_RE.match(period or "")
    if not match:
        raise ValueError("period must look like 2026-Q4, 2026-H1, 2026-M03 or 2026-Y")
    year = int(match["year"])
    if match["q"]:
        first_month = (int(match["q"]) - 1) * 3 + 1
        last_month = first_month + 2
    elif match["h"]:
        first_month = 1 if match["h"] == "1" else 7
        last_month = first_month + 5
    elif match["m"]:
        first_month = last_month = int(match["m"])
    else:
        first_month, last_month = 1, 12
    return date(year, first_month, 1), date(year, last_month, monthrange(year, last_month)[1])


def elapsed_fraction(period: str, today: date) -> Decimal:
    start, end = period_bounds(period)
    if today <= start:
        return Decimal(0)
    if today >= end:
        return Decimal(1)
    return Decimal((today - start).days) / Decimal((end - start).days)


def track_status(progress: Decimal, elapsed: Decimal) -> str:
    """On track when progress keeps pace with the time gone (10 points of slack), at risk
    within 25 points, off track beyond."""
    gap = elapsed - progress
    if gap <= Decimal("0.10"):
        return ON_TRACK
    if gap <= Decimal("0.25"):
        return AT_RISK
    return OFF_TRACK
