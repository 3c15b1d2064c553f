"""Form helpers: choosing a person, a declared field typed as what it is, and a service's
refusal put on the form field it is about."""

from typing import TypeVar

from django import forms
from django.core.exceptions import ValidationError

from .errors import ApplicationError
from .models import User

FieldT = TypeVar("FieldT", bound=forms.Field)


class UserChoiceField(forms.ModelChoiceField):
    """A choice of people, each shown by their label (display name, else login)."""

    def label_from_instance(self, obj: User) -> str:
        return obj.label


def form_field(form: forms.BaseForm, name: str, kind: type[FieldT]) -> FieldT:
    """The form's own copy of field `name`, as the `kind` of field it was declared as.

    `form.fields` is typed as holding plain `Field`s; this says which one, to set its
    choices or queryset per form."""
    field = form.fields[name]
    assert isinstance(field, kind), f"{name} is a {type(field).__name__}"
    return field


def add_service_error(form, exc: ApplicationError | ValidationError) -> None:
    """ApplicationError → its field (or the form); a model ValidationError → each field."""
    if isinstance(exc, ApplicationError):
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def service_error_text(exc: ApplicationError | ValidationError) -> str:
    """A service's refusal as one flash message: its message, else a model
    ValidationError's messages joined."""
    if isinstance(exc, ApplicationError):
        return exc.message
    return getattr(exc, "message", None) or "; ".join(exc.messages)


def form_errors_text(form) -> str:
    """A form's field errors as one flash message: "Label: message; Label: message"."""
    return "; ".join(
        f"{form.fields[field].label}: {' '.join(errors)}"
        for field, errors in form.errors.items()
        if field in form.fields
    )
