"""Validators shared by every app: timezones and currencies."""

import zoneinfo
from functools import cache

from babel import numbers as babel_numbers
from django.core.exceptions import ValidationError
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
