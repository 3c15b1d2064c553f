"""Writes to the risk register. One transaction per use case; history, activity and
escalation events are written inside it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from portal import clock
from portal.activity import activity_record
from portal.errors import ApplicationError
from portal.events import emit
from portal.models import Membership, Project

from . import scoring
from .models import ACTIVE_STATUSES, Risk, RiskHistory, RiskReview, Status

TRACKED_FIELDS = ("probability", "impact", "status", "owner")
EDITABLE_FIELDS = {
    "title",
    "description",
    "category",
    "regime",
    "probability",
    "impact",
    "owner",
    "trigger",
    "mitigation_plan",
    "contingency_plan",
    "status",
    "next_review_date",
}
DEFAULT_REVIEW_DAYS = 14


def _validate(risk: Risk) -> None:
    """Field validation only. The project, owner and creator are objects we already hold,
    the number is unique under the project lock, and the 1–5 check constraints repeat the
    field validators: re-checking them would cost a query each on every write."""
    risk.full_clean(
        exclude=["score", "level", "project", "owner", "created_by"],
        validate_unique=False,
        validate_constraints=False,
    )


def _check_owner(project: Project, owner: Any) -> None:
    if owner is None or not Membership.objects.filter(project=project, user=owner).exists():
        raise ApplicationError(_("The risk owner must be a member of the project."), field="owner")


def _event_payload(risk: Risk, **extra: Any) -> dict[str, Any]:
    return {
        "risk_id": risk.pk,
        "key": risk.key,
        "title": risk.title,
        "probability": risk.probability,
        "impact": risk.impact,
        "score": risk.probability * risk.impact,
        "level": scoring.risk_level(risk.probability * risk.impact),
        "status": risk.status,
        "owner": risk.owner.label if risk.owner_id else None,
        **extra,
    }


def _history(risk: Risk, field: str, old: Any, new: Any, actor: Any, note: str = "") -> None:
    RiskHistory.objects.create(
        risk=risk,
        field=field,
        old_value="" if old is None else str(old),
        new_value="" if new is None else str(new),
        probability=risk.probability,
        impact=risk.impact,
        status=risk.status,
        actor=actor if getattr(actor, "pk", None) else None,
        at=clock.now(),
        note=note,
    )


@transaction.atomic
def risk_create(
    *,
    project: Project,
    actor: Any,
    title: str,
    category: str,
    probability: int,
    impact: int,
    owner: Any = None,
    description: str = "",
    regime: str = "",
    trigger: str = "",
    mitigation_plan: str = "",
    contingency_plan: str = "",
    status: str = Status.OPEN,
    next_review_date: date | None = None,
) -> Risk:
    """Register a risk. The owner defaults to its creator; a review date may not be in the past."""
    owner = owner or actor
    _check_owner(project, owner)
    if next_review_date is not None and next_review_date < project.today():
        raise ApplicationError(
            _("The next review date cannot be in the past."), field="next_review_date"
        )
    # The project row lock serialises numbering: two people adding risks get 7 and 8.
    Project.objects.select_for_update().filter(pk=project.pk).first()
    number = (Risk.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0) + 1
    risk = Risk(
        project=project,
        number=number,
        title=title.strip(),
        description=description,
        category=category,
        regime=regime,
        probability=probability,
        impact=impact,
        owner=owner,
        trigger=trigger,
        mitigation_plan=mitigation_plan,
        contingency_plan=contingency_plan,
        status=status,
        next_review_date=next_review_date,
        created_by=actor,
    )
    _validate(risk)
    risk.save()
    risk.refresh_from_db(fields=["score", "level"])
    _history(risk, "created", "", risk.status, actor)
    activity_record(actor=actor, verb="risk.created", target=risk, project=project, label=str(risk))
    if risk.level in (scoring.HIGH, scoring.CRITICAL):
        emit("risk.created", project=project, payload=_event_payload(risk))
    return risk


@transaction.atomic
def risk_update(*, risk: Risk, actor: Any, **changes: Any) -> Risk:
    """Change a risk. Probability, impact, status and owner changes are kept in its history;
    a rising level emits `risk.escalated`, becoming `occurred` emits `risk.occurred`."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    risk = Risk.objects.select_for_update().select_related("project", "owner").get(pk=risk.pk)
    if "owner" in changes and changes["owner"] != risk.owner:
        _check_owner(risk.project, changes["owner"])
    old_level = risk.level
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for field, value in changes.items():
        old = getattr(risk, field)
        if old != value:
            before[field] = old.label if field == "owner" and old else old
            after[field] = value.label if field == "owner" and value else value
            setattr(risk, field, value)
    if not after:
        return risk
    _validate(risk)
    risk.save()
    risk.refresh_from_db(fields=["score", "level"])
    for field in TRACKED_FIELDS:
        if field in after:
            _history(risk, field, before[field], after[field], actor)
    activity_record(
        actor=actor,
        verb="risk.updated",
        target=risk,
        project=risk.project,
        before=before,
        after=after,
        label=str(risk),
    )
    if scoring.level_rose(old_level, risk.level) and risk.status in ACTIVE_STATUSES:
        emit(
            "risk.escalated",
            project=risk.project,
            payload=_event_payload(risk, previous_level=old_level),
        )
    if after.get("status") == Status.OCCURRED:
        emit("risk.occurred", project=risk.project, payload=_event_payload(risk))
    return risk


@transaction.atomic
def risk_review(
    *, risk: Risk, actor: Any, note: str = "", next_review_date: date | None = None
) -> RiskReview:
    """Record a review ("reviewed, no change" included) and move the next review date."""
    risk = Risk.objects.select_for_update().select_related("project").get(pk=risk.pk)
    today = risk.project.today()
    next_review_date = next_review_date or today + timedelta(days=DEFAULT_REVIEW_DAYS)
    if next_review_date <= today:
        raise ApplicationError(_("The next review must be after today."), field="next_review_date")
    review = RiskReview(
        risk=risk, reviewer=actor, at=clock.now(), note=note, next_review_date=next_review_date
    )
    review.full_clean(exclude=["risk", "reviewer"])
    review.save()
    old = risk.next_review_date
    risk.next_review_date = next_review_date
    risk.save(update_fields=["next_review_date", "updated_at"])
    activity_record(
        actor=actor,
        verb="risk.reviewed",
        target=risk,
        project=risk.project,
        before={"next_review_date": old},
        after={"next_review_date": next_review_date},
        label=str(risk),
    )
    return review


def _linkable(risk: Risk, target: Any) -> tuple[str, Any]:
    """("work_items" | "requirements", target) for a card or requirement of the risk's project."""
    label = target._meta.label_lower
    field = {"projects.workitem": "work_items", "requirements.requirement": "requirements"}.get(
        label
    )
    if field is None:
        raise ApplicationError(_("Link a work item or a requirement."), field="target")
    if target.project_id != risk.project_id:
        raise ApplicationError(
            _("%(key)s belongs to another project.") % {"key": target.key}, field="target"
        )
    return field, target


@transaction.atomic
def risk_link(*, risk: Risk, actor: Any, target: Any) -> None:
    """Tie the risk to a work item or requirement of its project (idempotent)."""
    field, target = _linkable(risk, target)
    manager = getattr(risk, field)
    if manager.filter(pk=target.pk).exists():
        return
    manager.add(target)
    activity_record(
        actor=actor,
        verb="risk.linked",
        target=risk,
        project=risk.project,
        after={"linked": target.key},
        label=str(risk),
    )


@transaction.atomic
def risk_unlink(*, risk: Risk, actor: Any, target: Any) -> None:
    field, target = _linkable(risk, target)
    manager = getattr(risk, field)
    if not manager.filter(pk=target.pk).exists():
        return
    manager.remove(target)
    activity_record(
        actor=actor,
        verb="risk.unlinked",
        target=risk,
        project=risk.project,
        before={"linked": target.key},
        label=str(risk),
    )


@transaction.atomic
def risk_links_set(
    *, risk: Risk, actor: Any, work_items: list | None = None, requirements: list | None = None
) -> None:
    """Make the linked work items and/or requirements exactly these (None: leave alone)."""
    for field, targets in (("work_items", work_items), ("requirements", requirements)):
        if targets is None:
            continue
        targets = list({target.pk: target for target in targets}.values())
        for target in targets:
            try:
                _linkable(risk, target)
            except ApplicationError as exc:
                # The error belongs to the list the caller sent.
                raise ApplicationError(exc.message, field=field) from None
        manager = getattr(risk, field)
        before = sorted(t.key for t in manager.select_related("project"))
        after = sorted(t.key for t in targets)
        if before == after:
            continue
        manager.set(targets)
        activity_record(
            actor=actor,
            verb="risk.links_changed",
            target=risk,
            project=risk.project,
            before={field: before},
            after={field: after},
            label=str(risk),
        )


@transaction.atomic
def risk_delete(*, risk: Risk, actor: Any) -> None:
    """Remove a risk entered by mistake. Its last state stays in the activity log."""
    activity_record(
        actor=actor,
        verb="risk.deleted",
        target=risk,
        project=risk.project,
        before={
            "title": risk.title,
            "probability": risk.probability,
            "impact": risk.impact,
            "status": risk.status,
        },
        label=str(risk),
    )
    risk.delete()


def risks_flag_overdue_reviews(*, now=None) -> int:
    """Emit `risk.review_overdue` once per overdue risk per project-local day.

    Safe to run any number of times a day: the dedupe key holds the local date.
    Returns how many new events were emitted.
    """
    emitted = 0
    # No time zone is more than a day ahead of UTC: later dates cannot be overdue anywhere.
    horizon = (now or clock.now()).date() + timedelta(days=1)
    candidates = (
        Risk.objects.filter(status__in=ACTIVE_STATUSES, next_review_date__lt=horizon)
        .select_related("project", "owner")
        .order_by("project_id", "number")
    )
    for risk in candidates.iterator(chunk_size=500):
        today = risk.project.today()
        # is_overdue is False without a review date; the check also tells the type checker.
        if not risk.is_overdue(today) or risk.next_review_date is None:
            continue
        with transaction.atomic():
            event = emit(
                "risk.review_overdue",
                project=risk.project,
                payload=_event_payload(
                    risk,
                    next_review_date=risk.next_review_date.isoformat(),
                    days_overdue=(today - risk.next_review_date).days,
                ),
                dedupe_key=f"risk.review_overdue:{risk.pk}:{today.isoformat()}",
            )
        emitted += event is not None
    return emitted


@transaction.atomic
def risk_templates_apply(*, project: Project, actor: Any, language: str = "zh-hans") -> list[Risk]:
    """Add the starter e-commerce and compliance risks the project does not have yet.

    Idempotent per template: a risk made from a template remembers it in its history
    note, and a template already applied is skipped.
    """
    from .starter import STARTER_RISKS

    applied = set(
        RiskHistory.objects.filter(risk__project=project, field="created")
        .exclude(note="")
        .values_list("note", flat=True)
    )
    created: list[Risk] = []
    review = project.today() + timedelta(days=DEFAULT_REVIEW_DAYS)
    for starter in STARTER_RISKS:
        note = f"template:{starter.code}"
        if note in applied:
            continue
        title, trigger, mitigation, contingency = (
            starter.zh if language.startswith("zh") else starter.en
        )
        risk = risk_create(
            project=project,
            actor=actor,
            title=title,
            category=starter.category,
            regime=starter.regime,
            probability=starter.probability,
            impact=starter.impact,
            trigger=trigger,
            mitigation_plan=mitigation,
            contingency_plan=contingency,
            next_review_date=review,
        )
        RiskHistory.objects.filter(risk=risk, field="created").update(note=note)
        created.append(risk)
    return created
