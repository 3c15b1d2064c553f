"""The OpenAPI schema documents the error answers the API really gives (DESIGN §5).

drf-spectacular only documents the success answer of each operation. Clients (and
schemathesis in `make test`) need the rest: 400 `{field: [messages]}` for bad input,
401/403 for authentication and permission, 404 for objects outside the caller's
projects, 429 when throttled.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

from portal.api.filters import MAX_ID

_VALIDATION_ERROR = {
    "type": "object",
    "description": (
        "Field-level errors: each key is a field name (or `non_field_errors`), "
        "each value the list of messages; a request that cannot be parsed answers `detail`."
    ),
    "additionalProperties": True,
}
_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}

_ERRORS: dict[str, tuple[str, str]] = {
    # status: (component, description)
    "400": ("ValidationError", "Bad input; nothing was changed."),
    "401": ("ErrorDetail", "Not authenticated."),
    "403": ("ErrorDetail", "Authenticated, but not allowed to do this (e.g. a viewer writing)."),
    "404": ("ErrorDetail", "Not found, or outside the caller's projects."),
    "429": ("ErrorDetail", "Too many requests; retry after the `Retry-After` seconds."),
}
_SCHEMAS = {"ValidationError": _VALIDATION_ERROR, "ErrorDetail": _DETAIL}
# Keys that describe the property rather than the value's type.
_META = ("nullable", "readOnly", "writeOnly", "description", "default", "title")


class PortalAutoSchema(AutoSchema):
    def _get_parameters(self) -> list[dict[str, Any]]:
        parameters = super()._get_parameters()
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if parameter.get("in") == "query" and schema.get("type") == "integer":
                # Whole numbers beyond a PostgreSQL bigint are refused with a 400.
                schema.setdefault("minimum", -MAX_ID)
                schema.setdefault("maximum", MAX_ID)
            elif (
                parameter.get("in") == "query"
                and schema.get("type") == "string"
                and not {"enum", "format", "pattern"} & schema.keys()
            ):
                # Text may not carry NUL characters (the database cannot store or match them).
                schema["pattern"] = "^[^\\u0000]*$"
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        media_types = self.map_renderers("media_type")
        for status, (name, description) in _ERRORS.items():
            if status in responses:
                continue
            component = ResolvedComponent(
                name=name, type=ResolvedComponent.SCHEMA, schema=_SCHEMAS[name], object=name
            )
            self.registry.register_on_missing(component)
            responses[status] = {
                "description": description,
                "content": {media_type: {"schema": component.ref} for media_type in media_types},
            }
        return responses

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and isinstance(field, serializers.DecimalField)
            and schema.get("type") == "string"
        ):
            # Decimals are answered as strings ("22.0000") but read from a JSON number
            # as well: say so, or clients (and schemathesis) think `1.5` is refused.
            meta = {key: schema.pop(key) for key in _META if key in schema}
            number: dict[str, Any] = {"type": "number"}
            if field.max_digits is not None and field.decimal_places is not None:
                step = 10**-field.decimal_places
                largest = 10 ** (field.max_digits - field.decimal_places) - step
                number.update({"minimum": -largest, "maximum": largest})
                if field.decimal_places:
                    number["multipleOf"] = step
            for key in ("minimum", "maximum"):
                if key in schema:
                    number[key] = schema[key]
            return {**meta, "oneOf": [schema, number]}
        return schema
