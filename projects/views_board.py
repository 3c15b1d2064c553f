"""The board, the card panel, stand-up mode. Thin views over services and selectors.

The board is one page; SortableJS drags post moves with htmx, the card panel and the
quick-add form are htmx fragments.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from portal.errors import ApplicationError
from portal.forms_util import add_service_error, service_error_text
from portal.http import HtmxHttpRequest, id_or_none
from portal.permissions import can_edit, project_get_for_user
from portal.roles import Role
from portal.tabs import tabs_for

from . import services
from .extensions import card_templates, carry_extensions, panel_templates
from .forms_board import MoveForm, QuickAddForm, StandupNoteForm, WorkItemForm, member_users
from .models import ColumnCategory, Priority, WorkItem, WorkItemType
from .selectors.board import (
    SWIMLANES,
    active_sprint,
    board_column,
    board_columns,
    board_items,
    board_lanes,
    board_work_item,
    burndown_points,
    column_counts,
    project_work_items,
    sprint_burndown,
    sprint_summary,
    standup,
    work_item_history,
)
from .selectors.sprint import open_sprints, project_sprint

BOARD_FILTERS = ("assignee", "type", "label", "priority", "q", "swimlane", "sprint", "blocked")


def _board_filters(request, project):
    filters = {k: request.GET.get(k, "").strip() for k in BOARD_FILTERS}
    sprint = None
    if filters["sprint"] == "all":
        filters["scope"] = "all"
    else:
        sprint_id = id_or_none(filters["sprint"])  # "²" is a digit, but not a number
        if sprint_id is not None:
            sprint = project_sprint(project=project, sprint_id=sprint_id)
        sprint = sprint or active_sprint(project=project)
        filters["scope"] = "sprint" if sprint else "all"
    filters["sprint_obj"] = sprint
    filters["sprint"] = sprint
    if filters["swimlane"] not in SWIMLANES:
        filters["swimlane"] = "none"
    filters["blocked"] = filters["blocked"] in ("1", "on", "true")
    return filters


def _board_context(request, project):
    filters = _board_filters(request, project)
    columns = board_columns(project=project)
    items = list(board_items(project=project, filters=filters))
    now = timezone.now()
    for item in items:
        item.age_hours = (now - item.column_entered_at).total_seconds() / 3600
    counts = column_counts(columns=columns, items=items)
    lanes = board_lanes(
        columns=columns,
        items=items,
        swimlane=filters["swimlane"],
        labels={"unassigned": _("Unassigned")},
    )
    # count, over_wip and at_wip are for the template only: WorkflowColumn does not declare
    # them (as WorkItem declares age_hours), so mypy cannot know them.
    for column in columns:
        count = counts.get(column.pk, 0)
        column.count = count  # type: ignore[attr-defined]
        column.over_wip = bool(column.wip_limit and count > column.wip_limit)  # type: ignore[attr-defined]
        column.at_wip = bool(column.wip_limit and count >= column.wip_limit)  # type: ignore[attr-defined]
    sprint = filters["sprint_obj"]
    return {
        "project": project,
        "columns": columns,
        "lanes": lanes,
        "items_count": len(items),
        "filters": filters,
        "sprint": sprint,
        "summary": sprint_summary(sprint=sprint),
        "sprints": open_sprints(project=project),
        "members": list(member_users(project)),
        "types": WorkItemType.choices,
        "priorities": Priority.choices,
        "swimlanes": [
            ("none", _("No swimlanes")),
            ("assignee", _("By assignee")),
            ("priority", _("By priority")),
            ("type", _("By type")),
        ],
        "can_edit": can_edit(request.user, project),
        # What the apps above the board show on a card (its release).
        "card_sections": card_templates(),
        "query": request.GET.urlencode(),
    }


@login_required
def board_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key)
    context = _board_context(request, project)
    if request.htmx and request.htmx.target == "board":
        return render(request, "projects/board.html#board", context)
    context["tabs"] = tabs_for(project, "board", request.user)
    return render(request, "projects/board.html", context)


def _item_for(request, key: str, number: int, need: str = Role.VIEWER):
    project = project_get_for_user(request.user, key=key, need=need)
    item = get_object_or_404(project_work_items(project=project), number=number)
    return project, item


@login_required
@require_POST
def board_move_view(request: HtmxHttpRequest, key: str):
    """SortableJS posts {item, column, before, after}; answers 204, or 400 with the reason."""
    project = project_get_for_user(request.user, key=key, need=Role.MEMBER)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _move_error(_("This move is incomplete."))
    data = form.cleaned_data
    item = board_work_item(project=project, item_id=data["item"])
    column = board_column(project=project, column_id=data["column"])
    if item is None or column is None:
        return _move_error(_("This card or column is not on this board any more: reload."))
    before = (
        board_work_item(project=project, item_id=data["before"]) if data.get("before") else None
    )
    after = board_work_item(project=project, item_id=data["after"]) if data.get("after") else None
    try:
        item = services.work_item_move(
            item=item, column=column, before=before, after=after, actor=request.user
        )
    except ApplicationError as exc:
        return _move_error(exc.message)
    response = HttpResponse(status=204)
    trigger_client_event(response, "board-moved", {"item": item.pk, "column": column.pk})
    return response


def _move_error(message: str) -> HttpResponse:
    response = HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    trigger_client_event(response, "board-move-refused", {"message": message})
    return response


@login_required
@require_POST
def board_quick_add_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key, need=Role.MEMBER)
    form = QuickAddForm(request.POST, project=project)
    filters = _board_filters(request, project)
    if form.is_valid():
        try:
            services.work_item_create(
                project=project,
                actor=request.user,
                title=form.cleaned_data["title"],
                column=form.cleaned_data["column"],
                sprint=filters["sprint_obj"] if filters["scope"] == "sprint" else None,
                position="top",
            )
        except (ApplicationError, ValidationError) as exc:
            messages.error(request, service_error_text(exc))
    else:
        messages.error(request, _("Give the card a title."))
    if request.htmx:
        context = _board_context(request, project)
        return render(request, "projects/board.html#board", context)
    return HttpResponseRedirect(
        reverse("projects:board", args=[project.key]) + "?" + request.GET.urlencode()
    )


# Saving one of these may move the card to another lane or sprint, out of a filter, or
# change the sprint bar's totals: the whole board is redrawn. Any other change (title,
# blocked, description…) redraws only the card.
BOARD_PLACEMENT_FIELDS = frozenset(
    {"sprint", "assignee", "type", "priority", "labels", "story_points"}
)


def _panel_initial(item: WorkItem) -> dict:
    return {
        "title": item.title,
        "type": item.type,
        "assignee": item.assignee,
        "story_points": item.story_points,
        "priority": item.priority,
        "sprint": item.sprint,
        "labels": item.labels,
        "due_date": item.due_date,
        "blocked": item.blocked,
        "blocked_reason": item.blocked_reason,
        "description": item.description,
    }


@login_required
@require_http_methods(["GET", "POST"])
def work_item_panel_view(request: HtmxHttpRequest, key: str, number: int):
    """The card's side panel: details, edit form, history. POST saves.

    An htmx GET aimed at the card itself (HX-Target `item-<pk>`, which board.js sends
    on `card-changed` after a save) answers the card as the board draws it.
    """
    need = Role.MEMBER if request.method == "POST" else Role.VIEWER
    project, item = _item_for(request, key, number, need=need)
    if request.htmx and request.method == "GET" and request.htmx.target == f"item-{item.pk}":
        item.age_hours = (timezone.now() - item.column_entered_at).total_seconds() / 3600
        return render(
            request,
            "projects/partials/_card.html",
            {"project": project, "item": item, "card_sections": card_templates()},
        )
    form = WorkItemForm(request.POST or None, initial=_panel_initial(item), project=project)
    status = 200
    saved = False
    changed: set[str] = set()
    if request.method == "POST":
        if form.is_valid():
            changed = set(form.changed_data)
            try:
                item = carry_extensions(
                    item,
                    services.work_item_update(item=item, actor=request.user, **form.cleaned_data),
                )
                saved = True
            except (ApplicationError, ValidationError) as exc:
                add_service_error(form, exc)
                status = 400
        else:
            status = 400
    if saved:
        # Show what the service kept (labels tidied, the reason cleared on unblocking).
        form = WorkItemForm(initial=_panel_initial(item), project=project)
    context = {
        "project": project,
        "item": item,
        "form": form,
        "history": work_item_history(item=item),
        # What the apps above the board show about the card (its requirement, its risks).
        "panel_sections": panel_templates(),
        "saved": saved,
        "can_edit": can_edit(request.user, project),
    }
    if not request.htmx:
        context["tabs"] = tabs_for(project, "board", request.user)
        return render(request, "projects/work_item_page.html", context, status=status)
    response = render(request, "projects/partials/_card_panel.html", context, status=status)
    if saved and changed & BOARD_PLACEMENT_FIELDS:
        trigger_client_event(response, "board-changed")
    elif saved:
        trigger_client_event(response, "card-changed", {"item": item.pk})
    return response


@login_required
@require_http_methods(["GET", "POST"])
def standup_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key)
    sprint = active_sprint(project=project)
    data = standup(project=project, sprint=sprint)
    if request.method == "POST":
        project_get_for_user(request.user, key=key, need=Role.MEMBER)
        form = StandupNoteForm(request.POST)
        if form.is_valid():
            data["note"] = services.standup_note_save(
                project=project,
                actor=request.user,
                day=data["today"],
                text=form.cleaned_data["text"],
            )
        if request.htmx:
            return render(
                request,
                "projects/standup.html#note",
                {**data, "project": project, "saved": True, "can_edit": True},
            )
        return HttpResponseRedirect(reverse("projects:standup", args=[project.key]))
    burn = sprint_burndown(sprint=sprint) if sprint else []
    context = {
        **data,
        "project": project,
        "sprint": sprint,
        "summary": sprint_summary(sprint=sprint),
        # Written with |json_script by the template.
        "burndown_data": burndown_points(burn),
        "tabs": tabs_for(project, "board", request.user),
        "can_edit": can_edit(request.user, project),
        "done_category": ColumnCategory.DONE,
    }
    return render(request, "projects/standup.html", context)
