"""The freeze calendar's form: a window's name, its start and end as the calendar's time
zone reads them, and why."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.validators import validate_date_in_range

# What <input type="datetime-local"> sends (seconds only when the browser adds them).
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def _local_datetime(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=LOCAL_FORMATS,
        widget=LocalDateTimeInput(),
        validators=[validate_date_in_range],
    )


class FreezeWindowForm(forms.Form):
    """Times are read in `zone` (the project's time zone on a project's calendar, the
    person's own on the site's); the service checks the rest (order, length) and its
    refusals land on the field they are about."""

    name = forms.CharField(
        label=_("name"),
        max_length=120,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 双11 大促封网")}),
    )
    starts_at = _local_datetime(_("starts at"))
    ends_at = _local_datetime(_("ends at"))
    reason = forms.CharField(
        label=_("reason"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, zone: tzinfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def full_clean(self) -> None:
        # A datetime-local value has no offset: Django reads it in the current time zone,
        # so make that the calendar's for the time of the cleaning (a time that does not
        # exist there, inside a DST gap, is then a field error).
        with timezone.override(self.zone):
            super().full_clean()
