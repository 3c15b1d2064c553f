"""Spreadsheet downloads: every table that exports goes through portal.exports.

A cell a spreadsheet would run as a formula (`=HYPERLINK(…)` in a risk title, opened by
the PM in Excel) comes out as text: an apostrophe in front in CSV, a text cell (never a
formula) in Excel. Real numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from portal.exports import csv_response, escape_formula, unescape_formula, xlsx_response
from tests.requirements.factories import make_requirement
from tests.risks.factories import make_risk

pytestmark = pytest.mark.django_db

# What a hostile or careless title can start with: ASCII and full-width formula marks,
# and the tab / carriage return some spreadsheets skip before reading a formula.
DANGEROUS = [
    '=HYPERLINK("http://x","y")',
    "@SUM(1)",
    "-1+2",
    "+1+2",
    "\t=1+2",
    "\r=1+2",
    "＝1+2",
    "＋1+2",
    "－1+2",
    "＠SUM(1)",
]


def read_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def read_xlsx(response):
    return load_workbook(io.BytesIO(response.content)).active


# ---------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *[(t, "'" + t) for t in DANGEROUS],
        ("'=already quoted", "''=already quoted"),
        ("plain", "plain"),
        ("", ""),
        ("a=b", "a=b"),
        (" =1+2", " =1+2"),
        ("支付-退款", "支付-退款"),
    ],
)
def test_escape_formula(text, expected):
    assert escape_formula(text) == expected
    assert unescape_formula(escape_formula(text)) == text


def test_csv_keeps_numbers_and_escapes_text():
    response = csv_response(
        header=["name", "value"],
        rows=[["-1+2", -5], ["=1", Decimal("-12.50")], [None, 3]],
        filename="kpis.csv",
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="kpis.csv"'
    assert read_csv(response) == [
        ["name", "value"],
        ["'-1+2", "-5"],
        ["'=1", "-12.50"],
        ["", "3"],
    ]


def test_a_non_ascii_filename_survives():
    response = csv_response(header=["a"], rows=[], filename="风险-MALL.csv")
    assert "filename*=utf-8''" in response["Content-Disposition"]


def test_xlsx_keeps_numbers_and_writes_text_as_text():
    response = xlsx_response(
        header=["name", "value"],
        rows=[[t, -1] for t in DANGEROUS] + [["KPI", Decimal("-12.5")]],
        filename="kpis.xlsx",
        sheet_title="KPI",
    )
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = read_xlsx(response)
    assert sheet.title == "KPI"
    for (name, value), text in zip(sheet.iter_rows(min_row=2), [*DANGEROUS, "KPI"], strict=True):
        assert name.value == text.replace("\r", "\n")  # XML reads a lone CR as a newline
        assert name.data_type == "s"
        assert value.data_type == "n"
        assert value.value < 0
    # Excel's hidden apostrophe: the cell stays text even when someone edits it.
    assert sheet["A2"].quotePrefix
    assert not sheet["A12"].quotePrefix


def test_xlsx_survives_control_characters():
    # openpyxl refuses them outright: a pasted escape sequence must not break the export.
    response = xlsx_response(
        header=["title"], rows=[["bell\x07 and escape\x1b[0m"]], filename="x.xlsx", sheet_title="X"
    )
    assert read_xlsx(response)["A2"].value == "bell and escape[0m"


# ---------------------------------------------------------------- every exporting table


@pytest.fixture
def hostile_risks(project, owner) -> set[str]:
    """Risks titled like formulas; their titles as stored (the services trim whitespace)."""
    return {
        make_risk(project, title=title, mitigation_plan="@" + title).title for title in DANGEROUS
    }


@pytest.fixture
def hostile_requirements(project, owner) -> set[str]:
    return {
        make_requirement(project, title=title, requester="=cmd|' /C calc'!A0").title
        for title in DANGEROUS
    }


def test_risk_csv_export_writes_formulas_as_text(client, member, hostile_risks):
    client.force_login(member)
    response = client.get(reverse("risks:export_csv", args=["MALL"]))
    rows = read_csv(response)
    assert {row[1] for row in rows[1:]} == {"'" + title for title in hostile_risks}
    for row in rows[1:]:
        assert row[13].startswith("'@")  # the mitigation plan column
    assert all(row[4].isdigit() for row in rows[1:])  # probability: a plain number


def test_risk_xlsx_export_writes_formulas_as_text(client, member, hostile_risks):
    client.force_login(member)
    response = client.get(reverse("risks:export_xlsx", args=["MALL"]))
    sheet = read_xlsx(response)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    titles = {row[1].value for row in sheet.iter_rows(min_row=2)}
    assert titles == hostile_risks
    assert all(row[4].data_type == "n" for row in sheet.iter_rows(min_row=2))


def test_requirement_csv_export_writes_formulas_as_text(client, member, hostile_requirements):
    client.force_login(member)
    response = client.get(reverse("requirements:export_csv", args=["MALL"]))
    rows = read_csv(response)
    header = rows[0]
    titles = {row[header.index("title")] for row in rows[1:]}
    assert titles == {"'" + title for title in hostile_requirements}
    assert {row[header.index("requester")] for row in rows[1:]} == {"'=cmd|' /C calc'!A0"}
