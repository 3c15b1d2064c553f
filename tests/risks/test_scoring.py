"""Risk score and level (DESIGN §4): score = probability × impact; low ≤ 4, medium 5–9,
high 10–16, critical ≥ 20. The pure functions and the database's generated columns must
give the same answer for every cell of the 5×5 grid."""

from __future__ import annotations

import pytest

from risks import scoring, services
from risks.models import Risk
from tests.risks.factories import make_risk

# The heat map as a risk owner reads it: rows are probability 5 → 1, columns impact 1 → 5.
EXPECTED_GRID = {
    5: ["medium", "high", "high", "critical", "critical"],  # 5 10 15 20 25
    4: ["low", "medium", "high", "high", "critical"],  # 4  8 12 16 20
    3: ["low", "medium", "medium", "high", "high"],  # 3  6  9 12 15
    2: ["low", "low", "medium", "medium", "high"],  # 2  4  6  8 10
    1: ["low", "low", "low", "low", "medium"],  # 1  2  3  4  5
}
CELLS = [
    (probability, impact, probability * impact, EXPECTED_GRID[probability][impact - 1])
    for probability in range(5, 0, -1)
    for impact in range(1, 6)
]


@pytest.mark.parametrize(("probability", "impact", "score", "level"), CELLS)
def test_every_cell_of_the_grid_scores_and_levels_as_designed(probability, impact, score, level):
    assert scoring.risk_score(probability, impact) == score
    assert scoring.risk_level(score) == level


@pytest.mark.parametrize(
    ("score", "level"),
    [(1, "low"), (4, "low"), (5, "medium"), (9, "medium"), (10, "high"), (16, "high"),
     (20, "critical"), (25, "critical")],
)  # fmt: skip
def test_band_edges(score, level):
    assert scoring.risk_level(score) == level


@pytest.mark.parametrize(
    ("probability", "impact"),
    [(0, 3), (6, 3), (3, 0), (3, 6), (-1, 2), (0, 0), (2.5, 2), ("3", 3), (None, 3)],
)
def test_out_of_scale_values_are_refused(probability, impact):
    with pytest.raises(ValueError, match="1–5"):
        scoring.risk_score(probability, impact)


@pytest.mark.parametrize(
    ("before", "after", "rose"),
    [
        ("low", "medium", True),
        ("medium", "critical", True),
        ("high", "critical", True),
        ("medium", "medium", False),
        ("critical", "high", False),
        ("medium", "low", False),
    ],
)
def test_level_rose_only_when_the_band_goes_up(before, after, rose):
    assert scoring.level_rose(before, after) is rose


@pytest.mark.django_db
def test_database_generated_score_and_level_agree_with_scoring_for_every_cell(project):
    # Given one risk registered through the service in each of the 25 cells
    for probability, impact, _score, _level in CELLS:
        make_risk(project, probability=probability, impact=impact, title=f"P{probability}I{impact}")

    # When the register reads them back from the database
    stored = {
        (p, i): (score, level)
        for p, i, score, level in Risk.objects.filter(project=project).values_list(
            "probability", "impact", "score", "level"
        )
    }

    # Then the generated columns match the formula and the design's bands, cell by cell
    assert len(stored) == 25
    for probability, impact, score, level in CELLS:
        assert stored[(probability, impact)] == (score, level), (probability, impact)
        assert scoring.risk_level(stored[(probability, impact)][0]) == level


@pytest.mark.django_db
def test_database_level_follows_a_changed_impact(project, owner):
    risk = make_risk(project, probability=4, impact=1)
    assert (risk.score, risk.level) == (4, "low")

    risk = services.risk_update(risk=risk, actor=owner, impact=5)

    fresh = Risk.objects.get(pk=risk.pk)
    assert (fresh.score, fresh.level) == (20, "critical")
    assert (risk.score, risk.level) == (20, "critical")
