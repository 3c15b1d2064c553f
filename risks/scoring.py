"""Risk score and level (DESIGN §4). Pure functions, table-tested."""

from __future__ import annotations

LOW, MEDIUM, HIGH, CRITICAL = "low", "medium", "high", "critical"
LEVELS = [LOW, MEDIUM, HIGH, CRITICAL]
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}
SCALE = range(1, 6)


def risk_score(probability: int, impact: int) -> int:
    """Probability × impact, each on 1–5."""
    if probability not in SCALE or impact not in SCALE:
        raise ValueError("probability and impact are each 1–5")
    return probability * impact


def risk_level(score: int) -> str:
    """low ≤ 4, medium 5–9, high 10–16, critical ≥ 20 (17–19 cannot occur on a 5×5 grid)."""
    if score <= 4:
        return LOW
    if score <= 9:
        return MEDIUM
    if score <= 16:
        return HIGH
    return CRITICAL


def level_rose(before: str, after: str) -> bool:
    return LEVEL_RANK[after] > LEVEL_RANK[before]
