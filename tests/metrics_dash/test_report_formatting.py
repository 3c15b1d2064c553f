"""The daily report page reads like a report, in the reader's language: money with its
currency and thousands separators, percentages with %, counts as whole numbers,
durations with their unit word, and events by their name, never their code."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext

from portal.roles import Role
from tests.metrics_dash.report_factories import report_with_every_unit
from tests.portal.factories import UserFactory
from tests.projects.factories import add_member

pytestmark = pytest.mark.django_db

URL = "/projects/MALL/reports/2026-12-08/"
RAW = ["156166.0000", "62.5000", "33.3300", "12345.0000", "3.4500", "risk.escalated"]


@pytest.fixture
def english_reader(project):
    return add_member(project, UserFactory(username="emily", language="en"), Role.VIEWER)


def kpi_rows(html: str) -> dict[str, list[str]]:
    """name → the cells after it (value, day before, target), as text."""
    rows = {}
    for name, rest in re.findall(r"<tr><td>(.*?)</td>(.*?)</tr>", html, flags=re.S):
        cells = re.findall(r"<td>(.*?)</td>", rest, flags=re.S)
        rows[name] = [re.sub(r"<[^>]+>", "", c).strip() for c in cells]
    return rows


def visible(html: str) -> str:
    """What a reader sees: the text, not the tags and their attributes."""
    return re.sub(r"<[^>]+>", " ", html)


def test_the_page_in_chinese_shows_units_and_currency(project, viewer, client):
    report_with_every_unit(project)
    client.force_login(viewer)

    page = client.get(URL).content.decode()

    rows = kpi_rows(page)
    assert rows["GMV"] == ["¥156,166.00", "¥149,000.50", "¥150,000.00"]
    assert rows["转化率"] == ["62.5%", "33.33%", "60%"]
    assert rows["订单数"] == ["12,345", "9,876", "10,000"]
    assert rows["交付周期"] == ["3.5天", "4天", "3天"]
    for raw in [*RAW, "report.daily"]:
        assert raw not in visible(page)
    with translation.override("zh-hans"):
        assert gettext("Risk level rose") in page
        assert gettext("Daily operations report") in page


def test_the_page_in_english_shows_units_and_currency(project, english_reader, client):
    report_with_every_unit(project)
    client.force_login(english_reader)

    page = client.get(URL).content.decode()

    rows = kpi_rows(page)
    assert rows["GMV"] == ["CN¥156,166.00", "CN¥149,000.50", "CN¥150,000.00"]
    assert rows["转化率"] == ["62.5%", "33.33%", "60%"]
    assert rows["订单数"] == ["12,345", "9,876", "10,000"]
    assert rows["交付周期"] == ["3.5 days", "4 days", "3 days"]
    for raw in [*RAW, "report.daily"]:
        assert raw not in visible(page)
    assert "Risk level rose" in page
    assert "subscribed to “Daily operations report”" in page
