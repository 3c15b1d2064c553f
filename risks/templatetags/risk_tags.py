from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from risks.models import Level, Status

register = template.Library()


@register.filter
def history_value(value: str, field: str) -> str:
    """A history value as people read it: status labels; owners are stored as names."""
    if field == "status" and value in Status.values:
        return str(Status(value).label)
    return value or "—"


@register.filter
def level_label(value: str) -> str:
    return str(Level(value).label) if value in Level.values else (value or "")


SCALE = [(str(n), str(n)) for n in range(1, 6)]


@register.simple_tag
def risk_inline_select(risk, field: str, label: str):
    """The register's in-place editor for one cell (htmx posts it on change).

    Built in Python rather than with template loops: the register shows up to a page of
    rows with three of these each, and this keeps a page render in a few milliseconds.
    """
    choices = [(v, str(lbl)) for v, lbl in Status.choices] if field == "status" else SCALE
    current = str(getattr(risk, field))
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == current else "", text) for value, text in choices),
    )
    url = reverse("risks:inline", args=[risk.project.key, risk.number])
    return format_html(
        '<select name="value" aria-label="{}" data-field="{}" class="inline-select" '
        'hx-post="{}" hx-vals=\'{{"field": "{}"}}\' hx-target="closest tr" hx-swap="outerHTML" '
        'hx-trigger="change">{}</select>',
        label,
        field,
        url,
        field,
        options,
    )
