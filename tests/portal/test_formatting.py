"""portal.formatting as tables: the one place numbers, money, percentages and durations
get their shape, in Chinese and in English. No database."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.utils import translation

from portal.formatting import (
    format_age,
    format_count,
    format_duration,
    format_money,
    format_number,
    format_percent,
    format_quantity,
)


@pytest.mark.parametrize(
    ("value", "currency", "zh", "en"),
    [
        (D("156166.0000"), "CNY", "¥156,166.00", "CN¥156,166.00"),
        ("1234.5", "USD", "US$1,234.50", "$1,234.50"),
        (0, "CNY", "¥0.00", "CN¥0.00"),
        (D("-88"), "CNY", "-¥88.00", "-CN¥88.00"),
        (None, "CNY", "—", "—"),
        ("", "CNY", "—", "—"),
    ],
)
def test_money_carries_its_currency_and_separators(value, currency, zh, en):
    assert format_money(value, currency, "zh-hans") == zh
    assert format_money(value, currency, "en") == en


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("62.5000"), "62.5%"),
        (D("33.3300"), "33.33%"),
        (D("33.3333"), "33.33%"),
        (60, "60%"),
        (D("0.5"), "0.5%"),
        (D("100.0000"), "100%"),
        (None, "—"),
    ],
)
def test_percentages_get_a_percent_sign_and_no_trailing_zeros(value, expected):
    assert format_percent(value, "zh-hans") == expected
    assert format_percent(value, "en") == expected


def test_a_ratio_reads_as_a_percentage():
    assert format_percent(0.75, "en", places=0, ratio=True) == "75%"
    assert format_percent(D("0.625"), "zh-hans", places=1, ratio=True) == "62.5%"


@pytest.mark.parametrize(
    ("value", "number", "count"),
    [
        (D("12345.0000"), "12,345", "12,345"),
        (D("1234.5000"), "1,234.5", "1,235"),
        (D("13.6667"), "13.67", "14"),
        (0, "0", "0"),
        ("abc", "—", "—"),
    ],
)
def test_numbers_are_grouped_without_trailing_zeros(value, number, count):
    assert format_number(value, "en") == number
    assert format_count(value, "zh-hans") == count


@pytest.mark.parametrize(
    ("value", "unit", "show", "zh", "en"),
    [
        (D("3.4500"), "day", None, "3.5天", "3.5 days"),
        (1, "day", None, "1天", "1 day"),
        (D("1.0000"), "day", None, "1天", "1 day"),
        (D("2.5"), "week", None, "2.5周", "2.5 weeks"),
        (81.6, "hour", "day", "3.4天", "3.4 days"),
        (148.8, "hour", "day", "6.2天", "6.2 days"),
        (None, "day", None, "—", "—"),
    ],
)
def test_durations_use_the_languages_unit_word(value, unit, show, zh, en):
    assert format_duration(value, "zh-hans", unit=unit, show=show) == zh
    assert format_duration(value, "en", unit=unit, show=show) == en


@pytest.mark.parametrize(
    ("hours", "zh", "en"),
    [
        (3.5, "3小时", "3h"),
        (0, "0小时", "0h"),
        (24, "1天", "1d"),
        (50, "2天 2小时", "2d 2h"),
        (83, "3天 11小时", "3d 11h"),
        (100, "4天", "4d"),  # from four days on, hours no longer matter
        (None, "—", "—"),
    ],
)
def test_ages_are_days_and_hours_in_the_languages_units(hours, zh, en):
    assert format_age(hours, "zh-hans") == zh
    assert format_age(hours, "en") == en


@pytest.mark.parametrize(
    ("value", "unit", "currency", "zh", "en"),
    [
        ("156166.0000", "money", "CNY", "¥156,166.00", "CN¥156,166.00"),
        ("62.5000", "percent", "", "62.5%", "62.5%"),
        ("12345.0000", "count", "", "12,345", "12,345"),
        ("3.4000", "duration", "", "3.4天", "3.4 days"),
        ("2.5000", "weeks", "", "2.5周", "2.5 weeks"),
        ("7.2500", "", "", "7.25", "7.25"),  # an older payload without a unit
    ],
)
def test_a_measured_value_reads_by_its_unit(value, unit, currency, zh, en):
    assert format_quantity(value, unit, currency=currency, language="zh-hans") == zh
    assert format_quantity(value, unit, currency=currency, language="en") == en


def test_without_a_language_the_active_one_is_used():
    with translation.override("en"):
        assert format_duration(2, unit="day") == "2 days"
    with translation.override("zh-hans"):
        assert format_duration(2, unit="day") == "2天"
