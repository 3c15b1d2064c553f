from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from portal.forms_util import form_field
from portal.models import Health, Phase, Project
from portal.roles import Role
from portal.validators import currency_choices, timezone_choices


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ProjectForm(forms.ModelForm):
    currency = forms.ChoiceField(label=_("currency"))
    timezone = forms.ChoiceField(label=_("time zone"))

    class Meta:
        model = Project
        fields = [
            "key",
            "name",
            "description",
            "phase",
            "health",
            "start_date",
            "target_date",
            "budget",
            "currency",
            "timezone",
            "language",
        ]
        widgets = {
            "start_date": DateInput(),
            "target_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "currency", forms.ChoiceField).choices = currency_choices(
            get_language() or "en"
        )
        form_field(self, "timezone", forms.ChoiceField).choices = timezone_choices()
        if self.instance.pk:
            # The key is in every item key (MALL-42) and in links: it never changes.
            self.fields["key"].disabled = True
        else:
            self.fields["key"].widget.attrs.update(
                {"autocapitalize": "characters", "placeholder": "MALL", "autofocus": True}
            )

    def clean_key(self):
        return (self.cleaned_data.get("key") or "").strip().upper()

    def clean_language(self):
        # A post without the field (a page from before it existed) keeps what is there;
        # a new project then takes its creator's language.
        if self.add_prefix("language") not in self.data:
            return self.instance.language if self.instance.pk else None
        return self.cleaned_data["language"]


class ProjectFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    phase = forms.ChoiceField(label=_("phase"), required=False)
    health = forms.ChoiceField(label=_("health"), required=False)
    archived = forms.ChoiceField(
        label=_("archived"),
        required=False,
        choices=[("", _("Active projects")), ("only", _("Archived")), ("all", _("All"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "phase", forms.ChoiceField).choices = [
            ("", _("All phases")),
            *Phase.choices,
        ]
        form_field(self, "health", forms.ChoiceField).choices = [
            ("", _("Any health")),
            *Health.choices,
        ]


class MemberAddForm(forms.Form):
    user = forms.CharField(
        label=_("User"),
        help_text=_("Login name or e-mail address."),
        widget=forms.TextInput(attrs={"list": "user-suggestions", "autocomplete": "off"}),
    )
    role = forms.ChoiceField(label=_("role"), choices=Role.choices, initial=Role.MEMBER)

    def clean_user(self):
        value = self.cleaned_data["user"].strip()
        User = get_user_model()
        match = User.objects.filter(
            Q(username__iexact=value) | Q(email__iexact=value), is_active=True
        ).first()
        if match is None:
            raise forms.ValidationError(_("No active user with this login or e-mail."))
        return match


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)
