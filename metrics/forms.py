from django import forms
from django.utils.translation import gettext_lazy as _

from kpis.models import KPI, Unit
from portal.forms_util import form_field
from portal.validators import currency_choices, validate_date_in_range
from projects.forms import DateInput

from .models import Level, Objective
from .templates_kpi import KPI_TEMPLATES


class KPIForm(forms.ModelForm):
    currency = forms.ChoiceField(label=_("currency"), required=False)

    class Meta:
        model = KPI
        fields = ["name", "code", "unit", "currency", "direction", "target", "description"]

    def __init__(self, *args, language="zh-hans", **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "currency", forms.ChoiceField).choices = [
            ("", "—"),
            *currency_choices(language),
        ]

    def clean(self):
        data = super().clean()
        assert data is not None  # ModelForm.clean() returns cleaned_data
        # Said beside the field (the model's constraint would only give its name).
        if data.get("unit") == Unit.MONEY and not data.get("currency"):
            self.add_error("currency", _("A money KPI needs its currency."))
        return data


class PointForm(forms.Form):
    date = forms.DateField(label=_("date"), widget=DateInput(), validators=[validate_date_in_range])
    value = forms.DecimalField(label=_("value"), max_digits=18, decimal_places=4)


class TemplatesForm(forms.Form):
    codes = forms.MultipleChoiceField(
        label=_("Templates"),
        widget=forms.CheckboxSelectMultiple,
        choices=[(t.code, f"{t.zh} · {t.en}") for t in KPI_TEMPLATES],
    )


class ObjectiveForm(forms.ModelForm):
    class Meta:
        model = Objective
        fields = ["title", "period", "level", "department", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"] = forms.ModelChoiceField(
            label=_("project"),
            queryset=projects,
            required=False,
            empty_label=_("— (company or department)"),
        )
        form_field(self, "level", forms.ChoiceField).choices = Level.choices


class KeyResultForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    start = forms.DecimalField(label=_("start"), max_digits=18, decimal_places=4)
    target = forms.DecimalField(label=_("target"), max_digits=18, decimal_places=4)
    unit = forms.ChoiceField(label=_("unit"), choices=Unit.choices)
    kpi = forms.TypedChoiceField(label=_("KPI"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, kpi_choices=(), **kwargs):
        """`kpi_choices`: (id, name) pairs prepared once per page, not a query per form."""
        super().__init__(*args, **kwargs)
        form_field(self, "kpi", forms.ChoiceField).choices = [
            ("", _("— (update by check-ins)")),
            *kpi_choices,
        ]


class CheckInForm(forms.Form):
    value = forms.DecimalField(label=_("value"), max_digits=18, decimal_places=4)
    confidence = forms.IntegerField(label=_("confidence"), min_value=1, max_value=10, initial=7)
    note = forms.CharField(label=_("note"), required=False, max_length=500)
