"""Comments, promotion into work items, and saved backlog views."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from portal import clock
from portal.activity import activity_record
from portal.errors import ApplicationError
from portal.models import Project
from projects.models import Sprint, WorkItem, WorkItemType
from projects.services import work_item_create

from ..models import (
    BacklogView,
    Requirement,
    RequirementComment,
    Status,
    WorkItemLink,
)
from . import common

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


def work_item_link(*, requirement: Requirement, work_item: WorkItem) -> WorkItemLink:
    """Tie a work item to the requirement it delivers (an item delivers at most one: a
    second call moves it). Both must be of the same project."""
    if work_item.project_id != requirement.project_id:
        raise ApplicationError(
            _("The requirement belongs to another project."), field="requirement"
        )
    link, _created = WorkItemLink.objects.update_or_create(
        work_item=work_item, defaults={"requirement": requirement}
    )
    return link


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
    common._lock(requirement.project_id)
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
        )
        for title in titles
    ]
    for item in items:
        work_item_link(requirement=requirement, work_item=item)
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
