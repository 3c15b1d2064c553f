"""The backlog's order: moves and reorders, under the project lock."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max, Min
from django.utils.translation import gettext as _

from portal.activity import activity_record
from portal.errors import ApplicationError
from portal.models import Project
from projects.calculations import rank_between

from ..models import (
    Requirement,
)
from . import common
from .common import _renumber

# ---------------------------------------------------------------- order


@transaction.atomic
def requirement_move(
    *,
    requirement: Requirement,
    actor: Any,
    before: Requirement | None = None,
    after: Requirement | None = None,
) -> Requirement:
    """Place a requirement between `after` (the one above it) and `before` (the one below),
    as they are now: the neighbour the client saw may have moved since, so the other side
    is read afresh under the project lock. Neither: the top of the backlog."""
    project = requirement.project
    common._lock(project)
    requirement = Requirement.objects.select_related("project").get(pk=requirement.pk)
    anchors = {}
    for neighbour, name in ((before, "before"), (after, "after")):
        if neighbour is None:
            continue
        fresh = Requirement.objects.filter(pk=neighbour.pk, project=project).first()
        if fresh is None or fresh.pk == requirement.pk:
            raise ApplicationError(
                _("Place the requirement next to another requirement of this backlog."),
                field=name,
            )
        anchors[name] = fresh
    requirement.rank = _rank_near(project, requirement, anchors)
    requirement.save(update_fields=["rank", "updated_at"])
    return requirement


def _rank_near(project: Project, requirement: Requirement, anchors: dict) -> int:
    for _attempt in range(2):
        if "after" in anchors:
            above = anchors["after"].rank
            below = (
                Requirement.objects.filter(project=project, rank__gt=above)
                .exclude(pk=requirement.pk)
                .aggregate(m=Min("rank"))["m"]
            )
        elif "before" in anchors:
            below = anchors["before"].rank
            above = (
                Requirement.objects.filter(project=project, rank__lt=below)
                .exclude(pk=requirement.pk)
                .aggregate(m=Max("rank"))["m"]
            )
        else:
            above = None
            below = (
                Requirement.objects.filter(project=project)
                .exclude(pk=requirement.pk)
                .aggregate(m=Min("rank"))["m"]
            )
        new = rank_between(above, below)
        if new is not None:
            return new
        _renumber(project, exclude=requirement.pk)
        for anchor in anchors.values():
            anchor.refresh_from_db(fields=["rank"])
    raise AssertionError("renumbering always opens a gap")  # pragma: no cover


@transaction.atomic
def requirements_reorder(*, project: Project, actor: Any, ids: list[int]) -> list[Requirement]:
    """Put the given requirements in this order, in the places they occupy now between
    them (the others do not move). Ids must be distinct and of this project."""
    if not ids:
        raise ApplicationError(_("Send the requirement ids in their new order."), field="ids")
    if len(set(ids)) != len(ids):
        raise ApplicationError(_("An id appears twice."), field="ids")
    common._lock(project)
    rows = {
        r.pk: r
        for r in Requirement.objects.filter(project=project, pk__in=ids).select_related("project")
    }
    missing = [i for i in ids if i not in rows]
    if missing:
        raise ApplicationError(
            _("These requirements are not in this backlog (any more): %(ids)s")
            % {"ids": ", ".join(map(str, missing))},
            field="ids",
        )
    slots = sorted(r.rank for r in rows.values())
    if len(set(slots)) != len(slots):
        _renumber(project)
        rows = {r.pk: r for r in Requirement.objects.filter(pk__in=ids).select_related("project")}
        slots = sorted(r.rank for r in rows.values())
    ordered = [rows[i] for i in ids]
    for requirement, rank in zip(ordered, slots, strict=True):
        requirement.rank = rank
    Requirement.objects.bulk_update(ordered, ["rank"], batch_size=500)
    activity_record(
        actor=actor,
        verb="requirement.reordered",
        target=project,
        project=project,
        after={"count": len(ids)},
        label=project.key,
    )
    return ordered
