"""Template tags of the release pages and of what a card shows about its release."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from ..models import CriticalPath
from ..permissions import can_manage_releases
from ..selectors_pages import open_releases, work_item_releases

register = template.Library()


@register.inclusion_tag("delivery/partials/_work_item_release.html", takes_context=True)
def item_release_section(context, item, project):
    """The card panel's release section: the releases the item ships in and, for owners,
    the choice of an open release (two queries)."""
    user = context["request"].user
    manage = can_manage_releases(user, project)
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "project": project,
        "item": item,
        "item_releases": work_item_releases(item=item),
        "open_releases": open_releases(project=project) if manage else [],
        "can_manage_releases": manage,
    }


@register.simple_tag(takes_context=True)
def backlog_release_choices(context, project) -> list:
    """The open releases the backlog's selection may be added to; none for non-owners."""
    if not can_manage_releases(context["request"].user, project):
        return []
    return open_releases(project=project)


@register.filter
def critical_path_label(value: str) -> str:
    """A critical path's name in the reader's language (the value if unknown)."""
    try:
        return str(CriticalPath(value).label)
    except ValueError:
        return value


@register.filter
def normalize(value) -> str:
    """A decimal as people write it: 0.5000 → 0.5, 95.0000 → 95 (never 1E+2)."""
    if value is None:
        return ""
    try:
        return f"{Decimal(value).normalize():f}"
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
