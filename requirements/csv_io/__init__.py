"""A backlog as a CSV file, and a CSV file as a backlog.

The file is the backlog's interchange format: stable machine column names, values as
codes, UTF-8 with a BOM so Excel shows Chinese text. An import checks every row first
(`parse_backlog_csv`, which writes nothing) and only then creates the rows through
`requirement_create`, in file order at the bottom of the backlog, so exporting a backlog
and importing the file into another project gives the same backlog. Keys and scores in
the file are ignored: the target project numbers its own requirements and the services
recompute the scores from their inputs.
"""

from __future__ import annotations

from .columns import COLUMNS, IGNORED_COLUMNS, MAX_BYTES, MAX_ROWS, WSJF_FIELDS
from .export import backlog_csv, backlog_rows, target_kpis_text
from .plan import (
    ImportPlan,
    PlannedRow,
    RowError,
    decode_csv,
    parse_backlog_csv,
    too_big_error,
)
from .writes import import_backlog

__all__ = [
    "COLUMNS",
    "IGNORED_COLUMNS",
    "MAX_BYTES",
    "MAX_ROWS",
    "WSJF_FIELDS",
    "ImportPlan",
    "PlannedRow",
    "RowError",
    "backlog_csv",
    "backlog_rows",
    "decode_csv",
    "import_backlog",
    "parse_backlog_csv",
    "target_kpis_text",
    "too_big_error",
]
