from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kpis.models import KPI
from portal.errors import ApplicationError
from portal.forms_util import form_field
from portal.models import Department
from projects.forms import DateInput
from projects.models import Sprint, SprintState

from .models import (
    RICE_IMPACT_CHOICES,
    Answer,
    Kano,
    MoSCoW,
    Priority,
    Requirement,
    phase_label,
)
from .models import Status as RequirementStatus
from .services import clean_tags

NOT_SET = ""


def _with_unset(choices, label):
    return [(NOT_SET, label), *choices]


class BacklogFilterForm(forms.Form):
    """The backlog's filters, read from the URL (so a filtered backlog is a link)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.MultipleChoiceField(
        label=_("status"), required=False, choices=RequirementStatus.choices
    )
    moscow = forms.MultipleChoiceField(label=_("MoSCoW"), required=False)
    kano = forms.MultipleChoiceField(label=_("Kano"), required=False)
    priority = forms.MultipleChoiceField(label=_("priority"), required=False)
    phase = forms.TypedChoiceField(label=_("release phase"), required=False, coerce=int)
    tag = forms.CharField(label=_("tag"), required=False, max_length=30)
    source_department = forms.MultipleChoiceField(
        label=_("source department"), required=False, choices=Department.choices
    )
    open = forms.BooleanField(label=_("Open only"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("rank", _("Rank")),
            ("rice", _("RICE")),
            ("wsjf", _("WSJF")),
            ("priority", _("Priority")),
            ("created", _("Newest")),
            ("updated", _("Recently updated")),
            ("key", _("Key")),
        ],
    )

    def __init__(self, *args, phases=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name, choices in (
            ("moscow", MoSCoW.choices),
            ("kano", Kano.choices),
            ("priority", Priority.choices),
        ):
            form_field(self, name, forms.ChoiceField).choices = _with_unset(choices, _("Not set"))
        form_field(self, "phase", forms.ChoiceField).choices = [
            ("", _("All phases")),
            *[(p, phase_label(p)) for p in phases],
            (0, _("No phase")),
        ]


class RequirementForm(forms.ModelForm):
    tags = forms.CharField(
        label=_("tags"), required=False, help_text=_("Separate with commas."), max_length=400
    )
    impact = forms.TypedChoiceField(
        label=_("impact"),
        required=False,
        coerce=Decimal,
        empty_value=None,
        choices=[("", "—"), *[(str(v), label) for v, label in RICE_IMPACT_CHOICES]],
    )

    class Meta:
        model = Requirement
        fields = [
            "title",
            "description",
            "source_department",
            "requester",
            "moscow",
            "kano",
            "priority",
            "phase",
            "tags",
            "target_date",
            "reach",
            "impact",
            "confidence",
            "effort",
            "business_value",
            "time_criticality",
            "risk_reduction",
            "job_size",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "target_date": DateInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["tags"] = ", ".join(self.instance.tags)
            if self.instance.impact is not None:
                self.initial["impact"] = str(self.instance.impact.normalize())

    def clean_tags(self):
        try:
            return clean_tags(self.cleaned_data["tags"])
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None


QUICK_FIELD_CHOICES = [(f, f) for f in ("moscow", "kano", "priority", "phase", "status")]


class InlineEditForm(forms.Form):
    """One cell of a backlog row edited in place."""

    field = forms.ChoiceField(choices=QUICK_FIELD_CHOICES)
    value = forms.CharField(required=False)
    rejection_reason = forms.CharField(required=False, max_length=500)

    def clean(self):
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        field, value = data.get("field"), data.get("value") or ""
        allowed = {
            "moscow": [NOT_SET, *MoSCoW.values],
            "kano": [NOT_SET, *Kano.values],
            "priority": [NOT_SET, *Priority.values],
            "status": RequirementStatus.values,
        }
        if field == "phase":
            if value == "":
                data["value"] = None
            elif value.isdigit() and 1 <= int(value) <= 99:
                data["value"] = int(value)
            else:
                raise forms.ValidationError(
                    {"value": _("A release phase is a number from 1 to 99.")}
                )
        elif field in allowed and value not in allowed[field]:
            raise forms.ValidationError({"value": _("That is not one of the choices.")})
        return data

    def changes(self) -> dict:
        data = self.cleaned_data
        changes = {data["field"]: data["value"]}
        if data["field"] == "status" and data["value"] == RequirementStatus.REJECTED:
            changes["rejection_reason"] = data.get("rejection_reason") or ""
        return changes


class BulkEditForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, required=True)
    moscow = forms.ChoiceField(required=False)
    kano = forms.ChoiceField(required=False)
    priority = forms.ChoiceField(required=False)
    phase = forms.IntegerField(required=False, min_value=1, max_value=99, label=_("release phase"))
    status = forms.ChoiceField(required=False)
    rejection_reason = forms.CharField(required=False, max_length=500, label=_("rejection reason"))
    add_tags = forms.CharField(required=False, max_length=200, label=_("Add tags"))

    def __init__(self, *args, ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "ids", forms.ChoiceField).choices = [(i, i) for i in ids]
        self.fields["ids"].error_messages["required"] = _("Select at least one requirement.")
        for name, choices in (
            ("moscow", MoSCoW.choices),
            ("kano", Kano.choices),
            ("priority", Priority.choices),
            ("status", RequirementStatus.choices),
        ):
            form_field(self, name, forms.ChoiceField).choices = _with_unset(choices, "")

    def changes(self) -> dict:
        data = self.cleaned_data
        changes = {
            f: data[f]
            for f in ("moscow", "kano", "priority", "phase", "status", "add_tags")
            if data.get(f) not in (None, "")
        }
        if data.get("status") == RequirementStatus.REJECTED:
            changes["rejection_reason"] = data.get("rejection_reason") or ""
        return changes


class TriageForm(forms.Form):
    moscow = forms.ChoiceField(label=_("MoSCoW"), choices=MoSCoW.choices)
    priority = forms.ChoiceField(label=_("priority"), choices=Priority.choices)
    kano = forms.ChoiceField(
        label=_("Kano"), required=False, choices=_with_unset(Kano.choices, _("Not set"))
    )
    phase = forms.IntegerField(label=_("release phase"), required=False, min_value=1, max_value=99)


class RejectForm(forms.Form):
    rejection_reason = forms.CharField(
        label=_("rejection reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class KanoAnswerForm(forms.Form):
    functional = forms.ChoiceField(
        label=_("If the product had this feature, how would you feel?"),
        choices=Answer.choices,
        widget=forms.RadioSelect,
    )
    dysfunctional = forms.ChoiceField(
        label=_("If the product did not have this feature, how would you feel?"),
        choices=Answer.choices,
        widget=forms.RadioSelect,
    )
    respondent_name = forms.CharField(
        label=_("Answer recorded for"),
        required=False,
        max_length=80,
        help_text=_("Leave empty to answer yourself; fill in to record a customer's answer."),
    )


class KPILinkForm(forms.Form):
    # A metrics KPI: requirements sits below metrics, so it names no KPI class.
    kpi: forms.ModelChoiceField[KPI] = forms.ModelChoiceField(label=_("KPI"), queryset=None)
    expected_change = forms.DecimalField(
        label=_("expected change"),
        max_digits=14,
        decimal_places=2,
        help_text=_("In the KPI's unit: +2 for two percentage points."),
    )
    note = forms.CharField(label=_("note"), required=False, max_length=200)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "kpi", forms.ModelChoiceField).queryset = KPI.objects.filter(
            Q(project=project) | Q(project__isnull=True)
        ).order_by("project_id", "name")


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("comment"), max_length=10000, widget=forms.Textarea(attrs={"rows": 3})
    )


class PromoteForm(forms.Form):
    sprint: forms.ModelChoiceField[Sprint] = forms.ModelChoiceField(
        label=_("sprint"), queryset=None, required=False, empty_label=_("Project backlog")
    )
    titles = forms.CharField(
        label=_("Stories"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One story per line; empty: one story with the requirement's title."),
    )
    story_points = forms.IntegerField(
        label=_("story points"), required=False, min_value=0, max_value=100
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "sprint", forms.ModelChoiceField).queryset = Sprint.objects.filter(
            project=project, state__in=[SprintState.PLANNED, SprintState.ACTIVE]
        ).order_by("start")

    def clean_titles(self):
        return [line.strip() for line in self.cleaned_data["titles"].splitlines() if line.strip()]


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=60)
    query = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)
    shared = forms.BooleanField(label=_("Share with the project"), required=False)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        required=False,
        help_text=_("UTF-8 (with or without BOM), the columns of an export."),
    )
    content = forms.CharField(required=False, widget=forms.HiddenInput)
    valid_only = forms.BooleanField(required=False, widget=forms.HiddenInput)
