"""The freeze calendar's month grid: pure functions of a month, a time zone, the freeze
windows and the releases' target dates (no queries here)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from portal.validators import year_in_range

from .models import FreezeWindow, Release

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")


def parse_month(raw: object, *, today: date) -> date:
    """The first day of `?month=YYYY-MM`; the current month when it is missing,
    malformed or outside the years 2000–2100."""
    if isinstance(raw, str):
        found = _MONTH.match(raw.strip())
        if found:
            year, month = int(found.group(1)), int(found.group(2))
            if year_in_range(year) and 1 <= month <= 12:
                return date(year, month, 1)
    return today.replace(day=1)


def month_param(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def shift_month(month: date, delta: int) -> date | None:
    """The first day of the month `delta` months away, None outside 2000–2100."""
    index = month.year * 12 + month.month - 1 + delta
    year, month_number = divmod(index, 12)
    if not year_in_range(year):
        return None
    return date(year, month_number + 1, 1)


def day_start(day: date, zone: tzinfo) -> datetime:
    """Midnight at the start of `day` in `zone` (an aware datetime)."""
    return datetime.combine(day, time.min, tzinfo=zone)


def grid_bounds(month: date) -> tuple[date, date]:
    """The Monday on or before the 1st and the Sunday on or after the month's last day."""
    first = month.replace(day=1)
    last = (shift_month(first, 1) or date(first.year + 1, 1, 1)) - timedelta(days=1)
    return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())


@dataclass
class CalendarDay:
    day: date
    in_month: bool
    today: bool
    windows: list[FreezeWindow] = field(default_factory=list)
    releases: list[Any] = field(default_factory=list)  # ReleaseMark

    @property
    def frozen(self) -> bool:
        return bool(self.windows)


@dataclass(frozen=True)
class ReleaseMark:
    """A release's target date on the calendar."""

    release: Release
    url: str


def month_grid(
    month: date,
    *,
    zone: tzinfo,
    today: date,
    windows: Iterable[FreezeWindow],
    releases: Iterable[ReleaseMark],
) -> list[list[CalendarDay]]:
    """Weeks (Monday first) of CalendarDays covering `month`. A window covers every day of
    `zone` it overlaps, even by a minute (23:00–01:00 covers both days); one that ends at
    midnight does not cover the day that begins then."""
    start, end = grid_bounds(month)
    days: list[CalendarDay] = []
    by_date: dict[date, CalendarDay] = {}
    current = start
    while current <= end:
        cell = CalendarDay(
            day=current, in_month=current.month == month.month, today=current == today
        )
        days.append(cell)
        by_date[current] = cell
        current += timedelta(days=1)
    for window in windows:
        first = max(window.starts_at.astimezone(zone).date(), start)
        # The last instant inside the window is just before `ends_at`.
        last = min((window.ends_at - timedelta(microseconds=1)).astimezone(zone).date(), end)
        current = first
        while current <= last:
            by_date[current].windows.append(window)
            current += timedelta(days=1)
    for mark in releases:
        target = mark.release.target_date
        if target is not None and target in by_date:
            by_date[target].releases.append(mark)
    return [days[i : i + 7] for i in range(0, len(days), 7)]
