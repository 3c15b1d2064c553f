"""Query filters that mean what the schema says (DESIGN §5).

django-filter's defaults are lenient in two ways a client cannot see from the schema:
a boolean filter reads any unknown or empty value (`?blocked=-223`, `?blocked=`) as
"no filter" and quietly returns everything, and a reference filter answers 400 for an id that matches nothing.
Here a malformed value is a 400 on that field, and a well-formed id that matches nothing
is simply an empty list, as for any other value.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ChoiceField, IsoDateTimeField
from django_filters.filterset import FILTER_FOR_DBFIELD_DEFAULTS
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

# Ids and integers beyond a PostgreSQL bigint cannot match anything; refuse them.
MAX_ID = 2**63 - 1


class StrictNullBooleanField(forms.NullBooleanField):
    TRUE = ("true", "True", "1")
    FALSE = ("false", "False", "0")

    def to_python(self, value: Any) -> bool | None:
        if value is None:
            return None
        if value is True or value in self.TRUE:
            return True
        if value is False or value in self.FALSE:
            return False
        raise forms.ValidationError(_("Use true or false."), code="invalid")

    def validate(self, value: Any) -> None:
        return None


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictNullBooleanField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # django-filter's boolean widgets turn any unknown value into "no filter".
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class StrictIntegerField(forms.IntegerField):
    def to_python(self, value: Any) -> int | None:
        if value == "":
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (ids, phases, scores): `?phase=0.5` or `?phase=` is a 400, not a
    silent match."""

    field_class = StrictIntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", -MAX_ID)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class IdFilter(IntegerFilter):
    """A reference by id; an id that matches nothing gives an empty list."""


class BoundedIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value: Any) -> Any:
        if value == "":
            # Present but empty is a malformed time, not "no filter".
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        moment = super().to_python(value)
        if moment is None or moment.tzinfo is None:
            return moment
        # Compare in UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 allows,
        # and a time at the very edge of the calendar may not survive the conversion.
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            edge = datetime.min if moment.year == datetime.min.year else datetime.max
            return edge.replace(tzinfo=UTC)


class StrictChoiceField(ChoiceField):
    def to_python(self, value: Any) -> Any:
        if value == "":
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return super().to_python(value)


class ChoiceFilter(django_filters.ChoiceFilter):
    """One of the documented values; `?kind=` (empty) is a 400, not "any kind"."""

    field_class = StrictChoiceField


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time, years 2000–2100, with a real UTC offset."""

    field_class = BoundedIsoDateTimeField


_INTEGER_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
)


def _filter_defaults() -> dict[type, dict[str, Any]]:
    defaults = dict(FILTER_FOR_DBFIELD_DEFAULTS)
    for field in _INTEGER_FIELDS:
        defaults[field] = {"filter_class": IntegerFilter}
    defaults[models.BooleanField] = {"filter_class": BooleanFilter}
    defaults[models.NullBooleanField] = {"filter_class": BooleanFilter}
    for field in (models.ForeignKey, models.OneToOneField):
        defaults[field] = {"filter_class": IdFilter}
    return defaults


class PortalFilterSet(django_filters.FilterSet):
    """Base of every API filter set (and of those built from `filterset_fields`)."""

    FILTER_DEFAULTS = _filter_defaults()

    @classmethod
    def filter_for_lookup(cls, field: models.Field, lookup_type: str) -> tuple[Any, dict]:
        filter_class, params = super().filter_for_lookup(field, lookup_type)
        if filter_class is django_filters.ChoiceFilter:  # chosen for any field with choices
            return ChoiceFilter, params
        return filter_class, params


class PortalFilterBackend(DjangoFilterBackend):
    filterset_base = PortalFilterSet


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=` names only fields the endpoint sorts by; anything else is a 400."""

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if raw:
            valid = {
                name for name, _label in self.get_valid_fields(queryset, view, {"request": request})
            }
            unknown = [term for term in raw.split(",") if term.strip().lstrip("-") not in valid]
            if unknown:
                raise ValidationError(
                    {
                        self.ordering_param: [
                            _("Sort by one of: %(fields)s.") % {"fields": ", ".join(sorted(valid))}
                        ]
                    }
                )
        return super().get_ordering(request, queryset, view)

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        try:
            model = view.get_serializer_class().Meta.model
            fields = [
                name
                for name, _label in self.get_valid_fields(model._default_manager.none(), view, {})
            ]
        except AttributeError:  # a view without a model serializer: nothing to sort by
            fields = []
        if fields:
            names = "|".join(re.escape(name) for name in fields)
            for parameter in parameters:
                parameter["schema"]["pattern"] = f"^(-?({names})(,-?({names}))*)?$"
        return parameters
