"""Serializer fields that take only what the schema says (DESIGN §5).

DRF reads the JSON number 0 into a text field as "0" and into a boolean as false, so a
client that sends the wrong type never learns it. In a JSON body these fields accept only
their own type; form-encoded bodies (where everything is text) keep DRF's reading.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import QueryDict
from rest_framework import serializers


def _form_encoded(field: serializers.Field) -> bool:
    return isinstance(getattr(field.root, "initial_data", None), QueryDict)


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str) and not _form_encoded(self):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool) and not _form_encoded(self):
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


class StrictModelSerializer(serializers.ModelSerializer):
    """The base of every API serializer: model text and boolean fields are strict."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.BooleanField: StrictBooleanField,
    }
