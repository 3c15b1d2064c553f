"""Emit domain events (DESIGN §6) inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from . import clock
from .models import Event
from .notifications.services import fan_out

CATALOGUE = {
    "risk.created",
    "risk.escalated",
    "risk.review_overdue",
    "risk.occurred",
    "sprint.started",
    "sprint.closed",
    "work_item.blocked",
    "requirement.p0",
    "kpi.red",
    "key_result.off_track",
    "report.daily",
    "release.stage_started",
    "release.halted",
    "release.rolled_back",
    "release.released",
    "freeze.starting",
}


_EMITTED: set[str] = set()


def register_emitted(names: set[str]) -> None:
    """An app declares the events it really emits; pickers offer only those."""
    unknown = names - CATALOGUE
    if unknown:
        raise ValueError(f"not in the catalogue: {sorted(unknown)}")
    _EMITTED.update(names)


def emitted_events() -> list[str]:
    return sorted(_EMITTED)


def emit(
    name: str, *, project: Any = None, payload: dict[str, Any] | None = None, dedupe_key: str = ""
) -> Event | None:
    """Record one event. With a dedupe key, a second emit of the same fact is a no-op (None)."""
    if name not in CATALOGUE:
        raise ValueError(f"unknown event {name!r}")
    if not dedupe_key:
        event = Event.objects.create(
            name=name, project=project, payload=payload or {}, created_at=clock.now()
        )
        fan_out(event)
        return event
    if Event.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    try:
        with transaction.atomic():
            event = Event.objects.create(
                name=name,
                project=project,
                payload=payload or {},
                dedupe_key=dedupe_key or None,
                created_at=clock.now(),
            )
            fan_out(event)
            return event
    except IntegrityError:
        # Two workers raced on the same dedupe key: the other one recorded it.
        return None
