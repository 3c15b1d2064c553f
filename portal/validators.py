"""Validators shared by every app: timezones, currencies, and the bounds of every date,
period year and id a client can send."""

import zoneinfo
from datetime import date
from functools import cache

from babel import numbers as babel_numbers
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

# Offered first in pickers: the currencies an e-commerce team here meets most.
COMMON_CURRENCIES = ["CNY", "USD", "EUR", "HKD", "JPY", "GBP", "SGD", "KRW", "AUD", "CAD"]
COMMON_TIMEZONES = [
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
]


@cache
def all_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value not in all_timezones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone (e.g. Asia/Shanghai)."),
            code="invalid_timezone",
            params={"value": value},
        )


@cache
def _known_currencies() -> frozenset[str]:
    return frozenset(babel_numbers.list_currencies())


def validate_currency(value: str) -> None:
    if value not in _known_currencies():
        raise ValidationError(
            _("“%(value)s” is not an ISO 4217 currency code (e.g. CNY, USD)."),
            code="invalid_currency",
            params={"value": value},
        )


# Every date a person or a client enters (sprints, due dates, reviews, KPI values, OKR
# periods) lies in these years. Outside them a typo such as 0026 or 20266 is accepted by
# the calendar but breaks every page that does arithmetic on it (year 0 has no `date`,
# `end + 1 day` overflows at 9999), so it is refused at the boundary instead.
MIN_YEAR = 2000
MAX_YEAR = 2100
# The largest id or BIGINT value the database stores (PostgreSQL `bigint`, SQLite INTEGER).
MAX_BIGINT = 2**63 - 1


def year_in_range(year: int) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR


def validate_year(year: int) -> None:
    if not year_in_range(year):
        raise ValidationError(
            _("Use a year from %(min)s to %(max)s."),
            code="year_out_of_range",
            params={"min": MIN_YEAR, "max": MAX_YEAR},
        )


def validate_date_in_range(value: date) -> None:
    """Model, form and serializer validator for every client-entered date."""
    if value is not None:
        validate_year(value.year)


def parse_date_in_range(raw: object) -> date | None:
    """A `YYYY-MM-DD` string from a URL, a query parameter or a JSON row, or None when it
    is not a real date inside MIN_YEAR–MAX_YEAR."""
    if isinstance(raw, date):
        day = raw
    elif isinstance(raw, str):
        try:
            day = parse_date(raw.strip())
        except ValueError:  # the shape of a date, but not a real one (2026-02-30)
            return None
    else:
        return None
    return day if day is not None and year_in_range(day.year) else None


def timezone_choices() -> list[tuple[str, str]]:
    rest = sorted(all_timezones() - set(COMMON_TIMEZONES))
    return [(tz, tz) for tz in COMMON_TIMEZONES + rest]


def currency_choices(locale: str) -> list[tuple[str, str]]:
    """ISO 4217 codes with names in the user's language, the common ones first."""
    babel_locale = "zh_Hans_CN" if locale.startswith("zh") else "en"
    rest = sorted(_known_currencies() - set(COMMON_CURRENCIES))
    return [
        (code, f"{code} · {babel_numbers.get_currency_name(code, locale=babel_locale)}")
        for code in COMMON_CURRENCIES + rest
    ]
