"""Numbers, money, percentages and durations as people read them, in one language.

One helper per kind, used alike by the pages (the template filters in `portal_tags`)
and by the messages sent to DingTalk, Feishu and Slack (in the channel's language).
Babel's CLDR data gives the grouping, the currency symbols and the unit words (天, 小时,
days, hours), so the same value reads naturally in Chinese and in English.

`language` is a Django language code (`zh-hans`, `en`); None means the active one.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from babel import numbers as babel_numbers
from babel import units as babel_units
from django.conf import settings
from django.utils.translation import get_language

EMPTY = "—"

# Units of a measured value (a KPI's unit): how its number is read.
MONEY, PERCENT, COUNT, DURATION_DAYS, DURATION_WEEKS = (
    "money",
    "percent",
    "count",
    "duration",
    "weeks",
)

_CLDR_UNITS = {"hour": "duration-hour", "day": "duration-day", "week": "duration-week"}
_HOURS_IN = {"hour": 1, "day": 24, "week": 24 * 7}


def babel_locale(language: str | None = None) -> str:
    language = (language or get_language() or settings.LANGUAGE_CODE).lower()
    return "zh_Hans_CN" if language.startswith("zh") else "en_US"


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _rounded(number: Decimal, places: int) -> Decimal | int:
    """Rounded half up; a whole number becomes an int, so CLDR says "1 day", not "1 days"."""
    step = Decimal(1).scaleb(-places)
    rounded = number.quantize(step, rounding=ROUND_HALF_UP)
    return int(rounded) if rounded == rounded.to_integral_value() else rounded.normalize()


def format_number(value: Any, language: str | None = None, *, places: int = 2) -> str:
    """1234.5000 → "1,234.5"; up to `places` decimals, none when the value is whole."""
    number = _decimal(value)
    if number is None:
        return EMPTY
    pattern = "#,##0" + ("." + "#" * places if places else "")
    return babel_numbers.format_decimal(
        _rounded(number, places), format=pattern, locale=babel_locale(language)
    )


def format_count(value: Any, language: str | None = None) -> str:
    """A whole number with grouping: 12345.0000 → "12,345"."""
    return format_number(value, language, places=0)


def format_money(value: Any, currency: str | None, language: str | None = None) -> str:
    """156166 CNY → "¥156,166.00" (zh-Hans) or "CN¥156,166.00" (en): its currency, always."""
    number = _decimal(value)
    if number is None:
        return EMPTY
    return babel_numbers.format_currency(number, currency or "CNY", locale=babel_locale(language))


def format_percent(
    value: Any, language: str | None = None, *, places: int = 2, ratio: bool = False
) -> str:
    """62.5 → "62.5%" (or 0.625 with `ratio=True`), in the language's percent style."""
    number = _decimal(value)
    if number is None:
        return EMPTY
    if not ratio:
        number = number / 100
    pattern = "#,##0" + ("." + "#" * places if places else "") + "%"
    return babel_numbers.format_percent(
        _rounded(number, places + 2), format=pattern, locale=babel_locale(language)
    )


def format_duration(
    value: Any,
    language: str | None = None,
    *,
    unit: str = "day",
    show: str | None = None,
    places: int = 1,
) -> str:
    """A length of time in one unit with the language's word for it.

    `unit` is what `value` counts ("hour", "day", "week"); `show` the unit to read it in
    (default: the same). 81.6 hours shown in days → "3.4 days" / "3.4天".
    """
    number = _decimal(value)
    if number is None:
        return EMPTY
    show = show or unit
    number = number * _HOURS_IN[unit] / _HOURS_IN[show]
    return babel_units.format_unit(
        _rounded(number, places),
        _CLDR_UNITS[show],
        length="long",
        format="#,##0" + ("." + "#" * places if places else ""),
        locale=babel_locale(language),
    )


def format_age(hours: Any, language: str | None = None) -> str:
    """How long something has waited, short: "5h", "3d 11h", "6d" / "5小时", "3天 11小时".

    Hours are dropped from four days on: by then they no longer matter.
    """
    number = _decimal(hours)
    if number is None:
        return EMPTY
    hours = max(int(number), 0)
    locale = babel_locale(language)

    def narrow(amount: int, unit: str) -> str:
        return babel_units.format_unit(amount, _CLDR_UNITS[unit], length="narrow", locale=locale)

    if hours < 24:
        return narrow(hours, "hour")
    days, rest = divmod(hours, 24)
    if rest and hours < 96:
        return f"{narrow(days, 'day')} {narrow(rest, 'hour')}"
    return narrow(days, "day")


def format_quantity(
    value: Any, unit: str, *, currency: str | None = None, language: str | None = None
) -> str:
    """A measured value (a KPI's) read by its unit: money with its currency, percent with
    %, durations with their unit word, anything else as a grouped number."""
    if unit == MONEY:
        return format_money(value, currency, language)
    if unit == PERCENT:
        return format_percent(value, language)
    if unit == DURATION_DAYS:
        return format_duration(value, language, unit="day")
    if unit == DURATION_WEEKS:
        return format_duration(value, language, unit="week")
    return format_number(value, language)
