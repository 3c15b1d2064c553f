"""Writes to the requirement backlog. One transaction per use case; activity rows and the
`requirement.p0` event are written inside it.

Every change to a project's backlog order takes the project row lock first, so two PMs
dragging at the same time are applied one after the other and ranks never collide.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from portal import clock
from portal.activity import activity_record
from portal.errors import ApplicationError
from portal.events import emit
from projects.calculations import RANK_GAP, rank_between
from projects.models import Project, Sprint, WorkItem, WorkItemType
from projects.services import work_item_create

from . import scoring
from .models import (
    TRANSITIONS,
    Answer,
    BacklogView,
    KanoResponse,
    Requirement,
    RequirementComment,
    RequirementKPI,
    Status,
)

EDITABLE_FIELDS = {
    "title",
    "description",
    "source_department",
    "requester",
    "status",
    "rejection_reason",
    "moscow",
    "kano",
    "priority",
    "phase",
    "tags",
    "target_date",
    "reach",
    "impact",
    "confidence",
    "effort",
    "business_value",
    "time_criticality",
    "risk_reduction",
    "job_size",
}
# The fields a backlog row, the triage queue and bulk edit change in place.
QUICK_FIELDS = ("moscow", "kano", "priority", "phase", "status")
MAX_TAGS, MAX_TAG_LENGTH = 12, 30


def _lock(project: Project | int) -> None:
    """The project row lock every backlog write takes first (always before any requirement
    row), so concurrent writers queue instead of deadlocking."""
    Project.objects.select_for_update().filter(pk=getattr(project, "pk", project)).first()


def clean_tags(tags: Any) -> list[str]:
    """Trimmed, de-duplicated tags; a string is split on commas (either width) or semicolons."""
    if tags in (None, ""):
        return []
    if isinstance(tags, str):
        for sep in ("，", "；", ";"):
            tags = tags.replace(sep, ",")
        tags = tags.split(",")
    seen: list[str] = []
    for tag in tags:
        tag = str(tag).strip()
        if "|" in tag:
            raise ApplicationError(
                _("A tag cannot contain “|”: “%(tag)s”.") % {"tag": tag}, field="tags"
            )
        if len(tag) > MAX_TAG_LENGTH:
            raise ApplicationError(
                _("A tag has at most %(n)s characters: “%(tag)s”.")
                % {"n": MAX_TAG_LENGTH, "tag": tag},
                field="tags",
            )
        if tag and tag not in seen:
            seen.append(tag)
    if len(seen) > MAX_TAGS:
        raise ApplicationError(_("At most %(n)s tags.") % {"n": MAX_TAGS}, field="tags")
    return seen


def _check_score_inputs(requirement: Requirement) -> None:
    """The RICE/WSJF inputs, with messages that name the allowed values (before full_clean,
    whose choice errors would show Python's Decimal repr)."""
    errors: dict[str, list[str]] = {}
    impact = requirement.impact
    if impact is not None and Decimal(str(impact)) not in scoring.RICE_IMPACTS:
        errors["impact"] = [_("Impact is one of 0.25, 0.5, 1, 2 or 3.")]
    if requirement.confidence is not None and not 0 <= requirement.confidence <= 100:
        errors["confidence"] = [_("Confidence is a percentage from 0 to 100.")]
    if requirement.effort is not None and Decimal(str(requirement.effort)) <= 0:
        errors["effort"] = [_("Effort is more than 0 person-weeks.")]
    for field in ("business_value", "time_criticality", "risk_reduction", "job_size"):
        value = getattr(requirement, field)
        if value is not None and value not in scoring.WSJF_SCALE:
            errors[field] = [_("Choose one of 1, 2, 3, 5, 8, 13, 20.")]
    if errors:
        raise ValidationError(errors)


def _rescore(requirement: Requirement) -> None:
    """Store the two scores and the tag index (inputs already validated)."""
    requirement.tags_text = "".join(f"|{tag}" for tag in requirement.tags) + (
        "|" if requirement.tags else ""
    )
    requirement.rice_score = scoring.rice_score(
        requirement.reach, requirement.impact, requirement.confidence, requirement.effort
    )
    requirement.wsjf_score = scoring.wsjf_score(
        requirement.business_value,
        requirement.time_criticality,
        requirement.risk_reduction,
        requirement.job_size,
    )


def _validate(requirement: Requirement) -> None:
    """Field validation, the state rules, then the scores. Project, numbering and the
    check constraints are the service's own business (under the project lock)."""
    requirement.title = (requirement.title or "").strip()
    requirement.rejection_reason = (requirement.rejection_reason or "").strip()
    _check_score_inputs(requirement)
    requirement.full_clean(
        exclude=["project", "created_by", "rice_score", "wsjf_score", "tags_text"],
        validate_unique=False,
        validate_constraints=False,
    )
    if requirement.status == Status.REJECTED and not requirement.rejection_reason:
        raise ApplicationError(_("Say why the requirement is rejected."), field="rejection_reason")
    if requirement.status not in (Status.NEW, Status.REJECTED) and not (
        requirement.moscow and requirement.priority
    ):
        raise ApplicationError(
            _("Triage first: a %(status)s requirement needs MoSCoW and a priority.")
            % {"status": requirement.get_status_display()},
            field="moscow" if not requirement.moscow else "priority",
        )
    _rescore(requirement)


def _stamp_status(requirement: Requirement, old_status: str | None) -> None:
    """Keep triaged_at (first triage) and done_at (last entry into done) in step."""
    now = clock.now()
    if requirement.status not in (Status.NEW, Status.REJECTED) and requirement.triaged_at is None:
        requirement.triaged_at = now
    if requirement.status == Status.DONE:
        if old_status != Status.DONE:
            requirement.done_at = now
    else:
        requirement.done_at = None
    if requirement.status != Status.REJECTED:
        requirement.rejection_reason = ""


def _p0_event(requirement: Requirement) -> None:
    emit(
        "requirement.p0",
        project=requirement.project,
        payload={
            "requirement_id": requirement.pk,
            "key": requirement.key,
            "title": requirement.title,
            "priority": requirement.priority,
            "moscow": requirement.moscow,
            "status": requirement.status,
            "requester": requirement.requester,
            "url": reverse(
                "requirements:detail", args=[requirement.project.key, requirement.number]
            ),
        },
    )


def _bottom_rank(project: Project) -> int:
    """Below the last requirement; a backlog whose ranks reached the end of the range is
    spread out again first (call under the project lock)."""
    backlog = Requirement.objects.filter(project=project)
    new = rank_between(backlog.aggregate(m=Max("rank"))["m"], None)
    if new is None:
        _renumber(project)
        new = rank_between(backlog.aggregate(m=Max("rank"))["m"], None)
    # Renumbering leaves RANK_GAP below the last rank, which is far inside the range.
    assert new is not None
    return new


def _top_rank(project: Project) -> int:
    backlog = Requirement.objects.filter(project=project)
    new = rank_between(None, backlog.aggregate(m=Min("rank"))["m"])
    if new is None:
        _renumber(project)
        new = rank_between(None, backlog.aggregate(m=Min("rank"))["m"])
    # Renumbering starts the ranks at RANK_GAP, so there is room above the first.
    assert new is not None
    return new


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
    _lock(project)
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
    _lock(requirement.project_id)
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
    _lock(project)
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
    _lock(project)
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


def _renumber(project: Project, *, exclude: int | None = None) -> None:
    """Spread the backlog's ranks out again (rare: only when two neighbours touch)."""
    backlog = Requirement.objects.filter(project=project)
    if exclude is not None:
        backlog = backlog.exclude(pk=exclude)
    rows = list(backlog.order_by("rank", "id"))
    for index, row in enumerate(rows, start=1):
        row.rank = index * RANK_GAP
    Requirement.objects.bulk_update(rows, ["rank"], batch_size=500)


@transaction.atomic
def requirements_reorder(*, project: Project, actor: Any, ids: list[int]) -> list[Requirement]:
    """Put the given requirements in this order, in the places they occupy now between
    them (the others do not move). Ids must be distinct and of this project."""
    if not ids:
        raise ApplicationError(_("Send the requirement ids in their new order."), field="ids")
    if len(set(ids)) != len(ids):
        raise ApplicationError(_("An id appears twice."), field="ids")
    _lock(project)
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


# ---------------------------------------------------------------- KPI links


def _expected_change(value: Any) -> Decimal:
    try:
        change = Decimal(str(value))
    except (ArithmeticError, ValueError):
        change = None
    if change is None or not change.is_finite() or abs(change) >= Decimal("1e12"):
        raise ApplicationError(_("Enter the expected change as a number."), field="expected_change")
    return change


def _kpi_links_save(
    requirement: Requirement, links: list[dict[str, Any]], *, replace: bool, new: bool = False
) -> tuple[list[RequirementKPI], list[RequirementKPI]]:
    """Create or update these links (one per KPI) and, with `replace`, drop the others.
    A fixed number of queries whatever the number of links. Returns (kept, removed)."""
    wanted: dict[int, tuple[Decimal, str]] = {}
    for given in links:
        kpi_id = getattr(given["kpi"], "pk", given["kpi"])
        if not str(kpi_id).isdigit():
            raise ApplicationError(
                _("Choose a KPI of this project or a company-wide KPI."), field="kpi"
            )
        wanted[int(kpi_id)] = (
            _expected_change(given.get("expected_change")),
            (given.get("note") or "").strip()[:200],
        )
    KPI = apps.get_model("metrics", "KPI")
    kpis = {k.pk: k for k in KPI.objects.filter(pk__in=wanted)}
    for kpi_id in wanted:
        kpi = kpis.get(kpi_id)
        if kpi is None or kpi.project_id not in (None, requirement.project_id):
            raise ApplicationError(
                _("Choose a KPI of this project or a company-wide KPI."), field="kpi"
            )
    existing = (
        {}
        if new  # a requirement created just now has no links yet
        else {
            link.kpi_id: link
            for link in RequirementKPI.objects.filter(requirement=requirement).select_related("kpi")
        }
    )
    created: list[RequirementKPI] = []
    changed: list[RequirementKPI] = []
    for kpi_id, (change, note) in wanted.items():
        link = existing.get(kpi_id)
        if link is None:
            created.append(
                RequirementKPI(
                    requirement=requirement, kpi=kpis[kpi_id], expected_change=change, note=note
                )
            )
        elif (link.expected_change, link.note) != (change, note):
            link.expected_change, link.note = change, note
            changed.append(link)
    if created:
        RequirementKPI.objects.bulk_create(created)
    if changed:
        RequirementKPI.objects.bulk_update(changed, ["expected_change", "note"])
    removed = []
    if replace:
        removed = [link for kpi_id, link in existing.items() if kpi_id not in wanted]
        if removed:
            RequirementKPI.objects.filter(pk__in=[link.pk for link in removed]).delete()
    # Existing links came with their KPI, new ones were built with it.
    by_kpi = {**existing, **{link.kpi_id: link for link in created}}
    return [by_kpi[kpi_id] for kpi_id in wanted], removed


@transaction.atomic
def requirement_kpi_link(
    *, requirement: Requirement, actor: Any, kpi: Any, expected_change: Any, note: str = ""
) -> RequirementKPI:
    """Link a target KPI with its expected effect; linking the same KPI again updates it."""
    (link,), _removed = _kpi_links_save(
        requirement,
        [{"kpi": kpi, "expected_change": expected_change, "note": note}],
        replace=False,
    )
    activity_record(
        actor=actor,
        verb="requirement.kpi_linked",
        target=requirement,
        project=requirement.project,
        after={"kpi": link.kpi.name, "expected_change": f"{link.expected_change:+}"},
        label=str(requirement),
    )
    return link


@transaction.atomic
def requirement_kpis_replace(
    *, requirement: Requirement, actor: Any, links: list[dict[str, Any]]
) -> list[RequirementKPI]:
    """Make the target KPIs exactly `links` ([{kpi, expected_change, note}])."""
    return _kpis_replace(requirement, actor, links)


def _kpis_replace(
    requirement: Requirement, actor: Any, links: list[dict[str, Any]]
) -> list[RequirementKPI]:
    kept, removed = _kpi_links_save(requirement, links, replace=True)
    activity_record(
        actor=actor,
        verb="requirement.kpis_changed",
        target=requirement,
        project=requirement.project,
        before={"kpis": [link.kpi.code for link in removed]},
        after={"kpis": [link.kpi.code for link in kept]},
        label=str(requirement),
    )
    return kept


@transaction.atomic
def requirement_kpi_unlink(*, link: RequirementKPI, actor: Any) -> None:
    requirement = link.requirement
    activity_record(
        actor=actor,
        verb="requirement.kpi_unlinked",
        target=requirement,
        project=requirement.project,
        before={"kpi": link.kpi.name, "expected_change": f"{link.expected_change:+}"},
        label=str(requirement),
    )
    link.delete()


# ---------------------------------------------------------------- Kano survey


def _check_answer(value: str, field: str) -> None:
    if value not in Answer.values:
        raise ApplicationError(
            _("Answer with one of: like, expect, neutral, tolerate, dislike."), field=field
        )


@transaction.atomic
def kano_response_record(
    *,
    requirement: Requirement,
    actor: Any,
    functional: str,
    dysfunctional: str,
    respondent_name: str = "",
) -> KanoResponse:
    """The actor's own answer (answering again replaces it), or, with `respondent_name`,
    an answer the actor collected from someone outside the portal."""
    _check_answer(functional, "functional")
    _check_answer(dysfunctional, "dysfunctional")
    respondent_name = (respondent_name or "").strip()
    if len(respondent_name) > 80:
        raise ApplicationError(_("At most 80 characters."), field="respondent_name")
    now = clock.now()
    if respondent_name:
        response = KanoResponse.objects.create(
            requirement=requirement,
            respondent=None,
            respondent_name=respondent_name,
            functional=functional,
            dysfunctional=dysfunctional,
            recorded_by=actor,
            created_at=now,
        )
    else:
        response, _created = KanoResponse.objects.update_or_create(
            requirement=requirement,
            respondent=actor,
            defaults={
                "functional": functional,
                "dysfunctional": dysfunctional,
                "recorded_by": actor,
                "created_at": now,
            },
        )
    activity_record(
        actor=actor,
        verb="requirement.surveyed",
        target=requirement,
        project=requirement.project,
        after={"kano_class": response.kano_class},
        label=str(requirement),
    )
    return response


@transaction.atomic
def kano_response_delete(*, response: KanoResponse, actor: Any) -> None:
    requirement = response.requirement
    activity_record(
        actor=actor,
        verb="requirement.survey_answer_removed",
        target=requirement,
        project=requirement.project,
        before={"respondent": response.who, "kano_class": response.kano_class},
        label=str(requirement),
    )
    response.delete()


# ---------------------------------------------------------------- comments, promotion


@transaction.atomic
def requirement_comment_add(
    *, requirement: Requirement, actor: Any, body: str
) -> RequirementComment:
    body = (body or "").strip()
    if not body:
        raise ApplicationError(_("Write something first."), field="body")
    if len(body) > 10000:
        raise ApplicationError(_("At most 10,000 characters."), field="body")
    comment = RequirementComment.objects.create(
        requirement=requirement, author=actor, body=body, created_at=clock.now()
    )
    activity_record(
        actor=actor,
        verb="requirement.commented",
        target=requirement,
        project=requirement.project,
        label=str(requirement),
    )
    return comment


@transaction.atomic
def requirement_promote(
    *,
    requirement: Requirement,
    actor: Any,
    sprint: Sprint | None = None,
    titles: list[str] | None = None,
    story_points: int | None = None,
) -> list[WorkItem]:
    """Create stories for a requirement, in a sprint or the project backlog, linked back to
    it. One story with the requirement's title unless `titles` splits it. A new or triaged
    requirement becomes planned."""
    _lock(requirement.project_id)
    requirement = Requirement.objects.select_related("project").get(pk=requirement.pk)
    if requirement.status in (Status.REJECTED, Status.DONE):
        raise ApplicationError(
            _("A %(status)s requirement cannot get new work items.")
            % {"status": requirement.get_status_display()}
        )
    if requirement.status == Status.NEW:
        raise ApplicationError(
            _("Triage the requirement first (MoSCoW and priority)."), field="moscow"
        )
    titles = [t.strip() for t in (titles or [requirement.title]) if t and t.strip()]
    if not titles:
        raise ApplicationError(_("Give each story a title."), field="titles")
    if len(titles) > 20:
        raise ApplicationError(_("At most 20 stories at a time."), field="titles")
    # Written into the stories' text: in the project's own language, not the PM's UI language.
    with translation.override(requirement.project.language or translation.get_language()):
        link = "\n\n" + _("Requirement: %(key)s") % {"key": requirement.key}
    items = [
        work_item_create(
            project=requirement.project,
            actor=actor,
            title=title,
            type=WorkItemType.STORY,
            sprint=sprint,
            story_points=story_points,
            priority=requirement.priority or "P2",
            labels=requirement.tags[:10],
            description=(requirement.description or "")[:5000] + link,
            due_date=requirement.target_date,
            requirement=requirement,
        )
        for title in titles
    ]
    before: dict[str, Any] = {}
    after: dict[str, Any] = {"work_items": [item.key for item in items]}
    if requirement.status == Status.TRIAGED:
        before["status"], after["status"] = Status.TRIAGED, Status.PLANNED
        requirement.status = Status.PLANNED
        requirement.save(update_fields=["status", "updated_at"])
    activity_record(
        actor=actor,
        verb="requirement.promoted",
        target=requirement,
        project=requirement.project,
        before=before,
        after=after,
        label=str(requirement),
    )
    return items


# ---------------------------------------------------------------- saved views


@transaction.atomic
def backlog_view_save(
    *, project: Project, actor: Any, name: str, query: str, shared: bool = False
) -> BacklogView:
    """Save (or overwrite, by name) the actor's named backlog filters."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Name the view."), field="name")
    if len(name) > 60:
        raise ApplicationError(_("At most 60 characters."), field="name")
    if len(query or "") > 1000:
        raise ApplicationError(_("Too many filters to save."), field="query")
    view, _created = BacklogView.objects.update_or_create(
        project=project,
        owner=actor,
        name=name,
        defaults={"query": (query or "").lstrip("?"), "shared": shared},
    )
    return view


def backlog_view_delete(*, view: BacklogView, actor: Any) -> None:
    if view.owner_id != actor.pk and not actor.is_staff:
        raise ApplicationError(_("Only its author can delete a saved view."))
    view.delete()
