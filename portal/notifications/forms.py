from django import forms
from django.utils.translation import gettext_lazy as _

from portal.event_labels import EVENT_LABELS
from portal.events import CATALOGUE

from .models import Channel, DeliveryStatus


def event_choices():
    return [
        ("*", _("All events")),
        *[(name, EVENT_LABELS.get(name, name)) for name in sorted(CATALOGUE)],
    ]


class ChannelForm(forms.ModelForm):
    url = forms.URLField(label=_("webhook URL"), max_length=500, assume_scheme="https")
    secret = forms.CharField(
        label=_("secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "DingTalk/Feishu signing secret or webhook HMAC key. Never shown again; leave empty to keep."
        ),
    )

    class Meta:
        model = Channel
        fields = ["name", "kind", "url", "secret", "keyword", "language", "enabled"]


class SubscriptionForm(forms.Form):
    events = forms.MultipleChoiceField(
        label=_("events"), choices=event_choices, widget=forms.CheckboxSelectMultiple, required=True
    )


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False, choices=[("", _("Any status")), *DeliveryStatus.choices]
    )
    event = forms.ChoiceField(
        required=False,
        choices=[
            ("", _("Any event")),
            *[(name, EVENT_LABELS.get(name, name)) for name in sorted(CATALOGUE)],
        ],
    )
    channel = forms.IntegerField(required=False, widget=forms.HiddenInput)
