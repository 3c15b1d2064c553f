"""The activity log: one helper every service writes through, and how rows read.

Domain apps register the sentences for their verbs in `AppConfig.ready()` so the
portal core can render any row without importing them.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import clock
from .models import Activity

Sentence = Promise | str

_VERBS: dict[str, Sentence] = {}


def register_verbs(verbs: dict[str, Sentence]) -> None:
    """Sentences use %(actor)s and %(target)s, plus %(before_X)s / %(after_X)s for any
    changed field X shown with its display label, e.g. "%(actor)s moved %(target)s to
    %(after_phase)s"."""
    _VERBS.update(verbs)


def _model_for(activity: Activity) -> type[models.Model] | None:
    try:
        return apps.get_model(activity.target_type)
    except (LookupError, ValueError):
        return None


def field_label(model: type[models.Model] | None, field: str) -> str:
    if model is None:
        return field
    try:
        # Reverse relations have no verbose name: show the key as it is.
        return str(getattr(model._meta.get_field(field), "verbose_name", field))
    except FieldDoesNotExist:
        return field


def value_label(model: type[models.Model] | None, field: str, value: Any) -> str:
    """A stored value as people read it: a choice's label, "—" for nothing."""
    if value in (None, "", []):
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(value_label(model, field, item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if model is not None:
        try:
            choices = dict(getattr(model._meta.get_field(field), "flatchoices", None) or [])
        except FieldDoesNotExist:
            choices = {}
        if value in choices:
            return str(choices[value])
    return str(value)


def describe(activity: Activity) -> str:
    template = _VERBS.get(activity.verb)
    actor = activity.actor.label if activity.actor else str(_("System"))
    if template is None:
        return f"{actor} {activity.verb} {activity.target_label}"
    model = _model_for(activity)
    params: dict[str, str] = {"actor": actor, "target": activity.target_label}
    for prefix, values in (("before", activity.before), ("after", activity.after)):
        for field, value in values.items():
            params[f"{prefix}_{field}"] = value_label(model, field, value)
    try:
        return str(template) % params
    except KeyError:
        return str(template) % _MissingSafe(params)


class _MissingSafe(dict):
    def __missing__(self, key: str) -> str:
        return "—"


def change_lines(activity: Activity) -> list[tuple[str, str, str]]:
    """(field label, before, after) for each field the row changed, for people to read."""
    model = _model_for(activity)
    keys = list(dict.fromkeys([*activity.before.keys(), *activity.after.keys()]))
    return [
        (
            field_label(model, k),
            value_label(model, k, activity.before.get(k)),
            value_label(model, k, activity.after.get(k)),
        )
        for k in keys
    ]


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def activity_record(
    *,
    actor: Any,
    verb: str,
    target: models.Model,
    project: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    label: str | None = None,
) -> Activity:
    """Append one row. Call inside the service's transaction so it commits with the change."""
    return Activity.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        project=project,
        verb=verb,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=(label if label is not None else str(target))[:300],
        before={k: _jsonable(v) for k, v in (before or {}).items()},
        after={k: _jsonable(v) for k, v in (after or {}).items()},
        at=clock.now(),
    )


def activity_for_target(target: models.Model):
    """The rows about one object, newest first (the index on target type and id)."""
    return (
        Activity.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
        .select_related("actor")
        .order_by("-at", "-id")
    )


def changed_fields(instance: models.Model, changes: dict[str, Any]) -> tuple[dict, dict]:
    """Apply `changes` to `instance`; return (before, after) of the fields that really changed."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for field, value in changes.items():
        old = getattr(instance, field)
        if old != value:
            before[field] = old
            after[field] = value
            setattr(instance, field, value)
    return before, after
