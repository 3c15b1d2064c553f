from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import get_language

from .forms_util import form_field
from .validators import timezone_choices


class ProfileForm(forms.ModelForm):
    timezone = forms.TypedChoiceField(
        label=get_user_model()._meta.get_field("timezone").verbose_name
    )

    class Meta:
        model = get_user_model()
        fields = ["display_name", "email", "language", "timezone", "department"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "timezone", forms.ChoiceField).choices = timezone_choices()
        self.fields["email"].required = False
        self.fields["display_name"].widget.attrs["autofocus"] = True
        self.lang = get_language()
