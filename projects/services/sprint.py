"""Sprint writes: plan, start, close (with the carry-over), stand-up notes, retrospectives."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from portal import clock
from portal.activity import activity_record
from portal.errors import ApplicationError
from portal.events import emit
from portal.models import Project

from ..calculations import sprint_length_bounds, sprint_length_days
from ..models import (
    ColumnCategory,
    RetroItem,
    RetroKind,
    Retrospective,
    Sprint,
    SprintScopeChange,
    SprintState,
    StandupNote,
    WorkItem,
)
from .columns import lock_project
from .work_items import _check_assignee, work_item_create


def _check_dates(project: Project, start: date, end: date, *, exclude: int | None = None) -> None:
    if end <= start:
        raise ApplicationError(_("The sprint must end after it starts."), field="end")
    days = sprint_length_days(start, end)
    shortest, longest = sprint_length_bounds(project.sprint_min_weeks, project.sprint_max_weeks)
    if not shortest <= days <= longest:
        raise ApplicationError(
            _(
                "Sprints in this project last %(min)s–%(max)s weeks (%(shortest)s to "
                "%(longest)s days, both ends included); this one has %(days)s days."
            )
            % {
                "min": project.sprint_min_weeks,
                "max": project.sprint_max_weeks,
                "shortest": shortest,
                "longest": longest,
                "days": days,
            },
            field="end",
        )
    # Both ends are inclusive: a sprint may start the day after another ends, not on it.
    overlapping = project.sprints.filter(start__lte=end, end__gte=start)
    if exclude:
        overlapping = overlapping.exclude(pk=exclude)
    clash = overlapping.first()
    if clash is not None:
        raise ApplicationError(
            _("These dates overlap %(sprint)s (%(start)s – %(end)s).")
            % {"sprint": clash.name, "start": clash.start, "end": clash.end},
            field="start",
        )


@transaction.atomic
def sprint_create(
    *, project: Project, actor: Any, name: str, start: date, end: date, goal: str = ""
) -> Sprint:
    lock_project(project)
    _check_dates(project, start, end)
    sprint = Sprint(project=project, name=name.strip(), goal=goal, start=start, end=end)
    sprint.full_clean(exclude=["project"], validate_constraints=False)
    sprint.save()
    activity_record(actor=actor, verb="sprint.created", target=sprint, project=project)
    return sprint


@transaction.atomic
def sprint_update(*, sprint: Sprint, actor: Any, **changes: Any) -> Sprint:
    allowed = {"name", "goal", "start", "end"}
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError(_("This field cannot be changed."), field=sorted(unknown)[0])
    lock_project(sprint.project)
    sprint = Sprint.objects.select_related("project").get(pk=sprint.pk)
    if sprint.state == SprintState.CLOSED:
        raise ApplicationError(_("A closed sprint cannot be changed."))
    if (
        sprint.state == SprintState.ACTIVE
        and "start" in changes
        and changes["start"] != sprint.start
    ):
        raise ApplicationError(_("A running sprint keeps its start date."), field="start")
    before, after = {}, {}
    for field, value in changes.items():
        if getattr(sprint, field) != value:
            before[field], after[field] = getattr(sprint, field), value
            setattr(sprint, field, value)
    if not after:
        return sprint
    # Only new dates are checked: renaming a sprint planned under other rules stays possible.
    if {"start", "end"} & after.keys():
        _check_dates(sprint.project, sprint.start, sprint.end, exclude=sprint.pk)
    sprint.full_clean(exclude=["project"], validate_constraints=False)
    sprint.save()
    activity_record(
        actor=actor,
        verb="sprint.updated",
        target=sprint,
        project=sprint.project,
        before=before,
        after=after,
    )
    return sprint


def _points(items) -> int:
    return items.aggregate(p=Sum("story_points"))["p"] or 0


@transaction.atomic
def sprint_start(*, sprint: Sprint, actor: Any) -> Sprint:
    """Start a planned sprint: its current items are the committed scope (the burndown's
    starting line). The database refuses a second active sprint in the project."""
    lock_project(sprint.project)
    sprint = Sprint.objects.select_related("project").get(pk=sprint.pk)
    if not sprint.can_start():
        raise ApplicationError(_("Only a planned sprint can be started."), field="state")
    active = Sprint.objects.filter(project=sprint.project, state=SprintState.ACTIVE).first()
    if active is not None:
        raise ApplicationError(
            _("%(sprint)s is still running: close it first.") % {"sprint": active.name},
            field="state",
        )
    now = clock.now()
    items = list(WorkItem.objects.filter(sprint=sprint))
    sprint.state = SprintState.ACTIVE
    sprint.started_at = now
    sprint.committed_points = sum(i.story_points or 0 for i in items)
    try:
        with transaction.atomic():
            sprint.save(update_fields=["state", "started_at", "committed_points"])
    except IntegrityError:
        # Another request started a sprint between our check and our write.
        raise ApplicationError(
            _("Another sprint of this project is already running."), field="state"
        ) from None
    SprintScopeChange.objects.bulk_create(
        SprintScopeChange(
            sprint=sprint,
            item=item,
            change="added",
            points=item.story_points or 0,
            after_start=False,
            at=now,
        )
        for item in items
    )
    WorkItem.objects.filter(sprint=sprint).update(added_after_start=False)
    activity_record(
        actor=actor,
        verb="sprint.started",
        target=sprint,
        project=sprint.project,
        after={"committed_points": sprint.committed_points},
    )
    emit(
        "sprint.started",
        project=sprint.project,
        payload={
            "sprint_id": sprint.pk,
            "name": sprint.name,
            "goal": sprint.goal,
            "start": sprint.start.isoformat(),
            "end": sprint.end.isoformat(),
            "committed_points": sprint.committed_points,
            "items": len(items),
        },
    )
    return sprint


@transaction.atomic
def sprint_close(*, sprint: Sprint, actor: Any, carry_to: Sprint | None = None) -> Sprint:
    """Close the running sprint. Finished items stay with it; unfinished ones move to
    `carry_to` (a planned sprint of the project) or, when None, back to the backlog.
    Records committed vs completed points and a report, and emits `sprint.closed`."""
    lock_project(sprint.project)
    sprint = Sprint.objects.select_related("project").get(pk=sprint.pk)
    if not sprint.can_close():
        raise ApplicationError(_("Only a running sprint can be closed."), field="state")
    if carry_to is not None:
        if carry_to.project_id != sprint.project_id or carry_to.pk == sprint.pk:
            raise ApplicationError(_("Choose a sprint of this project."), field="carry_to")
        if carry_to.state != SprintState.PLANNED:
            raise ApplicationError(
                _("Unfinished work can only go to a planned sprint."), field="carry_to"
            )
    now = clock.now()
    items = WorkItem.objects.filter(sprint=sprint).select_related("column", "project")
    done = [i for i in items if i.column.category == ColumnCategory.DONE]
    unfinished = [i for i in items if i.column.category != ColumnCategory.DONE]
    completed = sum(i.story_points or 0 for i in done)
    added = (
        SprintScopeChange.objects.filter(sprint=sprint, after_start=True, change="added").aggregate(
            p=Sum("points")
        )["p"]
        or 0
    )
    report = {
        "committed_points": sprint.committed_points or 0,
        "completed_points": completed,
        "added_points": added,
        "done_items": [{"key": i.key, "title": i.title, "points": i.story_points} for i in done],
        "carried_items": [
            {"key": i.key, "title": i.title, "points": i.story_points} for i in unfinished
        ],
        "carried_to": carry_to.name if carry_to else None,
    }
    SprintScopeChange.objects.bulk_create(
        SprintScopeChange(
            sprint=sprint,
            item=i,
            change="removed",
            points=-(i.story_points or 0),
            after_start=True,
            at=now,
        )
        for i in unfinished
    )
    WorkItem.objects.filter(pk__in=[i.pk for i in unfinished]).update(
        sprint=carry_to, added_after_start=False
    )
    sprint.state = SprintState.CLOSED
    sprint.closed_at = now
    sprint.completed_points = completed
    sprint.report = report
    sprint.save(update_fields=["state", "closed_at", "completed_points", "report"])
    Retrospective.objects.get_or_create(sprint=sprint)
    activity_record(
        actor=actor,
        verb="sprint.closed",
        target=sprint,
        project=sprint.project,
        after={"completed_points": completed, "carried": len(unfinished)},
    )
    emit(
        "sprint.closed",
        project=sprint.project,
        payload={
            "sprint_id": sprint.pk,
            "name": sprint.name,
            **{k: v for k, v in report.items() if k != "done_items"},
        },
    )
    return sprint


@transaction.atomic
def standup_note_save(*, project: Project, actor: Any, day: date, text: str) -> StandupNote:
    note, _created = StandupNote.objects.update_or_create(
        project=project, date=day, defaults={"text": text.strip(), "updated_by": actor}
    )
    activity_record(
        actor=actor, verb="standup.note_saved", target=note, project=project, label=day.isoformat()
    )
    return note


@transaction.atomic
def retro_item_add(
    *,
    sprint: Sprint,
    actor: Any,
    kind: str,
    text: str,
    owner: Any = None,
    due_date: date | None = None,
) -> RetroItem:
    if kind not in RetroKind.values:
        raise ApplicationError(_("Choose went well, to improve or action."), field="kind")
    if not (text or "").strip():
        raise ApplicationError(_("Write something."), field="text")
    if kind != RetroKind.ACTION and (owner or due_date):
        raise ApplicationError(_("Only action items have an owner and a due date."), field="owner")
    if owner is not None:
        try:
            _check_assignee(sprint.project, owner)
        except ApplicationError:
            raise ApplicationError(
                _("The owner of an action item must be a member of the project (not a viewer)."),
                field="owner",
            ) from None
    retro, _created = Retrospective.objects.get_or_create(sprint=sprint)
    item = RetroItem(
        retrospective=retro,
        kind=kind,
        text=text.strip(),
        author=actor,
        owner=owner,
        due_date=due_date,
    )
    item.full_clean(
        exclude=["retrospective", "author", "owner", "work_item"], validate_constraints=False
    )
    item.save()
    activity_record(
        actor=actor,
        verb="retro.item_added",
        target=item,
        project=sprint.project,
        label=item.text[:80],
    )
    return item


@transaction.atomic
def retro_action_to_work_item(*, action: RetroItem, actor: Any) -> WorkItem:
    """Turn an action item into a backlog task (once); it then shows in the next planning."""
    action = (
        RetroItem.objects.select_for_update()
        .select_related("retrospective__sprint__project")
        .get(pk=action.pk)
    )
    if action.kind != RetroKind.ACTION:
        raise ApplicationError(_("Only action items become work items."), field="kind")
    if action.work_item is not None:
        return action.work_item
    project = action.retrospective.sprint.project
    # The label and description become the project's data: written in its language (复盘
    # in a Chinese project), not in whoever clicked's.
    language = project.language or getattr(actor, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        label = pgettext("label of a work item made from a retrospective action", "retro")
        description = _("Action item from the retrospective of %(sprint)s.") % {
            "sprint": action.retrospective.sprint.name
        }
    item = work_item_create(
        project=project,
        actor=actor,
        title=action.text[:200],
        type="task",
        assignee=action.owner if action.owner and _is_member(project, action.owner) else None,
        due_date=action.due_date,
        labels=[label],
        description=description,
    )
    action.work_item = item
    action.save(update_fields=["work_item"])
    return item


def _is_member(project: Project, user: Any) -> bool:
    return project.memberships.filter(user=user).exclude(role="viewer").exists()


def next_planned_sprint(project: Project, after: Sprint | None = None) -> Sprint | None:
    qs = project.sprints.filter(state=SprintState.PLANNED)
    if after is not None:
        qs = qs.filter(Q(start__gte=after.end) | Q(start__gte=after.start)).exclude(pk=after.pk)
    return qs.order_by("start").first()
