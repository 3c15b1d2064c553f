"""A requirement's life: create, edit, triage, reject, bulk edit, delete."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from portal import clock
from portal.activity import activity_record
from portal.errors import ApplicationError
from portal.models import Project

from ..models import (
    TRANSITIONS,
    Requirement,
    Status,
)
from . import common
from .common import (
    EDITABLE_FIELDS,
    QUICK_FIELDS,
    _bottom_rank,
    _p0_event,
    _stamp_status,
    _top_rank,
    _validate,
    clean_tags,
)
from .kpi_links import _kpi_links_save, _kpis_replace


@transaction.atomic
def requirement_create(
    *,
    project: Project,
    actor: Any,
    title: str,
    position: str = "bottom",
    kpi_links: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Requirement:
    """Add a requirement at the bottom (or top) of the backlog. It starts as `new` unless a
    status is given (imports); a P0 emits `requirement.p0`."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(
            _("These fields cannot be set: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    if project.archived:
        raise ApplicationError(_("This project is archived."))
    fields["tags"] = clean_tags(fields.get("tags"))
    common._lock(project)
    number = (Requirement.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0) + 1
    requirement = Requirement(
        project=project,
        number=number,
        title=title,
        rank=_top_rank(project) if position == "top" else _bottom_rank(project),
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=clock.now(),
        **fields,
    )
    _stamp_status(requirement, None)
    if fields.get("rejection_reason") and requirement.status == Status.REJECTED:
        requirement.rejection_reason = fields["rejection_reason"]
    _validate(requirement)
    requirement.save()
    if kpi_links:
        _kpi_links_save(requirement, kpi_links, replace=False, new=True)
    activity_record(
        actor=actor,
        verb="requirement.created",
        target=requirement,
        project=project,
        label=str(requirement),
    )
    if requirement.priority == "P0" and requirement.is_open():
        _p0_event(requirement)
    return requirement


def _apply(requirement: Requirement, changes: dict[str, Any]) -> tuple[dict, dict]:
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    if "tags" in changes:
        changes["tags"] = clean_tags(changes["tags"])
    old_status = requirement.status
    new_status = changes.get("status", old_status)
    if new_status != old_status:
        if new_status not in Status.values:
            raise ApplicationError(_("Choose one of the statuses."), field="status")
        if new_status not in TRANSITIONS[Status(old_status)]:
            raise ApplicationError(
                _("A %(from)s requirement cannot become %(to)s.")
                % {
                    "from": Status(old_status).label,
                    "to": Status(new_status).label,
                },
                field="status",
            )
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for field, value in changes.items():
        old = getattr(requirement, field)
        if field in ("impact", "effort") and value is not None:
            value = Decimal(str(value))
        if old != value:
            before[field], after[field] = old, value
            setattr(requirement, field, value)
    if new_status != old_status:
        _stamp_status(requirement, old_status)
    return before, after


@transaction.atomic
def requirement_update(
    *,
    requirement: Requirement,
    actor: Any,
    kpi_links: list[dict[str, Any]] | None = None,
    **changes: Any,
) -> Requirement:
    """Change a requirement. Status moves follow TRANSITIONS (rejecting needs a reason,
    leaving `new` needs MoSCoW and a priority); becoming P0 emits `requirement.p0`.
    `kpi_links`, when given, replaces the target KPIs in the same transaction."""
    common._lock(requirement.project_id)
    requirement = Requirement.objects.select_related("project").get(pk=requirement.pk)
    if requirement.project.archived:
        raise ApplicationError(_("This project is archived."))
    was_p0 = requirement.priority == "P0"
    before, after = _apply(requirement, dict(changes))
    if kpi_links is not None:
        _kpis_replace(requirement, actor, kpi_links)
    if not after:
        return requirement
    _validate(requirement)
    requirement.save()
    _record_change(requirement, actor, before, after)
    if requirement.priority == "P0" and not was_p0 and requirement.is_open():
        _p0_event(requirement)
    return requirement


def _record_change(requirement: Requirement, actor: Any, before: dict, after: dict) -> None:
    verb = "requirement.updated"
    if after.get("status") == Status.REJECTED:
        verb = "requirement.rejected"
    elif after.get("status") == Status.TRIAGED and before.get("status") == Status.NEW:
        verb = "requirement.triaged"
    activity_record(
        actor=actor,
        verb=verb,
        target=requirement,
        project=requirement.project,
        before=before,
        after=after,
        label=str(requirement),
    )


def requirement_triage(
    *,
    requirement: Requirement,
    actor: Any,
    moscow: str,
    priority: str,
    kano: str | None = None,
    phase: int | None = None,
) -> Requirement:
    """Mark a new requirement triaged with its MoSCoW and priority (and Kano, phase)."""
    changes: dict[str, Any] = {"moscow": moscow, "priority": priority}
    if kano is not None:
        changes["kano"] = kano
    if phase is not None:
        changes["phase"] = phase
    if requirement.status == Status.NEW:
        changes["status"] = Status.TRIAGED
    return requirement_update(requirement=requirement, actor=actor, **changes)


def requirement_reject(*, requirement: Requirement, actor: Any, reason: str) -> Requirement:
    if not (reason or "").strip():
        raise ApplicationError(_("Say why the requirement is rejected."), field="rejection_reason")
    return requirement_update(
        requirement=requirement,
        actor=actor,
        status=Status.REJECTED,
        rejection_reason=reason.strip(),
    )


@transaction.atomic
def requirements_bulk_update(
    *, project: Project, actor: Any, ids: list[int], changes: dict[str, Any]
) -> list[Requirement]:
    """Apply the same change to many requirements: all of them or none. An error names the
    requirement it is about."""
    if not ids:
        raise ApplicationError(_("Select at least one requirement."), field="ids")
    allowed = set(QUICK_FIELDS) | {"tags", "add_tags", "rejection_reason", "target_date"}
    unknown = set(changes) - allowed
    if unknown or not changes:
        raise ApplicationError(
            _("Choose what to change: MoSCoW, Kano, priority, phase, status or tags."),
            field="changes",
        )
    changes = dict(changes)  # add_tags is taken out below: leave the caller's dict alone
    common._lock(project)
    found = {
        r.pk: r
        for r in Requirement.objects.select_for_update()
        .select_related("project")
        .filter(project=project, pk__in=ids)
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise ApplicationError(
            _("These requirements are not in this project (any more): %(ids)s")
            % {"ids": ", ".join(map(str, missing))},
            field="ids",
        )
    add_tags = clean_tags(changes.pop("add_tags", None))
    updated = []
    for pk in dict.fromkeys(ids):
        requirement = found[pk]
        own = dict(changes)
        if add_tags:
            own["tags"] = [*requirement.tags, *[t for t in add_tags if t not in requirement.tags]]
        was_p0 = requirement.priority == "P0"
        try:
            before, after = _apply(requirement, own)
            if after:
                _validate(requirement)
        except ApplicationError as exc:
            raise ApplicationError(f"{requirement.key}: {exc.message}", field=exc.field) from None
        except ValidationError as exc:
            raise ApplicationError(
                f"{requirement.key}: {'; '.join(exc.messages)}", field="changes"
            ) from None
        if not after:
            continue
        requirement.save()
        _record_change(requirement, actor, before, after)
        if requirement.priority == "P0" and not was_p0 and requirement.is_open():
            _p0_event(requirement)
        updated.append(requirement)
    return updated


@transaction.atomic
def requirement_delete(*, requirement: Requirement, actor: Any) -> None:
    """Remove a requirement entered by mistake (reject it otherwise). Its work items stay."""
    activity_record(
        actor=actor,
        verb="requirement.deleted",
        target=requirement,
        project=requirement.project,
        before={"title": requirement.title, "status": requirement.status},
        label=str(requirement),
    )
    requirement.delete()
