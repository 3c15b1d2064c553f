"""Kano evaluation, Better/Worse coefficients, RICE and WSJF (DESIGN §4).

Pure functions on plain values, table-tested; the models and services call them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

# Answers to the functional ("if the product had…") and dysfunctional ("if it did not
# have…") questions, in the order of the evaluation table.
ANSWERS = ("like", "expect", "neutral", "tolerate", "dislike")

# Kano classes: attractive, one-dimensional (performance), must-be, indifferent,
# reverse, questionable.
A, O, M, I, R, Q = "A", "O", "M", "I", "R", "Q"  # noqa: E741 — the Kano letters
CLASSES = (A, O, M, I, R, Q)

# The requirement's `kano` field uses words; the survey table uses letters.
CLASS_TO_KANO = {
    A: "attractive",
    O: "performance",
    M: "must_be",
    I: "indifferent",
    R: "reverse",
    Q: "questionable",
}

# Rows: functional answer; columns: dysfunctional answer (like … dislike).
_TABLE = {
    "like": (Q, A, A, A, O),
    "expect": (R, I, I, I, M),
    "neutral": (R, I, I, I, M),
    "tolerate": (R, I, I, I, M),
    "dislike": (R, R, R, R, Q),
}

# When two classes are equally frequent the verdict goes to the one that matters most
# to get right: must-be, then performance, attractive, indifferent (then R, Q).
TIE_ORDER = (M, O, A, I, R, Q)

RICE_IMPACTS = (Decimal("0.25"), Decimal("0.5"), Decimal("1"), Decimal("2"), Decimal("3"))
WSJF_SCALE = (1, 2, 3, 5, 8, 13, 20)


def kano_class(functional: str, dysfunctional: str) -> str:
    """The Kano class of one answer pair, from the evaluation table."""
    try:
        return _TABLE[functional][ANSWERS.index(dysfunctional)]
    except (KeyError, ValueError):
        raise ValueError(
            f"Kano answers are one of {', '.join(ANSWERS)}: got {functional!r}, {dysfunctional!r}"
        ) from None


def kano_counts(pairs: Iterable[tuple[str, str]]) -> dict[str, int]:
    counts = Counter(kano_class(f, d) for f, d in pairs)
    return {letter: counts.get(letter, 0) for letter in CLASSES}


def kano_category(counts: dict[str, int]) -> str | None:
    """The most frequent class, ties broken M > O > A > I > R > Q; None without answers."""
    if not any(counts.get(letter, 0) for letter in CLASSES):
        return None
    return max(TIE_ORDER, key=lambda letter: (counts.get(letter, 0), -TIE_ORDER.index(letter)))


def better_worse(counts: dict[str, int]) -> tuple[float | None, float | None]:
    """Better = (A+O)/(A+O+M+I), Worse = −(O+M)/(A+O+M+I); None when the sum is 0."""
    a, o, m, i = (counts.get(letter, 0) for letter in (A, O, M, I))
    total = a + o + m + i
    if total == 0:
        return None, None
    better = round((a + o) / total, 3)
    worse = round(-(o + m) / total, 3)
    return better, (0.0 if worse == 0 else worse)


def kano_summary(pairs: Iterable[tuple[str, str]]) -> dict:
    """The survey's verdict as the API shows it: category, counts, better, worse, responses."""
    pairs = list(pairs)
    counts = kano_counts(pairs)
    letter = kano_category(counts)
    better, worse = better_worse(counts)
    return {
        "category": CLASS_TO_KANO[letter] if letter else None,
        "counts": counts,
        "better": better,
        "worse": worse,
        "responses": len(pairs),
    }


def rice_score(
    reach: int | None,
    impact: Decimal | float | None,
    confidence: int | None,
    effort: Decimal | float | None,
) -> Decimal | None:
    """RICE = reach × impact × confidence ÷ effort; confidence in percent (0–100), effort in
    person-weeks (> 0). None until every input is given."""
    if reach is None or impact is None or confidence is None or effort is None:
        return None
    impact, effort = Decimal(str(impact)), Decimal(str(effort))
    if reach < 0:
        raise ValueError("reach cannot be negative")
    if impact not in RICE_IMPACTS:
        raise ValueError("impact is one of 0.25, 0.5, 1, 2, 3")
    if not 0 <= confidence <= 100:
        raise ValueError("confidence is 0–100 %")
    if effort <= 0:
        raise ValueError("effort is more than 0 person-weeks")
    value = Decimal(reach) * impact * Decimal(confidence) / Decimal(100) / effort
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def wsjf_score(
    business_value: int | None,
    time_criticality: int | None,
    risk_reduction: int | None,
    job_size: int | None,
) -> Decimal | None:
    """WSJF = (business value + time criticality + risk reduction) ÷ job size, each on the
    1, 2, 3, 5, 8, 13, 20 scale. None until every input is given."""
    values = (business_value, time_criticality, risk_reduction, job_size)
    if any(value is None for value in values):
        return None
    if any(value not in WSJF_SCALE for value in values):
        raise ValueError("WSJF inputs are each one of 1, 2, 3, 5, 8, 13, 20")
    value = Decimal(business_value + time_criticality + risk_reduction) / Decimal(job_size)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# MoSCoW guidance: Must-haves take at most 60 % of a release's estimated effort, so the
# Should/Could items leave room to absorb surprises.
MUST_SHARE_LIMIT = Decimal("0.6")


def must_share(effort_by_moscow: dict[str, Decimal | float | None]) -> Decimal | None:
    """The Must share of the estimated effort (must ÷ all but won't); None without effort."""
    planned = sum(
        Decimal(str(value or 0)) for key, value in effort_by_moscow.items() if key != "wont"
    )
    if planned <= 0:
        return None
    # Not rounded: callers compare it with the 60 % limit, and display rounds it.
    return Decimal(str(effort_by_moscow.get("must") or 0)) / planned
