"""Delivery formulas (DESIGN §4) as pure functions: burndown, velocity, percentiles.

No database here: selectors gather the facts, these functions turn them into numbers,
and tests check them with tables.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class BurndownDay:
    day: date
    remaining: int | None  # points not done at the day's end; None for days still to come
    scope: int | None  # total points in the sprint at the day's end
    done: int | None  # points done at the day's end (the burnup)
    ideal: float  # the straight line from the committed points to zero
    added: int  # points added to the scope that day (after the start)
    removed: int  # points removed from the scope that day


def burndown(
    *,
    start: date,
    end: date,
    committed: int,
    scope_events: Iterable[tuple[date, int]],
    done_events: Iterable[tuple[date, int]],
    today: date,
) -> list[BurndownDay]:
    """Daily series from `start` to `end` inclusive.

    `scope_events`: (day, signed points) changes of the sprint's scope after the start
    (additions positive, removals and re-estimates down negative).
    `done_events`: (day, signed points) items entering (+) or leaving (-) a done column.
    Days after `today` have no actual values: the chart shows them empty, not flat.
    """
    days = (end - start).days
    scope_by_day: dict[date, list[int]] = {}
    for day, points in scope_events:
        scope_by_day.setdefault(max(day, start), []).append(points)
    done_by_day: dict[date, int] = {}
    for day, points in done_events:
        key = max(day, start)
        done_by_day[key] = done_by_day.get(key, 0) + points
    series = []
    scope = committed
    done = 0
    for offset in range(days + 1):
        day = start + timedelta(days=offset)
        changes = scope_by_day.get(day, [])
        added = sum(p for p in changes if p > 0)
        removed = -sum(p for p in changes if p < 0)
        scope += added - removed
        done += done_by_day.get(day, 0)
        ideal = committed * (1 - offset / days) if days else 0.0
        if day > today:
            series.append(BurndownDay(day, None, None, None, round(ideal, 2), 0, 0))
        else:
            series.append(
                BurndownDay(day, max(scope - done, 0), scope, done, round(ideal, 2), added, removed)
            )
    return series


# Sprint dates are inclusive at both ends, as in Jira and Taiga: Monday 7 to Sunday 20 is
# 14 days, a two-week sprint. A sprint of N weeks may also stop on the Friday of its last
# week (N×7 − 2 days) and start up to two days late (a Wednesday after a release or a
# holiday), so it lasts from N×7 − 4 to N×7 days: 10 to 28 days for 2–4 weeks.
SPRINT_SLACK_DAYS = 4


def sprint_length_days(start: date, end: date) -> int:
    """Days in the sprint, counting both its first and its last day."""
    return (end - start).days + 1


def sprint_length_bounds(min_weeks: int, max_weeks: int) -> tuple[int, int]:
    """(shortest, longest) inclusive length in days of a sprint of min_weeks–max_weeks."""
    return max(min_weeks * 7 - SPRINT_SLACK_DAYS, 1), max_weeks * 7


def sprint_days_left(start: date, end: date, today: date) -> int:
    """Days of the sprint still to work, today included: 1 on its last day, 0 after it,
    its whole length before it starts."""
    if today > end:
        return 0
    return sprint_length_days(max(today, start), end)


def mean_velocity(completed: Sequence[int | None], *, last: int = 3) -> float | None:
    """Mean completed points of the last `last` closed sprints (oldest first in `completed`)."""
    values = [v for v in completed if v is not None][-last:]
    if not values:
        return None
    return sum(values) / len(values)


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear-interpolated percentile (pct in 0–100) as spreadsheets compute PERCENTILE.INC."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (pct / 100) * (len(ordered) - 1)
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def working_days_between(first: date, last: date) -> int:
    """Monday–Friday days in (first, last]; the stand-up's "since the last working day"."""
    count = 0
    day = first
    while day < last:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count += 1
    return count


def previous_working_day(day: date) -> date:
    day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


RANK_GAP = 1024
# Ranks stay inside ±2^53: far inside the BIGINT column (±2^63), so a card can always be
# appended below the last one, and exact in a JavaScript client that reads them back.
RANK_LIMIT = 2**53


def rank_between(before: int | None, after: int | None) -> int | None:
    """A rank strictly between two neighbours, or None when they touch or the new rank
    would leave ±RANK_LIMIT (renumber first, then ask again).

    `before` is the rank of the card above (None at the top), `after` of the card below.
    """
    if before is None and after is None:
        return RANK_GAP
    if before is None:
        new = after - RANK_GAP
    elif after is None:
        new = before + RANK_GAP
    elif after - before < 2:
        return None
    else:
        new = (before + after) // 2
    return new if -RANK_LIMIT <= new <= RANK_LIMIT else None
