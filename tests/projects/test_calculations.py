"""The delivery formulas of DESIGN §4 as tables: burndown, velocity, percentiles, ranks,
working days. Pure functions, no database."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from projects.calculations import (
    RANK_GAP,
    RANK_LIMIT,
    burndown,
    mean_velocity,
    percentile,
    previous_working_day,
    rank_between,
    working_days_between,
)

MON = date(2026, 3, 2)  # a Monday
D = [MON + timedelta(days=i) for i in range(15)]


def series(rows, attr):
    return [getattr(r, attr) for r in rows]


# ---------------------------------------------------------------- burndown

# Sprint Mon D0 .. Fri D4 (four days long, five points on the chart), 10 points committed.
BURNDOWN_CASES = {
    "committed only, burning down": {
        "scope": [],
        "done": [(D[1], 3), (D[3], 2)],
        "today": D[4],
        "remaining": [10, 7, 7, 5, 5],
        "scope_series": [10, 10, 10, 10, 10],
        "done_series": [0, 3, 3, 5, 5],
        "added": [0, 0, 0, 0, 0],
        "removed": [0, 0, 0, 0, 0],
    },
    "scope added mid-sprint shows and raises remaining": {
        "scope": [(D[2], 5)],
        "done": [(D[1], 3)],
        "today": D[4],
        "remaining": [10, 7, 12, 12, 12],
        "scope_series": [10, 10, 15, 15, 15],
        "done_series": [0, 3, 3, 3, 3],
        "added": [0, 0, 5, 0, 0],
        "removed": [0, 0, 0, 0, 0],
    },
    "scope removed lowers remaining": {
        "scope": [(D[1], -4)],
        "done": [],
        "today": D[4],
        "remaining": [10, 6, 6, 6, 6],
        "scope_series": [10, 6, 6, 6, 6],
        "done_series": [0, 0, 0, 0, 0],
        "added": [0, 0, 0, 0, 0],
        "removed": [0, 4, 0, 0, 0],
    },
    "added and removed the same day are both shown": {
        "scope": [(D[3], 5), (D[3], -2)],
        "done": [],
        "today": D[4],
        "remaining": [10, 10, 10, 13, 13],
        "scope_series": [10, 10, 10, 13, 13],
        "done_series": [0, 0, 0, 0, 0],
        "added": [0, 0, 0, 5, 0],
        "removed": [0, 0, 0, 2, 0],
    },
    "a reopened item raises remaining again": {
        "scope": [],
        "done": [(D[1], 3), (D[2], -3), (D[4], 3)],
        "today": D[4],
        "remaining": [10, 7, 10, 10, 7],
        "scope_series": [10, 10, 10, 10, 10],
        "done_series": [0, 3, 0, 0, 3],
        "added": [0, 0, 0, 0, 0],
        "removed": [0, 0, 0, 0, 0],
    },
    "days after today are empty, not flat": {
        "scope": [(D[3], 5)],
        "done": [(D[1], 4)],
        "today": D[2],
        "remaining": [10, 6, 6, None, None],
        "scope_series": [10, 10, 10, None, None],
        "done_series": [0, 4, 4, None, None],
        "added": [0, 0, 0, 0, 0],
        "removed": [0, 0, 0, 0, 0],
    },
    "events before the start count on the first day": {
        "scope": [(D[0] - timedelta(days=2), 2)],
        "done": [(D[0] - timedelta(days=1), 1)],
        "today": D[4],
        "remaining": [11, 11, 11, 11, 11],
        "scope_series": [12, 12, 12, 12, 12],
        "done_series": [1, 1, 1, 1, 1],
        "added": [2, 0, 0, 0, 0],
        "removed": [0, 0, 0, 0, 0],
    },
    "more done than scope never goes below zero": {
        "scope": [(D[1], -8)],
        "done": [(D[0], 5)],
        "today": D[4],
        "remaining": [5, 0, 0, 0, 0],
        "scope_series": [10, 2, 2, 2, 2],
        "done_series": [5, 5, 5, 5, 5],
        "added": [0, 0, 0, 0, 0],
        "removed": [0, 8, 0, 0, 0],
    },
    "a sprint that has not started yet is all empty": {
        "scope": [],
        "done": [],
        "today": D[0] - timedelta(days=1),
        "remaining": [None] * 5,
        "scope_series": [None] * 5,
        "done_series": [None] * 5,
        "added": [0] * 5,
        "removed": [0] * 5,
    },
}


@pytest.mark.parametrize("case", BURNDOWN_CASES.values(), ids=BURNDOWN_CASES.keys())
def test_burndown_series(case):
    rows = burndown(
        start=D[0],
        end=D[4],
        committed=10,
        scope_events=case["scope"],
        done_events=case["done"],
        today=case["today"],
    )
    assert series(rows, "day") == D[:5]
    assert series(rows, "remaining") == case["remaining"]
    assert series(rows, "scope") == case["scope_series"]
    assert series(rows, "done") == case["done_series"]
    assert series(rows, "added") == case["added"]
    assert series(rows, "removed") == case["removed"]
    # The ideal line is there every day, future days included.
    assert series(rows, "ideal") == [10.0, 7.5, 5.0, 2.5, 0.0]


@pytest.mark.parametrize(
    ("committed", "days", "ideal"),
    [
        (10, 4, [10.0, 7.5, 5.0, 2.5, 0.0]),
        (7, 3, [7.0, 4.67, 2.33, 0.0]),
        (0, 2, [0.0, 0.0, 0.0]),
        (40, 14, None),  # a two-week sprint: only the endpoints are checked
    ],
)
def test_burndown_ideal_line_runs_from_committed_to_zero(committed, days, ideal):
    rows = burndown(
        start=MON,
        end=MON + timedelta(days=days),
        committed=committed,
        scope_events=[],
        done_events=[],
        today=MON,
    )
    assert len(rows) == days + 1
    assert rows[0].ideal == committed
    assert rows[-1].ideal == 0
    if ideal is not None:
        assert series(rows, "ideal") == ideal
    # It only ever goes down.
    assert all(a.ideal >= b.ideal for a, b in itertools.pairwise(rows))


def test_burndown_ideal_is_not_bent_by_scope_changes():
    rows = burndown(
        start=D[0],
        end=D[4],
        committed=10,
        scope_events=[(D[1], 20)],
        done_events=[],
        today=D[4],
    )
    assert series(rows, "ideal") == [10.0, 7.5, 5.0, 2.5, 0.0]
    assert series(rows, "remaining") == [10, 30, 30, 30, 30]


# ---------------------------------------------------------------- velocity


@pytest.mark.parametrize(
    ("completed", "last", "expected"),
    [
        ([10, 20, 30, 40], 3, 30.0),  # only the last three count
        ([21, 18, 24], 3, 21.0),
        ([None, 10, 20], 3, 15.0),  # a sprint without a number is skipped
        ([12, None, 18, None, 30], 3, 20.0),
        ([7], 3, 7.0),
        ([0, 0, 3], 3, 1.0),
        ([1, 2, 3], 2, 2.5),
        ([], 3, None),  # no closed sprint: no forecast, not zero
        ([None, None], 3, None),
    ],
)
def test_mean_velocity(completed, last, expected):
    assert mean_velocity(completed, last=last) == expected


# ---------------------------------------------------------------- percentiles


@pytest.mark.parametrize(
    ("values", "pct", "expected"),
    [
        # P50 of an even count is halfway between the middle two.
        ([1, 2, 3, 4], 50, 2.5),
        # P85: rank 0.85 × 3 = 2.55 → 3 + 0.55 × (4 − 3)
        ([1, 2, 3, 4], 85, 3.55),
        ([10, 20, 30, 40, 50], 50, 30),
        # rank 0.85 × 4 = 3.4 → 40 + 0.4 × 10
        ([10, 20, 30, 40, 50], 85, 44),
        ([50, 10, 40, 20, 30], 85, 44),  # order of the input does not matter
        # cycle times in hours: rank 0.85 × 5 = 4.25 → 10 + 0.25 × 20
        ([2, 4, 6, 8, 10, 30], 85, 15),
        ([2, 4, 6, 8, 10, 30], 50, 7),
        ([3, 9], 0, 3),
        ([3, 9], 100, 9),
        ([7], 85, 7.0),  # one value is every percentile
        ([7], 50, 7.0),
        ([], 85, None),  # nothing done yet: no cycle time, not zero
    ],
)
def test_percentile(values, pct, expected):
    result = percentile(values, pct)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


# ---------------------------------------------------------------- ranks


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, None, RANK_GAP),  # an empty column
        (None, 2048, 2048 - RANK_GAP),  # at the top
        (None, 10, 10 - RANK_GAP),  # at the top, below zero is fine
        (1024, None, 1024 + RANK_GAP),  # at the bottom
        (1024, 2048, 1536),  # in the middle
        (1024, 1027, 1025),
        (1024, 1026, 1025),
        (-100, 100, 0),
        (1024, 1025, None),  # touching: renumber first
        (5, 5, None),
        # At the ends of the range: renumber first rather than overflow the column.
        (RANK_LIMIT, None, None),
        (RANK_LIMIT - RANK_GAP, None, RANK_LIMIT),
        (2**63 - 1, None, None),
        (None, -RANK_LIMIT, None),
        (None, -(2**63), None),
        (-(2**63), 2**63 - 1, -1),  # between the two ends is fine: only the ends overflow
    ],
)
def test_rank_between(before, after, expected):
    result = rank_between(before, after)
    assert result == expected
    if result is not None:
        if before is not None:
            assert result > before
        if after is not None:
            assert result < after


# ---------------------------------------------------------------- working days


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 9), date(2026, 3, 6)),  # Monday → the Friday before
        (date(2026, 3, 10), date(2026, 3, 9)),  # Tuesday → Monday
        (date(2026, 3, 13), date(2026, 3, 12)),  # Friday → Thursday
        (date(2026, 3, 8), date(2026, 3, 6)),  # Sunday → Friday
        (date(2026, 3, 7), date(2026, 3, 6)),  # Saturday → Friday
        (date(2026, 1, 1), date(2025, 12, 31)),  # across the year
    ],
)
def test_previous_working_day(day, expected):
    result = previous_working_day(day)
    assert result == expected
    assert result.weekday() < 5


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (date(2026, 3, 6), date(2026, 3, 9), 1),  # Friday → Monday: one working day
        (date(2026, 3, 9), date(2026, 3, 13), 4),
        (date(2026, 3, 9), date(2026, 3, 9), 0),
        (date(2026, 3, 6), date(2026, 3, 8), 0),  # a weekend
    ],
)
def test_working_days_between(first, last, expected):
    assert working_days_between(first, last) == expected
