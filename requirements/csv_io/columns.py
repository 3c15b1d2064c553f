"""The backlog file's columns, their codes and the limits an import keeps to."""

from __future__ import annotations

import re

from portal.models import Department

from ..models import Kano, MoSCoW, Priority, Status

COLUMNS = [
    "key",
    "title",
    "description",
    "status",
    "rejection_reason",
    "moscow",
    "kano",
    "priority",
    "phase",
    "tags",
    "source_department",
    "requester",
    "target_date",
    "reach",
    "impact",
    "confidence",
    "effort",
    "business_value",
    "time_criticality",
    "risk_reduction",
    "job_size",
    "rice_score",
    "wsjf_score",
    "target_kpis",
]
# In the export for the reader; an import renumbers and recomputes them.
IGNORED_COLUMNS = {"key", "rice_score", "wsjf_score"}
WSJF_FIELDS = ("business_value", "time_criticality", "risk_reduction", "job_size")
MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024
_CHOICES = {
    "status": Status,
    "moscow": MoSCoW,
    "kano": Kano,
    "priority": Priority,
    "source_department": Department,
}
# ASCII digits only (fullmatch): "²" is a digit to str.isdigit but not to int().
_DIGITS = re.compile(r"[0-9]+")
_DATE = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})")
_UNSIGNED = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_SIGNED = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
