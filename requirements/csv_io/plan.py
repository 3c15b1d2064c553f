"""A CSV file read into an import plan: every row checked, nothing written."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from kpis.models import KPI
from portal.errors import ApplicationError
from portal.exports import unescape_formula
from portal.models import Project

from .. import scoring, services
from ..models import Requirement, RequirementKPI, Status, phase_label
from .columns import (
    _CHOICES,
    _DATE,
    _DIGITS,
    _SIGNED,
    _UNSIGNED,
    COLUMNS,
    IGNORED_COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    WSJF_FIELDS,
)

# ---------------------------------------------------------------- import: the plan


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str
    message: str


@dataclass
class PlannedRow:
    row: int
    title: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    kpi_links: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors


@dataclass
class ImportPlan:
    """What an import would create, row by row, with every problem found. Bound to the
    project it was checked against (KPI codes resolve per project)."""

    project_id: int
    columns: list[str]
    rows: list[PlannedRow]
    warnings: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[RowError]:
        return [error for row in self.rows for error in row.errors]

    @property
    def valid_rows(self) -> list[PlannedRow]:
        return [row for row in self.rows if row.is_valid]

    @property
    def valid_count(self) -> int:
        return len(self.valid_rows)

    @property
    def invalid_count(self) -> int:
        return len(self.rows) - self.valid_count

    @property
    def is_valid(self) -> bool:
        return bool(self.rows) and not self.errors


class _CellError(Exception):
    def __init__(self, message: str):
        self.message = message


def decode_csv(data: bytes) -> str:
    """The uploaded bytes as text, the BOM dropped. Not UTF-8 → ApplicationError."""
    if len(data) > MAX_BYTES:
        raise too_big_error()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApplicationError(
            _(
                "The file is not UTF-8 text. In Excel, save it as “CSV UTF-8 (comma "
                "delimited)”, then upload it again."
            ),
            field="file",
        ) from None


def too_big_error() -> ApplicationError:
    return ApplicationError(
        _("The file is larger than %(size)s MB: split it into several files.")
        % {"size": MAX_BYTES // (1024 * 1024)},
        field="file",
    )


def _norm(text: Any) -> str:
    return " ".join(str(text).split()).casefold()


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _label_maps() -> dict[str, dict[str, str]]:
    """For each choice column: code or display label (any language) → code."""
    maps: dict[str, dict[str, str]] = {}
    for column, choices in _CHOICES.items():
        found = {_norm(code): code for code in choices.values}
        for language in _languages():
            with translation.override(language):
                for code, label in choices.choices:
                    found.setdefault(_norm(label), code)
        maps[column] = found
    phases: dict[str, int] = {}
    for language in _languages():
        with translation.override(language):
            for n in range(1, 100):
                phases.setdefault(_norm(phase_label(n)), n)
    maps["phase"] = phases  # type: ignore[assignment]
    return maps


def _header_aliases() -> dict[str, str]:
    """Machine column names, and the field names as the portal shows them (标题, Title)."""
    aliases = {name: name for name in COLUMNS}
    for language in _languages():
        with translation.override(language):
            for name in COLUMNS:
                if name in IGNORED_COLUMNS:
                    continue
                if name == "target_kpis":
                    label = RequirementKPI._meta.verbose_name_plural
                else:
                    label = Requirement._meta.get_field(name).verbose_name
                aliases.setdefault(_norm(label), name)
    return aliases


def _delimiter(text: str) -> str:
    """Comma, unless the header line plainly uses tabs or semicolons (a pasted sheet,
    a European Excel)."""
    first = text.split("\n", 1)[0]
    if "," not in first:
        for candidate in ("\t", ";"):
            if candidate in first:
                return candidate
    return ","


class _Parser:
    def __init__(self, project: Project):
        self.project = project
        self.labels = _label_maps()
        self._kpis: dict[str, Any] | None = None

    # -- cells

    def kpis(self) -> dict[str, Any]:
        """KPI code → KPI among the project's and the company-wide ones (one query);
        the project's own KPI wins when both have the code."""
        if self._kpis is None:
            found: dict[str, Any] = {}
            visible = KPI.objects.filter(Q(project=self.project) | Q(project__isnull=True))
            for kpi in visible:
                if kpi.code not in found or kpi.project_id is not None:
                    found[kpi.code] = kpi
            self._kpis = found
        return self._kpis

    def choice(self, column: str, value: str) -> str:
        code = self.labels[column].get(_norm(value))
        if code is None:
            choices = _CHOICES[column]
            raise _CellError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": value, "choices": ", ".join(choices.values)}
            )
        return code

    def phase(self, value: str) -> int:
        if _DIGITS.fullmatch(value) and 1 <= int(value) <= 99:
            return int(value)
        phase = self.labels["phase"].get(_norm(value))
        if phase is None:
            raise _CellError(_("A release phase is a number from 1 to 99."))
        return phase  # type: ignore[return-value]

    @staticmethod
    def tags(value: str) -> list[str]:
        try:
            return services.clean_tags(value)
        except ApplicationError as exc:
            raise _CellError(exc.message) from None

    @staticmethod
    def target_date(value: str) -> date:
        match = _DATE.fullmatch(value)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                pass
        raise _CellError(_("Enter a date as YYYY-MM-DD, e.g. 2026-11-30."))

    @staticmethod
    def reach(value: str) -> int:
        digits = value.replace(",", "").replace("，", "")
        if not _DIGITS.fullmatch(digits) or int(digits) > 2_147_483_647:
            raise _CellError(_("Reach is a whole number, 0 or more."))
        return int(digits)

    @staticmethod
    def impact(value: str) -> Decimal:
        impact = Decimal(value) if _UNSIGNED.fullmatch(value) else None
        if impact not in scoring.RICE_IMPACTS:
            raise _CellError(_("Impact is one of 0.25, 0.5, 1, 2 or 3."))
        return impact  # type: ignore[return-value]

    @staticmethod
    def confidence(value: str) -> int:
        number = value.removesuffix("%").strip()
        if not _DIGITS.fullmatch(number) or int(number) > 100:
            raise _CellError(_("Confidence is a whole percentage from 0 to 100."))
        return int(number)

    @staticmethod
    def effort(value: str) -> Decimal:
        effort = Decimal(value) if _UNSIGNED.fullmatch(value) else None
        if effort is None or effort <= 0:
            raise _CellError(_("Effort is more than 0 person-weeks."))
        if effort.as_tuple().exponent < -2 or effort >= 100_000:  # type: ignore[operator]
            raise _CellError(_("Effort has at most 2 decimals and is under 100,000."))
        return effort

    @staticmethod
    def wsjf(value: str) -> int:
        if not _DIGITS.fullmatch(value) or int(value) not in scoring.WSJF_SCALE:
            raise _CellError(_("Choose one of 1, 2, 3, 5, 8, 13, 20."))
        return int(value)

    def target_kpis(self, value: str) -> list[dict[str, Any]]:
        links: list[dict[str, Any]] = []
        seen: set[str] = set()
        for part in re.split(r"[;；\n]", value):
            part = part.strip()
            if not part:
                continue
            code, colon, change = part.replace("：", ":").partition(":")
            code = code.strip().lower()
            change = change.strip().replace("−", "-").replace(" ", "")
            if not colon or not code or not _SIGNED.fullmatch(change):
                raise _CellError(
                    _("Write each KPI as code:expected change, e.g. “gmv:+50000; dau:-200”.")
                )
            amount = Decimal(change)
            if amount.as_tuple().exponent < -2 or abs(amount) >= Decimal("1e12"):  # type: ignore[operator]
                raise _CellError(
                    _("The expected change of %(code)s has at most 2 decimals.") % {"code": code}
                )
            kpi = self.kpis().get(code)
            if kpi is None:
                raise _CellError(
                    _("No KPI has the code “%(code)s” in this project or company-wide.")
                    % {"code": code}
                )
            if code in seen:
                raise _CellError(_("The KPI %(code)s appears twice.") % {"code": code})
            seen.add(code)
            links.append({"kpi": kpi, "expected_change": amount})
        return links

    # -- rows

    def cell_parsers(self) -> dict[str, Callable[[str], Any]]:
        parsers: dict[str, Callable[[str], Any]] = {
            column: (lambda value, column=column: self.choice(column, value)) for column in _CHOICES
        }
        parsers.update(
            {
                "phase": self.phase,
                "tags": self.tags,
                "target_date": self.target_date,
                "reach": self.reach,
                "impact": self.impact,
                "confidence": self.confidence,
                "effort": self.effort,
                **dict.fromkeys(WSJF_FIELDS, self.wsjf),
            }
        )
        return parsers

    def row(self, number: int, cells: dict[str, str]) -> PlannedRow:
        planned = PlannedRow(row=number)

        def error(column: str, message: str) -> None:
            planned.errors.append(RowError(number, column, message))

        planned.title = cells.get("title", "")
        if not planned.title:
            error("title", _("Every requirement needs a title."))
        text_limits = {"title": 200, "rejection_reason": 500, "requester": 80}
        for column, limit in text_limits.items():
            if len(cells.get(column, "")) > limit:
                error(column, _("At most %(n)s characters.") % {"n": limit})
        for column in ("description", "rejection_reason", "requester"):
            if cells.get(column):
                planned.fields[column] = cells[column]
        parsers = self.cell_parsers()
        for column, parse in parsers.items():
            value = cells.get(column, "")
            if not value:
                continue
            if column != "tags":
                # Full-width digits and punctuation from a Chinese input method: "８０％".
                value = unicodedata.normalize("NFKC", value)
            try:
                planned.fields[column] = parse(value)
            except _CellError as exc:
                error(column, exc.message)
        if cells.get("target_kpis"):
            try:
                value = unicodedata.normalize("NFKC", cells["target_kpis"])
                planned.kpi_links = self.target_kpis(value)
            except _CellError as exc:
                error("target_kpis", exc.message)
        self.status_rules(planned, error)
        if planned.is_valid:
            self.model_rules(planned, error)
        return planned

    @staticmethod
    def status_rules(planned: PlannedRow, error: Callable[[str, str], None]) -> None:
        """The service's rules, per cell: a rejection needs its reason, anything past
        `new` needs MoSCoW and a priority."""
        fields = planned.fields
        status = fields.get("status", Status.NEW)
        if status == Status.REJECTED and not fields.get("rejection_reason"):
            error("rejection_reason", _("Say why the requirement is rejected."))
        if status not in (Status.NEW, Status.REJECTED):
            label = Status(status).label
            for column in ("moscow", "priority"):
                if not fields.get(column) and not any(e.column == column for e in planned.errors):
                    error(
                        column,
                        _("Triage first: a %(status)s requirement needs MoSCoW and a priority.")
                        % {"status": label},
                    )

    def model_rules(self, planned: PlannedRow, error: Callable[[str, str], None]) -> None:
        """Whatever else the model refuses, found now rather than halfway through the
        import (no queries: the foreign keys are not checked)."""
        candidate = Requirement(project=self.project, title=planned.title, **planned.fields)
        try:
            candidate.full_clean(
                exclude=[
                    "project",
                    "number",
                    "created_by",
                    "created_at",
                    "rank",
                    "rice_score",
                    "wsjf_score",
                    "tags_text",
                ],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            for column, messages in exc.message_dict.items():
                for message in messages:
                    error(column if column in COLUMNS else "", message)


def _clean_cell(value: str) -> str:
    # Excel ends lines inside a cell with \n, a browser re-posting the file with \r\n.
    return unescape_formula(value.replace("\r\n", "\n").replace("\r", "\n").strip())


def parse_backlog_csv(text: str, *, project: Project) -> ImportPlan:
    """Check every row of a backlog CSV for `project` without writing anything.

    File-level problems (no title column, too big, too many rows, not CSV) raise
    ApplicationError (field "file"); row problems are collected on the plan, each with
    its spreadsheet row number (header = row 1), column and message. Blank lines are
    skipped; unknown columns are ignored with a warning.
    """
    text = text.removeprefix("\ufeff")
    # Measured with plain line ends: a browser re-posting the text doubles them.
    if len(text.replace("\r\n", "\n").encode("utf-8")) > MAX_BYTES:
        raise too_big_error()
    if "\x00" in text:
        raise ApplicationError(
            _("The file has binary content: upload a CSV file, not an Excel workbook."),
            field="file",
        )
    if not text.strip():
        raise ApplicationError(_("The file is empty."), field="file")
    # Strict: an unclosed quote is an error, not the rest of the file in one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        header = [_clean_cell(cell) for cell in next(reader)]
        aliases = _header_aliases()
        columns: list[str] = []
        warnings: list[str] = []
        for cell in header:
            column = aliases.get(_norm(cell), "")
            if column and column in columns:
                raise ApplicationError(
                    _("The column “%(column)s” appears twice.") % {"column": cell}, field="file"
                )
            if not column and cell:
                warnings.append(
                    _("The column “%(column)s” is not one of ours and was ignored.")
                    % {"column": cell}
                )
            columns.append(column)
        if "title" not in columns:
            raise ApplicationError(
                _("The file has no “title” column. Start from an export or the template."),
                field="file",
            )
        parser = _Parser(project)
        rows: list[PlannedRow] = []
        for index, record in enumerate(reader, start=2):
            cells = [_clean_cell(cell) for cell in record]
            if not any(cells):
                continue
            if len(rows) == MAX_ROWS:
                raise ApplicationError(
                    _("The file has more than %(n)s rows: split it into several files.")
                    % {"n": f"{MAX_ROWS:,}"},
                    field="file",
                )
            values = {
                column: cell
                for column, cell in zip(columns, cells, strict=False)
                if column and column not in IGNORED_COLUMNS
            }
            planned = parser.row(index, values)
            if any(cells[len(columns) :]):
                planned.errors.append(
                    RowError(index, "", _("This row has more cells than the header has columns."))
                )
            rows.append(planned)
    except csv.Error as exc:
        raise ApplicationError(
            _("The file is not a readable CSV (line %(line)s: %(error)s).")
            % {"line": reader.line_num, "error": exc},
            field="file",
        ) from None
    if not rows:
        raise ApplicationError(_("The file has a header but no requirements."), field="file")
    return ImportPlan(
        project_id=project.pk,
        columns=[c for c in columns if c and c not in IGNORED_COLUMNS],
        rows=rows,
        warnings=warnings,
    )
