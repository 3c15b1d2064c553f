from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (`request.htmx`)."""

    htmx: HtmxDetails


def query_without(request: HttpRequest, *names: str) -> str:
    """The request's query string minus these parameters (links that keep the filters)."""
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def id_or_none(raw: object) -> int | None:
    """An object id posted by a form or in a query string, or None when it is not a whole
    number the database could hold: `get_object_or_404(..., pk=id_or_none(raw))` then
    answers 404 instead of failing on "abc" with a 500."""
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        value = int(raw.strip())
        return value if 0 < value < 2**63 else None
    return None
