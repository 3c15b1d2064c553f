"""Tables as spreadsheet downloads: the one way every export writes CSV and Excel files.

A text cell that starts like a formula (`=HYPERLINK(…)` in a risk title, `@SUM(…)`,
`-2+3`, or the full-width ＝＋－＠ an IME types) would be run by the spreadsheet of the PM
who opens the file. Every text cell goes through `escape_formula` here, so no export can
forget it:

- CSV: the cell gets an apostrophe in front, which spreadsheets read as "this is text"
  (`unescape_formula` takes it off again when we import our own files);
- Excel: the cell is written as a text cell with Excel's hidden quote prefix, so it shows
  exactly what was typed and stays text even when someone edits it.

Numbers (ints, floats, Decimals) are not text: a negative KPI value stays a number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

Cell = str | int | float | Decimal | date | datetime | None
Row = Sequence[Cell]

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What Excel, LibreOffice and Google Sheets start a formula with (tab and carriage
# return: some skip them and read the formula behind), and the full-width forms that
# Excel in Chinese and Japanese locales reads as their ASCII counterparts.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# Control characters an XML file cannot hold (openpyxl raises on them); tab, newline and
# carriage return are fine.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def escape_formula(text: str) -> str:
    """`=1+2` → `'=1+2`. Text already starting with apostrophes before a formula mark gets
    one more, so `unescape_formula` gives back exactly what was typed."""
    return "'" + text if text.lstrip("'").startswith(FORMULA_START) else text


def unescape_formula(text: str) -> str:
    """The inverse of `escape_formula`, for importing a file we exported."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_START):
        return text[1:]
    return text


def _is_number(value: Cell) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _local(value: datetime) -> datetime:
    # Spreadsheets have no time zones: show the reader's local time.
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


def _download(content: bytes | str, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    # Non-ASCII names (a project's Chinese name) are sent as RFC 6266 filename*.
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# ---------------------------------------------------------------- CSV


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")  # never "1E+2"
    if _is_number(value) or isinstance(value, date):
        return str(_local(value) if isinstance(value, datetime) else value)
    return escape_formula(str(value))


def csv_text(header: Row, rows: Iterable[Row]) -> str:
    """CSV text with a BOM first: Excel reads a UTF-8 file's Chinese text only with one."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([_csv_cell(value) for value in header])
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue()


def csv_response(*, header: Row, rows: Iterable[Row], filename: str) -> HttpResponse:
    return _download(
        csv_text(header, rows), content_type="text/csv; charset=utf-8", filename=filename
    )


# ---------------------------------------------------------------- Excel


def _xlsx_write(cell, value: Cell) -> None:
    if value is None or _is_number(value) or isinstance(value, date):
        cell.value = _local(value) if isinstance(value, datetime) else value
        return
    # openpyxl stores any text starting with "=" as a formula: set the text, then say it
    # is text.
    text = _XML_ILLEGAL.sub("", str(value))
    cell.value = text
    cell.data_type = "s"
    if escape_formula(text) != text:
        cell.quotePrefix = True


def xlsx_response(
    *,
    header: Row,
    rows: Iterable[Row],
    filename: str,
    sheet_title: str,
    column_widths: Sequence[int] = (),
    freeze: str = "A2",
    fills: Callable[[Row], dict[int, str]] | None = None,
) -> HttpResponse:
    """One sheet: a bold header row with a filter, frozen at `freeze`. `fills(row)` may
    give background colours ("RRGGBB") by 1-based column for that row's cells."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]  # Excel's limit on sheet names
    bold = Font(bold=True)
    for column, value in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=column)
        _xlsx_write(cell, value)
        cell.font = bold
    for row_number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            _xlsx_write(sheet.cell(row=row_number, column=column), value)
        for column, colour in (fills(row) if fills else {}).items():
            sheet.cell(row=row_number, column=column).fill = PatternFill("solid", fgColor=colour)
    for column, width in enumerate(column_widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = freeze
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _download(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE, filename=filename)
