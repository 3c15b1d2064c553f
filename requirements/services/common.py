"""What the backlog's use cases share: the project lock, field rules, checks, ranks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Max, Min
from django.urls import reverse
from django.utils.translation import gettext as _

from portal import clock
from portal.errors import ApplicationError
from portal.events import emit
from portal.models import Project
from projects.calculations import RANK_GAP, rank_between

from .. import scoring
from ..models import (
    Requirement,
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


def _renumber(project: Project, *, exclude: int | None = None) -> None:
    """Spread the backlog's ranks out again (rare: only when two neighbours touch)."""
    backlog = Requirement.objects.filter(project=project)
    if exclude is not None:
        backlog = backlog.exclude(pk=exclude)
    rows = list(backlog.order_by("rank", "id"))
    for index, row in enumerate(rows, start=1):
        row.rank = index * RANK_GAP
    Requirement.objects.bulk_update(rows, ["rank"], batch_size=500)
