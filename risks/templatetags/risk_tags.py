from django import template

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
