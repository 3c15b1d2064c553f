from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from portal.forms_util import UserChoiceField, form_field
from portal.validators import validate_date_in_range
from projects.forms import DateInput

from .models import Category, Level, Regime, Risk, Status

SCALE_CHOICES = [(n, str(n)) for n in range(1, 6)]


def _member_choices(project):
    User = get_user_model()
    return User.objects.filter(memberships__project=project).order_by("username")


class RiskForm(forms.ModelForm):
    probability = forms.TypedChoiceField(
        label=_("probability"),
        choices=SCALE_CHOICES,
        coerce=int,
        help_text=_("1 rare – 5 almost certain"),
    )
    impact = forms.TypedChoiceField(
        label=_("impact"), choices=SCALE_CHOICES, coerce=int, help_text=_("1 minor – 5 severe")
    )

    class Meta:
        model = Risk
        field_classes = {"owner": UserChoiceField}
        fields = [
            "title",
            "category",
            "regime",
            "probability",
            "impact",
            "owner",
            "status",
            "next_review_date",
            "description",
            "trigger",
            "mitigation_plan",
            "contingency_plan",
        ]
        widgets = {
            "next_review_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "trigger": forms.Textarea(attrs={"rows": 2}),
            "mitigation_plan": forms.Textarea(attrs={"rows": 3}),
            "contingency_plan": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        owner = form_field(self, "owner", forms.ModelChoiceField)
        owner.queryset = _member_choices(project)
        owner.required = False
        owner.help_text = _("Defaults to you.")


class RiskInlineForm(forms.Form):
    """One cell of the register edited in place: probability, impact or status."""

    field = forms.ChoiceField(
        choices=[("probability", "probability"), ("impact", "impact"), ("status", "status")]
    )
    value = forms.CharField()

    def clean(self):
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        field, value = data.get("field"), data.get("value")
        if field in ("probability", "impact"):
            if value not in {str(n) for n in range(1, 6)}:
                raise forms.ValidationError({"value": _("Choose a whole number from 1 to 5.")})
            data["value"] = int(value)
        elif field == "status" and value not in Status.values:
            raise forms.ValidationError({"value": _("Choose one of the statuses.")})
        return data


class RiskReviewForm(forms.Form):
    note = forms.CharField(
        label=_("Review note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Reviewed, no change")}),
    )
    next_review_date = forms.DateField(
        label=_("next review date"),
        required=False,
        widget=DateInput(),
        validators=[validate_date_in_range],
    )


class RiskFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    level = forms.ChoiceField(label=_("level"), required=False)
    category = forms.ChoiceField(label=_("category"), required=False)
    status = forms.ChoiceField(label=_("status"), required=False)
    regime = forms.ChoiceField(label=_("compliance regime"), required=False)
    owner = UserChoiceField(label=_("owner"), required=False, queryset=None)
    overdue = forms.BooleanField(label=_("Review overdue"), required=False)
    probability = forms.TypedChoiceField(
        label=_("probability"),
        required=False,
        coerce=int,
        choices=[("", "—"), *SCALE_CHOICES],
        empty_value=None,
    )
    impact = forms.TypedChoiceField(
        label=_("impact"),
        required=False,
        coerce=int,
        choices=[("", "—"), *SCALE_CHOICES],
        empty_value=None,
    )
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        for name, everything, choices in (
            ("level", _("All levels"), Level.choices),
            ("category", _("All categories"), Category.choices),
            ("status", _("All statuses"), Status.choices),
            ("regime", _("Any regime"), Regime.choices),
        ):
            form_field(self, name, forms.ChoiceField).choices = [("", everything), *choices]
        owner = form_field(self, "owner", forms.ModelChoiceField)
        owner.queryset = _member_choices(project)
        owner.empty_label = _("Any owner")
