from decimal import Decimal
from functools import lru_cache

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from requirements.models import MoSCoW, Status, kano_label, phase_label

register = template.Library()


@lru_cache(maxsize=256)
def _options(field: str, choices: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Each option's HTML, escaped once per page language (a page has 500 of these)."""
    return tuple(
        (value, format_html('<option value="{}"{{selected}}>{}</option>', value, text))
        for value, text in choices
    )


@register.simple_tag
def backlog_select(requirement, field: str, choices, label: str, url: str, draggable=False):
    """A backlog row's in-place editor for one cell (htmx posts it on change).

    Built in Python rather than with template loops: a page shows a hundred rows with five
    of these each, and this keeps a render in a few milliseconds.
    """
    current = getattr(requirement, field)
    current = "" if current is None else str(current)
    if field == "phase":
        numbers = sorted({*range(1, 5), *([int(current)] if current else [])})
        choices = [(str(n), phase_label(n)) for n in numbers]
    options = [("", "—")] if field != "status" else []
    options += [(str(value), str(text)) for value, text in choices]
    rendered = "".join(
        html.replace("{selected}", " selected" if value == current else "")
        for value, html in _options(field, tuple(options))
    )
    return format_html(
        '<select name="value" aria-label="{}" data-field="{}" class="inline-select sel-{}-{}" '
        'hx-post="{}" hx-vals=\'{{"field": "{}", "draggable": "{}"}}\' hx-target="closest tr" '
        'hx-swap="outerHTML" hx-trigger="change">{}</select>',
        label,
        field,
        field,
        current or "none",
        url,
        field,
        "1" if draggable else "0",
        mark_safe(rendered),  # built from escaped fragments above
    )


@register.filter
def moscow_label(value: str) -> str:
    return str(MoSCoW(value).label) if value in MoSCoW.values else "—"


@register.filter(name="kano_label")
def kano_label_filter(value: str) -> str:
    return kano_label(value) or "—"


@register.filter
def status_label(value: str) -> str:
    return str(Status(value).label) if value in Status.values else value


@register.filter
def phase_name(value) -> str:
    return phase_label(value) or "—"


@register.filter
def effect(link) -> str:
    """A KPI link's expected change in the KPI's unit: "+2 %", "+¥50,000", "−3"."""
    change: Decimal = link.expected_change
    sign = "+" if change > 0 else ("−" if change < 0 else "±")
    magnitude = abs(change).normalize()
    text = f"{magnitude:f}"
    unit = link.kpi.unit
    if unit == "percent":
        return f"{sign}{text} %"
    if unit == "money":
        symbol = {"CNY": "¥", "USD": "$", "EUR": "€"}.get(link.kpi.currency or "CNY", "")
        return (
            f"{sign}{symbol}{abs(change):,.0f}" if symbol else f"{sign}{text} {link.kpi.currency}"
        )
    if unit == "duration":
        return _("%(sign)s%(n)s days") % {"sign": sign, "n": text}
    return f"{sign}{text}"


@register.filter
def score(value) -> str:
    if value is None:
        return "—"
    value = Decimal(value)
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:.2f}"


@register.filter
def percent(value) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value) * 100:.0f} %"
