"""JSON bodies with a bounded size and nesting depth.

Python's `json` parser recurses once per level: a body nested a few thousand levels deep
raised RecursionError, which answered 500. Nothing in this API nests more than a few
levels (a list of `{date, value}` rows, a requirement's KPI links), so a body deeper than
MAX_DEPTH, or larger than MAX_BYTES, is refused with 400 before it is parsed.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json

MAX_DEPTH = 32
# The largest body an endpoint needs is 5,000 KPI points (about 300 kB): 2 MB leaves room.
MAX_BYTES = 2 * 1024 * 1024


def nesting_exceeds(text: str, limit: int) -> bool:
    """True when brackets nest deeper than `limit`, strings skipped. One pass, no recursion."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies over MAX_BYTES or nested deeper than MAX_DEPTH."""

    max_depth = MAX_DEPTH
    max_bytes = MAX_BYTES

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        raw = stream.read(self.max_bytes + 1) if stream is not None else b""
        if len(raw) > self.max_bytes:
            raise ParseError(
                _("The request body is larger than %(size)s MB.")
                % {"size": self.max_bytes // (1024 * 1024)}
            )
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if nesting_exceeds(text, self.max_depth):
            raise ParseError(
                _("The JSON body nests deeper than %(depth)s levels.") % {"depth": self.max_depth}
            )
        try:
            parse_constant = json.strict_constant if self.strict else None
            return json.loads(text, parse_constant=parse_constant)
        except ValueError as exc:
            # The same words as DRF's own parser, which clients may already match on.
            raise ParseError(f"JSON parse error - {exc}") from exc
