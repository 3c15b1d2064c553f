"""The KPI and OKR formulas of DESIGN §4 as tables: KR progress (increasing and decreasing
key results), objective progress, the KPI status colours with the amber band's edges,
period bounds, time elapsed in a period and the on/at/off-track verdict."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from metrics.calculations import (
    AMBER,
    AT_RISK,
    GREEN,
    OFF_TRACK,
    ON_TRACK,
    RED,
    elapsed_fraction,
    kpi_status,
    kr_progress,
    objective_progress,
    period_bounds,
    track_status,
    valid_period,
)

# ---------------------------------------------------------------- KR progress


@pytest.mark.parametrize(
    ("start", "target", "current", "expected"),
    [
        # increasing: DAU from 100k to 150k
        ("100000", "150000", "100000", "0"),
        ("100000", "150000", "125000", "0.5"),
        ("100000", "150000", "137500", "0.75"),
        ("100000", "150000", "150000", "1"),
        # decreasing: return rate from 8 % down to 5 %
        ("8", "5", "8", "0"),
        ("8", "5", "6.5", "0.5"),
        ("8", "5", "5", "1"),
        ("8", "5", "7.4", "0.2"),
        # clamped: worse than the start, better than the target
        ("100000", "150000", "90000", "0"),
        ("100000", "150000", "180000", "1"),
        ("8", "5", "9.5", "0"),
        ("8", "5", "3", "1"),
        # negative numbers work too (a loss shrinking to zero)
        ("-200", "0", "-50", "0.75"),
        # nothing measured yet
        ("0", "10", None, "0"),
        ("8", "5", None, "0"),
    ],
)
def test_kr_progress(start, target, current, expected):
    current = None if current is None else D(current)

    assert kr_progress(D(start), D(target), current) == D(expected)


@pytest.mark.parametrize(("start", "target"), [("5", "5"), ("0", "0"), ("8.0", "8")])
def test_kr_progress_refuses_a_target_equal_to_its_start(start, target):
    with pytest.raises(ValueError, match="target equals start"):
        kr_progress(D(start), D(target), D("1"))


# ---------------------------------------------------------------- objective progress


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        # plain mean of equally weighted key results
        ([("0.5", "1"), ("1", "1")], "0.75"),
        ([("0.2", "1"), ("0.4", "1"), ("0.9", "1")], "0.5"),
        # weights: a 3-weight KR at 20 % and a 1-weight KR done → (0.6 + 1) / 4
        ([("0.2", "3"), ("1", "1")], "0.4"),
        ([("1", "0.5"), ("0", "1.5")], "0.25"),
        # a zero-weight KR does not count
        ([("0.5", "0"), ("1", "2")], "1"),
        # all weights zero, or no key results at all: 0, not a division error
        ([("0.5", "0"), ("1", "0")], "0"),
        ([], "0"),
    ],
)
def test_objective_progress(pairs, expected):
    progress = objective_progress([(D(p), D(w)) for p, w in pairs])

    assert progress == D(expected)


# ---------------------------------------------------------------- KPI status


@pytest.mark.parametrize(
    ("latest", "target", "direction", "expected"),
    [
        # higher is better, target 100: meets → green, within 10 % → amber, else red
        ("120", "100", "higher", GREEN),
        ("100", "100", "higher", GREEN),
        ("99.99", "100", "higher", AMBER),
        ("90", "100", "higher", AMBER),  # exactly 10 % short: still amber
        ("89.99", "100", "higher", RED),  # a hair more: red
        ("0", "100", "higher", RED),
        # lower is better, return rate target 5 %
        ("4", "5", "lower", GREEN),
        ("5", "5", "lower", GREEN),
        ("5.2", "5", "lower", AMBER),
        ("5.5", "5", "lower", AMBER),  # exactly 10 % over: still amber
        ("5.5001", "5", "lower", RED),  # a hair more: red
        ("8", "5", "lower", RED),
        # GMV in money, target 2,800,000
        ("2520000", "2800000", "higher", AMBER),
        ("2519999.99", "2800000", "higher", RED),
        # a target of zero leaves no band: any miss is red
        ("0.01", "0", "lower", RED),
        ("0", "0", "lower", GREEN),
        # a negative target (a margin that may be a loss): the band is 10 % of its size
        ("-110", "-100", "higher", AMBER),
        ("-110.01", "-100", "higher", RED),
    ],
)
def test_kpi_status(latest, target, direction, expected):
    assert kpi_status(D(latest), D(target), direction) == expected


@pytest.mark.parametrize(("latest", "target"), [(None, D("100")), (D("90"), None), (None, None)])
def test_kpi_status_is_none_without_a_value_or_a_target(latest, target):
    assert kpi_status(latest, target, "higher") is None
    assert kpi_status(latest, target, "lower") is None


# ---------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026-H2", date(2026, 7, 1), date(2026, 12, 31)),
        ("2026-M01", date(2026, 1, 1), date(2026, 1, 31)),
        ("2026-M02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2028-M02", date(2028, 2, 1), date(2028, 2, 29)),  # leap year
        ("2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),
        ("2026-M04", date(2026, 4, 1), date(2026, 4, 30)),
        ("2026-M12", date(2026, 12, 1), date(2026, 12, 31)),
        ("2026-Y", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_period_bounds(period, first, last):
    assert period_bounds(period) == (first, last)


@pytest.mark.parametrize(
    "period",
    [
        "",
        None,
        "2026",
        "2026-Q0",
        "2026-Q5",
        "2026-H0",
        "2026-H3",
        "2026-M00",
        "2026-M13",
        "2026-M2",
        "2026-q4",
        "26-Q4",
        "2026Q4",
        "2026-Q4 ",
        " 2026-Q4",
        "2026-Q4-01",
        "2026年第四季度",
    ],
)
def test_period_bounds_refuses_what_is_not_a_period(period):
    with pytest.raises(ValueError, match="period must look like"):
        period_bounds(period)


def test_period_bounds_refuses_a_trailing_newline():
    with pytest.raises(ValueError, match="period must look like"):
        period_bounds("2026-Q4\n")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-Q4", "2026-Q4"),
        ("2000-Q1", "2000-Q1"),
        ("2100-Y", "2100-Y"),
        ("0000-Q1", None),  # no calendar has a year 0: period_bounds cannot even answer
        ("1999-Q4", None),
        ("2101-H1", None),
        ("2026-Q5", None),
        ("", None),
        (None, None),
    ],
)
def test_valid_period_is_a_period_in_the_planning_years(raw, expected):
    assert valid_period(raw) == expected


# ---------------------------------------------------------------- time elapsed


@pytest.mark.parametrize(
    ("period", "today", "expected"),
    [
        # before the period starts, and on its first day: nothing has elapsed
        ("2026-Q4", date(2026, 9, 30), D(0)),
        ("2026-Q4", date(2026, 10, 1), D(0)),
        # 45 of the 91 days from 1 October to 31 December
        ("2026-Q4", date(2026, 11, 15), D(45) / D(91)),
        ("2026-Q4", date(2026, 12, 30), D(90) / D(91)),
        # on its last day and after it: all of it
        ("2026-Q4", date(2026, 12, 31), D(1)),
        ("2026-Q4", date(2027, 2, 1), D(1)),
        ("2026-Y", date(2026, 7, 2), D(182) / D(364)),
        ("2028-M02", date(2028, 2, 15), D(14) / D(28)),
    ],
)
def test_elapsed_fraction(period, today, expected):
    assert elapsed_fraction(period, today) == expected


# ---------------------------------------------------------------- track status


@pytest.mark.parametrize(
    ("progress", "elapsed", "expected"),
    [
        ("0.8", "0.5", ON_TRACK),  # ahead of time
        ("0.5", "0.5", ON_TRACK),
        ("0.4", "0.5", ON_TRACK),  # 10 points behind: still on track
        ("0.3999", "0.5", AT_RISK),  # a hair more: at risk
        ("0.25", "0.5", AT_RISK),  # 25 points behind: still at risk
        ("0.2499", "0.5", OFF_TRACK),  # a hair more: off track
        ("0", "1", OFF_TRACK),  # the period is over and nothing done
        ("0", "0", ON_TRACK),  # the period has not started
        ("1", "1", ON_TRACK),
    ],
)
def test_track_status(progress, elapsed, expected):
    assert track_status(D(progress), D(elapsed)) == expected
