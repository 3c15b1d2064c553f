"""Forms of the release pages. They check shape and bounds; the services decide the rules
(a duplicate version, a plan that does not climb to 100 %, a guard on another project's
KPI) and their refusals land on the field they are about."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from kpis.models import KPI
from portal.forms_util import form_field
from portal.validators import validate_date_in_range

from .models import (
    DEFAULT_OBSERVE_MINUTES,
    DEFAULT_PLAN,
    MAX_OBSERVE_MINUTES,
    MAX_STAGES,
    Check,
    CriticalPath,
    Operator,
    metric_validator,
    version_validator,
)


class ReleaseForm(forms.Form):
    """Create (with its version and plan) or edit (planning fields) a release."""

    version = forms.CharField(
        label=_("version"),
        max_length=40,
        validators=[version_validator],
        help_text=_("e.g. 2.3.0; it cannot change later."),
    )
    name = forms.CharField(label=_("name"), max_length=120, required=False)
    target_date = forms.DateField(
        label=_("target date"),
        required=False,
        validators=[validate_date_in_range],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    critical_paths = forms.MultipleChoiceField(
        label=_("critical paths"),
        choices=CriticalPath.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "A release touching one starts only with the go/no-go checklist complete and "
            "no high or critical risk open."
        ),
    )
    hotfix = forms.BooleanField(
        label=_("hotfix"),
        required=False,
        help_text=_("Once an owner approves it, it may start inside a freeze window."),
    )
    description = forms.CharField(
        label=_("description"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    plan = forms.CharField(
        label=_("rollout plan: percent of traffic per stage"),
        max_length=60,
        initial=" → ".join(str(p) for p in DEFAULT_PLAN),
        help_text=_("Each stage more than the one before, the last 100."),
    )
    observe_minutes = forms.IntegerField(
        label=_("observe each stage for (minutes)"),
        min_value=0,
        max_value=MAX_OBSERVE_MINUTES,
        initial=DEFAULT_OBSERVE_MINUTES,
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            # The version stays what it was made; the plan changes on the release page.
            for name in ("version", "plan", "observe_minutes"):
                del self.fields[name]

    def clean_plan(self) -> list[int]:
        numbers = re.findall(r"\d+", self.cleaned_data["plan"])
        leftover = re.sub(r"[-\d\s,→>%/]+", "", self.cleaned_data["plan"])
        if leftover or not numbers:
            raise forms.ValidationError(_("Write the percentages, e.g. 1 → 5 → 20 → 50 → 100."))
        if len(numbers) > MAX_STAGES:
            raise forms.ValidationError(_("At most %(max)s stages.") % {"max": MAX_STAGES})
        return [int(n) for n in numbers]

    def stages(self) -> list[dict]:
        minutes = self.cleaned_data["observe_minutes"]
        return [{"percent": p, "observe_minutes": minutes} for p in self.cleaned_data["plan"]]


class StageForm(forms.Form):
    percent = forms.IntegerField(label=_("traffic (%)"), min_value=1, max_value=100)
    observe_minutes = forms.IntegerField(
        label=_("observe for (minutes)"), min_value=0, max_value=MAX_OBSERVE_MINUTES
    )


PlanFormSet = forms.formset_factory(
    StageForm,
    extra=0,
    min_num=1,
    max_num=MAX_STAGES,
    validate_min=True,
    validate_max=True,
    absolute_max=MAX_STAGES,
    can_delete=True,
)


class GuardForm(forms.Form):
    """A guard on one stage: a KPI or a pushed metric, ≤ or ≥ a threshold."""

    stage = forms.TypedChoiceField(label=_("stage"), coerce=int)
    kpi = forms.ModelChoiceField(label=_("KPI"), queryset=KPI.objects.none(), required=False)
    metric = forms.CharField(
        label=_("or a pushed metric"),
        max_length=40,
        required=False,
        validators=[metric_validator],
        help_text=_("e.g. error_rate, p99_ms: what your monitoring pushes."),
    )
    operator = forms.ChoiceField(label=_("must stay"), choices=Operator.choices)
    threshold = forms.DecimalField(
        label=_("threshold"), max_digits=18, decimal_places=4, min_value=-(10**13), max_value=10**13
    )
    of_baseline = forms.BooleanField(
        label=_("as a percentage of the value when the stage starts"), required=False
    )

    def __init__(self, *args, stages=(), kpis=None, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "stage", forms.TypedChoiceField).choices = [
            (s.pk, f"{s.position}. {s.percent}%") for s in stages
        ]
        form_field(self, "kpi", forms.ModelChoiceField).queryset = kpis

    def clean(self):
        data = super().clean() or {}
        if bool(data.get("kpi")) == bool(data.get("metric")) and not self.errors:
            self.add_error("kpi", _("Guard either a KPI or a pushed metric."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class CheckForm(forms.Form):
    check = forms.ChoiceField(choices=Check.choices)
    done = forms.BooleanField(required=False)


class ScopeForm(forms.Form):
    """Keys of work items (MALL-42) and requirements (MALL-R3) to add, or one to remove."""

    add = forms.CharField(label=_("add work"), max_length=2000, required=False)
    remove = forms.CharField(max_length=40, required=False)

    def keys(self) -> list[str]:
        return [k for k in re.split(r"[\s,;，；]+", self.cleaned_data["add"]) if k]
