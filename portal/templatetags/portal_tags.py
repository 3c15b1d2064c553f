"""Template helpers shared by every app: numbers, money, durations, people, activity
sentences. The numbers go through `portal.formatting`, in the active language."""

from django import template
from django.utils.html import format_html

from portal import formatting
from portal.activity import change_lines, describe
from portal.event_labels import event_label as _event_label

register = template.Library()


@register.filter
def money(value, currency: str = "CNY") -> str:
    """1234.5|money:"CNY" → ¥1,234.50 (formatted for the active language)."""
    return formatting.format_money(value, currency)


@register.filter
def number(value, places: int = 2) -> str:
    """1234.5000|number → 1,234.5 (grouped, no trailing zeros)."""
    return formatting.format_number(value, places=int(places))


@register.filter
def percent(value, places: int = 2) -> str:
    """62.5|percent → 62.5% (the value is already a percentage)."""
    return formatting.format_percent(value, places=int(places))


@register.filter
def ratio_percent(value, places: int = 0) -> str:
    """0.75|ratio_percent → 75%."""
    return formatting.format_percent(value, places=int(places), ratio=True)


@register.filter
def duration(value, unit: str = "day") -> str:
    """3.4|duration → 3.4 days / 3.4天; 2.5|duration:"week" → 2.5 weeks / 2.5周."""
    return formatting.format_duration(value, unit=unit)


@register.filter
def quantity(value, measured) -> str:
    """A value read by the unit (and currency) of what it measures: a KPI, or a mapping
    with `unit` and `currency` such as a daily report's KPI row."""
    if isinstance(measured, dict):
        unit, currency = measured.get("unit", ""), measured.get("currency")
    else:
        unit, currency = getattr(measured, "unit", ""), getattr(measured, "currency", None)
    if value is None or value == "":
        return formatting.EMPTY
    return formatting.format_quantity(value, unit, currency=currency)


@register.filter
def event_label(name: str) -> str:
    """risk.escalated → 风险等级上升 / Risk level rose (the code stays in the data)."""
    return _event_label(name)


@register.simple_tag
def avatar(user, size: int = 28):
    if user is None:
        return ""
    return format_html(
        '<span class="avatar" title="{}" style="width:{}px;height:{}px;font-size:{}px">{}</span>',
        user.label,
        size,
        size,
        max(9, round(size * 0.4)),
        user.initials,
    )


@register.filter
def activity_text(activity) -> str:
    return describe(activity)


@register.filter
def change_summary(activity) -> list[tuple[str, str, str]]:
    """(field label, before, after) for each field an activity row changed."""
    return change_lines(activity)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def split(value: str, sep: str = " ") -> list[str]:
    return value.split(sep)


@register.filter
def overdue(obj, today) -> bool:
    """`risk|overdue:today` — the model's own predicate, with the project's local date."""
    return obj.is_overdue(today)


@register.filter
def mul(a, b):
    return (a or 0) * (b or 0)


@register.filter
def markdown(text: str):
    """Markdown → sanitised HTML (safe to show)."""
    from django.utils.safestring import mark_safe

    from portal.markdown import render_markdown

    return mark_safe(render_markdown(text))


@register.filter
def hours_human(hours) -> str:
    """3.5 → "3h" / "3小时", 50 → "2d 2h" / "2天 2小时" (ages on cards and at the stand-up)."""
    return formatting.format_age(hours)
