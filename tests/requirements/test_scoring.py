"""The backlog's formulas (DESIGN §4), table-tested: the Kano evaluation table, the survey
verdict and its Better/Worse coefficients, RICE, WSJF and the MoSCoW Must share."""

from __future__ import annotations

import math
from decimal import Decimal as D

import pytest

from requirements import scoring

# ---------------------------------------------------------------- Kano evaluation table

# DESIGN §4, row = functional answer, column = dysfunctional answer, copied cell by cell.
DESIGN_TABLE = """
            like  expect neutral tolerate dislike
like         Q     A      A       A        O
expect       R     I      I       I        M
neutral      R     I      I       I        M
tolerate     R     I      I       I        M
dislike      R     R      R       R        Q
"""


def _design_cells() -> list[tuple[str, str, str]]:
    header, *rows = [line.split() for line in DESIGN_TABLE.strip().splitlines()]
    return [
        (row[0], dysfunctional, letter)
        for row in rows
        for dysfunctional, letter in zip(header, row[1:], strict=True)
    ]


CELLS = _design_cells()


def test_the_design_table_has_all_25_cells():
    assert len(CELLS) == 25
    assert len({(f, d) for f, d, _ in CELLS}) == 25


@pytest.mark.parametrize(("functional", "dysfunctional", "expected"), CELLS)
def test_each_answer_pair_gets_the_class_of_the_evaluation_table(
    functional, dysfunctional, expected
):
    assert scoring.kano_class(functional, dysfunctional) == expected


@pytest.mark.parametrize(
    ("functional", "dysfunctional"),
    [
        ("love", "dislike"),
        ("like", "hate"),
        ("", "like"),
        ("Like", "dislike"),
        (None, "like"),
        ("like", None),
        ("1", "5"),
    ],
)
def test_an_answer_outside_the_five_is_refused(functional, dysfunctional):
    with pytest.raises(ValueError, match="like, expect, neutral, tolerate, dislike"):
        scoring.kano_class(functional, dysfunctional)


def test_counts_tally_each_class_and_list_all_six_letters():
    pairs = [("like", "dislike"), ("like", "dislike"), ("expect", "dislike"), ("like", "like")]
    assert scoring.kano_counts(pairs) == {"A": 0, "O": 2, "M": 1, "I": 0, "R": 0, "Q": 1}


def test_counts_refuse_a_bad_answer_among_good_ones():
    with pytest.raises(ValueError, match="meh"):
        scoring.kano_counts([("like", "dislike"), ("like", "meh")])


# ---------------------------------------------------------------- category and ties


def counts(**given: int) -> dict[str, int]:
    return {letter: given.get(letter, 0) for letter in scoring.CLASSES}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(counts(A=3, O=1, M=1, I=2), "A", id="clear-majority-attractive"),
        pytest.param(counts(I=5, M=4), "I", id="clear-majority-indifferent"),
        pytest.param(counts(R=4, A=1), "R", id="reverse-can-win"),
        pytest.param(counts(Q=2, I=1), "Q", id="questionable-can-win"),
        # Ties: M > O > A > I.
        pytest.param(counts(M=2, O=2), "M", id="tie-M-O"),
        pytest.param(counts(M=2, A=2), "M", id="tie-M-A"),
        pytest.param(counts(M=2, I=2), "M", id="tie-M-I"),
        pytest.param(counts(O=3, A=3), "O", id="tie-O-A"),
        pytest.param(counts(O=1, I=1), "O", id="tie-O-I"),
        pytest.param(counts(A=2, I=2), "A", id="tie-A-I"),
        pytest.param(counts(A=2, O=2, M=2, I=2), "M", id="four-way-tie"),
        pytest.param(counts(A=2, O=2, I=2, M=1), "O", id="three-way-tie-without-M"),
        pytest.param(counts(A=1, I=1, R=1, Q=1), "A", id="tie-with-R-and-Q"),
        pytest.param(counts(I=2, R=2, Q=2), "I", id="I-beats-R-and-Q"),
        # A tie below the top does not matter.
        pytest.param(counts(I=3, M=1, O=1), "I", id="tie-below-the-winner"),
    ],
)
def test_category_is_the_most_frequent_class_ties_broken_m_o_a_i(given, expected):
    assert scoring.kano_category(given) == expected


def test_no_answers_have_no_category():
    assert scoring.kano_category(counts()) is None
    assert scoring.kano_category({}) is None


def test_ties_are_broken_the_same_whatever_order_the_counts_come_in():
    forwards = {"A": 2, "O": 2, "M": 0, "I": 2, "R": 0, "Q": 0}
    backwards = dict(reversed(list(forwards.items())))
    assert scoring.kano_category(forwards) == scoring.kano_category(backwards) == "O"


# ---------------------------------------------------------------- Better / Worse


@pytest.mark.parametrize(
    ("given", "better", "worse"),
    [
        pytest.param(counts(A=2, O=1, M=1), 0.75, -0.5, id="mixed"),
        pytest.param(counts(A=1, O=1, M=1, I=1), 0.5, -0.5, id="one-each"),
        pytest.param(counts(O=4), 1.0, -1.0, id="all-performance"),
        pytest.param(counts(M=3), 0.0, -1.0, id="all-must-be"),
        pytest.param(counts(A=1, I=2), 0.333, 0.0, id="rounded-to-3dp"),
        pytest.param(counts(O=2, I=1), 0.667, -0.667, id="rounded-half-up-ish"),
        # Reverse and questionable answers are left out of both coefficients.
        pytest.param(counts(A=1, M=1, R=5, Q=5), 0.5, -0.5, id="R-and-Q-ignored"),
    ],
)
def test_better_worse_coefficients(given, better, worse):
    assert scoring.better_worse(given) == (better, worse)


@pytest.mark.parametrize(
    "given",
    [counts(), counts(R=3), counts(Q=2), counts(R=1, Q=1)],
    ids=["no-answers", "only-reverse", "only-questionable", "reverse-and-questionable"],
)
def test_coefficients_are_none_when_a_o_m_i_are_all_zero(given):
    assert scoring.better_worse(given) == (None, None)


@pytest.mark.parametrize("given", [counts(A=3), counts(I=2), counts(A=1, I=4)])
def test_worse_is_never_negative_zero(given):
    _better, worse = scoring.better_worse(given)
    assert worse == 0
    # -0.0 == 0.0 is True, so look at the sign: a chart label would read "-0".
    assert math.copysign(1, worse) == 1.0
    assert str(worse) == "0.0"


# ---------------------------------------------------------------- kano_summary


def test_summary_of_a_survey_has_the_api_shape():
    pairs = [
        ("like", "dislike"),  # O
        ("like", "dislike"),  # O
        ("expect", "dislike"),  # M
        ("like", "neutral"),  # A
        ("dislike", "like"),  # R
        ("like", "like"),  # Q
    ]

    summary = scoring.kano_summary(pairs)

    assert summary == {
        "category": "performance",
        "counts": {"A": 1, "O": 2, "M": 1, "I": 0, "R": 1, "Q": 1},
        "better": 0.75,
        "worse": -0.75,
        "responses": 6,
    }


def test_summary_names_the_category_with_the_requirement_kano_words():
    assert scoring.kano_summary([("expect", "dislike")])["category"] == "must_be"
    assert scoring.kano_summary([("like", "expect")])["category"] == "attractive"
    assert scoring.kano_summary([("neutral", "neutral")])["category"] == "indifferent"
    assert scoring.kano_summary([("dislike", "like")])["category"] == "reverse"
    assert scoring.kano_summary([("like", "like")])["category"] == "questionable"


def test_summary_of_a_tied_survey_uses_the_tie_order():
    # One performance, one attractive answer: performance wins the tie.
    summary = scoring.kano_summary([("like", "expect"), ("like", "dislike")])
    assert summary["category"] == "performance"


def test_summary_without_answers():
    assert scoring.kano_summary([]) == {
        "category": None,
        "counts": {"A": 0, "O": 0, "M": 0, "I": 0, "R": 0, "Q": 0},
        "better": None,
        "worse": None,
        "responses": 0,
    }


def test_summary_accepts_a_generator_and_counts_it_once():
    summary = scoring.kano_summary(pair for pair in [("like", "neutral"), ("like", "dislike")])
    assert summary["responses"] == 2
    assert sum(summary["counts"].values()) == 2


def test_summary_refuses_a_bad_answer():
    with pytest.raises(ValueError, match="maybe"):
        scoring.kano_summary([("like", "dislike"), ("maybe", "dislike")])


# ---------------------------------------------------------------- RICE


@pytest.mark.parametrize(
    ("reach", "impact", "confidence", "effort", "expected"),
    [
        # Each impact on the scale, 1,000 people, 80 % confidence, 2 person-weeks.
        pytest.param(1000, D("0.25"), 80, D("2"), D("100.00"), id="impact-0.25"),
        pytest.param(1000, D("0.5"), 80, D("2"), D("200.00"), id="impact-0.5"),
        pytest.param(1000, D("1"), 80, D("2"), D("400.00"), id="impact-1"),
        pytest.param(1000, D("2"), 80, D("2"), D("800.00"), id="impact-2"),
        pytest.param(1000, D("3"), 80, D("2"), D("1200.00"), id="impact-3"),
        # Impact given as a float or as it comes back from the database (2 dp).
        pytest.param(1000, 0.5, 80, 2, D("200.00"), id="impact-as-float"),
        pytest.param(1000, D("0.50"), 80, D("2.00"), D("200.00"), id="impact-as-stored"),
        pytest.param(1000, D("3"), 0, D("2"), D("0.00"), id="confidence-0"),
        pytest.param(1000, D("3"), 100, D("2"), D("1500.00"), id="confidence-100"),
        pytest.param(0, D("3"), 100, D("2"), D("0.00"), id="reach-0"),
        pytest.param(300, D("1"), 50, D("0.5"), D("300.00"), id="effort-half-a-week"),
        pytest.param(100, D("2"), 90, D("1.5"), D("120.00"), id="effort-fractional"),
        pytest.param(10, D("1"), 100, D("3"), D("3.33"), id="rounded-down-to-2dp"),
        pytest.param(20, D("1"), 100, D("3"), D("6.67"), id="rounded-up-to-2dp"),
        pytest.param(1, D("0.25"), 50, D("1"), D("0.13"), id="half-rounds-up"),
    ],
)
def test_rice_is_reach_times_impact_times_confidence_over_effort(
    reach, impact, confidence, effort, expected
):
    score = scoring.rice_score(reach, impact, confidence, effort)
    assert score == expected
    assert score.as_tuple().exponent == -2  # always shown with two decimals


@pytest.mark.parametrize(
    "inputs",
    [
        (None, D("1"), 80, D("2")),
        (1000, None, 80, D("2")),
        (1000, D("1"), None, D("2")),
        (1000, D("1"), 80, None),
        (None, None, None, None),
    ],
    ids=["no-reach", "no-impact", "no-confidence", "no-effort", "nothing"],
)
def test_rice_is_none_until_every_input_is_given(inputs):
    assert scoring.rice_score(*inputs) is None


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        pytest.param((1000, D("1"), 80, D("0")), "effort", id="effort-0"),
        pytest.param((1000, D("1"), 80, 0), "effort", id="effort-int-0"),
        pytest.param((1000, D("1"), 80, D("-1")), "effort", id="effort-negative"),
        pytest.param((1000, D("0.7"), 80, D("2")), "impact", id="impact-0.7"),
        pytest.param((1000, D("4"), 80, D("2")), "impact", id="impact-4"),
        pytest.param((1000, D("0"), 80, D("2")), "impact", id="impact-0"),
        pytest.param((1000, D("1"), 101, D("2")), "confidence", id="confidence-101"),
        pytest.param((1000, D("1"), -1, D("2")), "confidence", id="confidence-negative"),
        pytest.param((-5, D("1"), 80, D("2")), "reach", id="reach-negative"),
    ],
)
def test_rice_refuses_inputs_outside_their_range(inputs, message):
    with pytest.raises(ValueError, match=message):
        scoring.rice_score(*inputs)


# ---------------------------------------------------------------- WSJF


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        pytest.param((20, 20, 20, 1), D("60.00"), id="max-over-1"),
        pytest.param((1, 1, 1, 20), D("0.15"), id="min-over-20"),
        pytest.param((8, 5, 3, 5), D("3.20"), id="typical"),
        pytest.param((13, 8, 2, 3), D("7.67"), id="rounded-up"),
        pytest.param((1, 1, 2, 3), D("1.33"), id="rounded-down"),
        pytest.param((1, 2, 3, 8), D("0.75"), id="exact"),
    ],
)
def test_wsjf_is_cost_of_delay_over_job_size(inputs, expected):
    score = scoring.wsjf_score(*inputs)
    assert score == expected
    assert score.as_tuple().exponent == -2


@pytest.mark.parametrize("value", [1, 2, 3, 5, 8, 13, 20])
def test_wsjf_accepts_every_value_of_the_scale_in_every_position(value):
    for position in range(4):
        inputs = [1, 1, 1, 1]
        inputs[position] = value
        assert scoring.wsjf_score(*inputs) is not None


def test_the_wsjf_scale_is_the_design_one():
    assert scoring.WSJF_SCALE == (1, 2, 3, 5, 8, 13, 20)


@pytest.mark.parametrize("bad", [0, 4, 6, 21, -1, 100])
@pytest.mark.parametrize("position", range(4), ids=["bv", "tc", "rr", "size"])
def test_wsjf_refuses_a_value_off_the_scale_in_any_position(bad, position):
    inputs = [5, 5, 5, 5]
    inputs[position] = bad
    with pytest.raises(ValueError, match="1, 2, 3, 5, 8, 13, 20"):
        scoring.wsjf_score(*inputs)


@pytest.mark.parametrize("position", range(4), ids=["bv", "tc", "rr", "size"])
def test_wsjf_is_none_while_an_input_is_missing(position):
    inputs = [5, 5, 5, 5]
    inputs[position] = None
    assert scoring.wsjf_score(*inputs) is None


# ---------------------------------------------------------------- MoSCoW Must share


@pytest.mark.parametrize(
    ("effort", "expected"),
    [
        pytest.param({"must": D("6"), "should": D("3"), "could": D("1")}, D("0.600"), id="60pc"),
        pytest.param({"must": D("7"), "should": D("3")}, D("0.700"), id="70pc"),
        pytest.param({"must": D("1"), "should": D("2")}, D("0.333"), id="third"),
        pytest.param({"must": D("5")}, D("1.000"), id="only-must"),
        pytest.param({"should": D("5")}, D("0.000"), id="no-must"),
        # Won't-haves are not part of the release's planned effort.
        pytest.param({"must": D("3"), "should": D("2"), "wont": D("95")}, D("0.600"), id="wont"),
        pytest.param({"must": 2.5, "could": None, "should": 2.5}, D("0.500"), id="floats-none"),
    ],
)
def test_must_share_is_must_effort_over_the_planned_effort(effort, expected):
    # Unrounded (the 60 % comparison must see 60.04 %); compared here to 3 places.
    assert scoring.must_share(effort).quantize(D("0.001")) == expected


@pytest.mark.parametrize(
    "effort",
    [{}, {"must": None, "should": None}, {"wont": D("5")}, {"must": D("0"), "should": D("0")}],
    ids=["empty", "all-none", "only-wont", "all-zero"],
)
def test_must_share_is_none_without_planned_effort(effort):
    assert scoring.must_share(effort) is None


def test_the_must_share_limit_is_sixty_percent():
    assert D("0.600") <= scoring.MUST_SHARE_LIMIT < D("0.601")
