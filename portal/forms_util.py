"""Putting a service's refusal on the form field it is about."""

from django.core.exceptions import ValidationError

from .errors import ApplicationError


def add_service_error(form, exc: ApplicationError | ValidationError) -> None:
    """ApplicationError → its field (or the form); a model ValidationError → each field."""
    if isinstance(exc, ApplicationError):
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def form_errors_text(form) -> str:
    """A form's field errors as one flash message: "Label: message; Label: message"."""
    return "; ".join(
        f"{form.fields[field].label}: {' '.join(errors)}"
        for field, errors in form.errors.items()
        if field in form.fields
    )
