"""Template helpers shared by every app: money, people, activity sentences."""

from decimal import Decimal

from babel import numbers as babel_numbers
from django import template
from django.utils.html import format_html
from django.utils.translation import get_language

from portal.activity import change_lines, describe

register = template.Library()


def _babel_locale() -> str:
    return "zh_Hans_CN" if (get_language() or "").startswith("zh") else "en_US"


@register.filter
def money(value, currency: str = "CNY") -> str:
    """1234.5|money:"CNY" → ¥1,234.50 (formatted for the active language)."""
    if value in (None, ""):
        return "—"
    return babel_numbers.format_currency(Decimal(value), currency, locale=_babel_locale())


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
    """3.5 → "3h", 50 → "2d 2h" (ages on cards)."""
    if hours is None:
        return "—"
    hours = int(hours)
    if hours < 24:
        return f"{hours}h"
    return f"{hours // 24}d" + (f" {hours % 24}h" if hours % 24 and hours < 96 else "")
