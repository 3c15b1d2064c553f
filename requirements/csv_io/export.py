"""A backlog as a CSV file: one row per requirement, values as codes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from portal.exports import Cell, csv_text

from ..models import Requirement, RequirementKPI
from .columns import COLUMNS, WSJF_FIELDS

# ---------------------------------------------------------------- export


def _decimal(value: Decimal | None) -> Decimal | None:
    """0.50 → 0.5, 3.00 → 3, 100.00 → 100: the file shows what was typed."""
    return None if value is None else Decimal(value).normalize()


def target_kpis_text(links: Iterable[RequirementKPI]) -> str:
    """ "conversion_rate:+2.00; gmv:+50000.00": each KPI code with its signed expected change."""
    return "; ".join(f"{link.kpi.code}:{link.expected_change:+}" for link in links)


def _export_row(requirement: Requirement) -> list[Cell]:
    # Text that starts like a formula gets an apostrophe (portal.exports); the import
    # takes it off again, so the round trip keeps the text.
    return [
        requirement.key,
        requirement.title,
        requirement.description,
        requirement.status,
        requirement.rejection_reason,
        requirement.moscow,
        requirement.kano,
        requirement.priority,
        requirement.phase,
        ", ".join(requirement.tags),
        requirement.source_department,
        requirement.requester,
        requirement.target_date,
        requirement.reach,
        _decimal(requirement.impact),
        requirement.confidence,
        _decimal(requirement.effort),
        *(getattr(requirement, name) for name in WSJF_FIELDS),
        requirement.rice_score,
        requirement.wsjf_score,
        target_kpis_text(requirement.kpi_links.all()),
    ]


def backlog_rows(requirements: Iterable[Requirement]) -> Iterator[list[Cell]]:
    """The rows under COLUMNS, in the order given. Pass the backlog selector's queryset:
    it brings the project and the KPI links along."""
    return (_export_row(requirement) for requirement in requirements)


def backlog_csv(requirements: Iterable[Requirement]) -> str:
    """The requirements as CSV text (BOM first), in the order given."""
    return csv_text(COLUMNS, backlog_rows(requirements))
