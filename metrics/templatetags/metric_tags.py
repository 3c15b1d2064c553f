from decimal import Decimal

from babel import numbers as babel_numbers
from django import template
from django.utils.translation import get_language

register = template.Library()


def _locale() -> str:
    return "zh_Hans_CN" if (get_language() or "").startswith("zh") else "en_US"


@register.filter
def kpi_value(value, kpi) -> str:
    """A KPI value as people read it: money with its currency, percent with %, counts grouped."""
    if value is None or value == "":
        return "—"
    value = Decimal(value)
    if kpi.unit == "money":
        return babel_numbers.format_currency(value, kpi.currency or "CNY", locale=_locale())
    if kpi.unit == "percent":
        return f"{babel_numbers.format_decimal(value, format='#,##0.##', locale=_locale())}%"
    if kpi.unit == "duration":
        return f"{babel_numbers.format_decimal(value, format='#,##0.#', locale=_locale())} d"
    if kpi.unit == "weeks":
        return f"{babel_numbers.format_decimal(value, format='#,##0.#', locale=_locale())} w"
    return babel_numbers.format_decimal(value, format="#,##0.##", locale=_locale())


@register.filter
def pct(value) -> int:
    return round(float(value or 0) * 100)


@register.filter
def days(hours) -> str:
    """Hours → days with one decimal (cycle and lead times)."""
    if hours is None:
        return "—"
    return f"{float(hours) / 24:.1f}d"
