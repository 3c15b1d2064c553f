from django import template

from portal import formatting

register = template.Library()


@register.filter
def kpi_value(value, kpi) -> str:
    """A KPI value as people read it: money with its currency, percent with %, durations
    with their unit word, counts grouped (portal.formatting, in the active language)."""
    if value is None or value == "":
        return formatting.EMPTY
    return formatting.format_quantity(value, kpi.unit, currency=kpi.currency or None)


@register.filter
def pct(value) -> int:
    return round(float(value or 0) * 100)


@register.filter
def days(hours) -> str:
    """Hours → days with one decimal and the language's word: 3.4 days / 3.4天."""
    return formatting.format_duration(hours, unit="hour", show="day")
