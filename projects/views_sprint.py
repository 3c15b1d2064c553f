"""Sprint pages: list and create, the sprint page (burndown, burnup, velocity, report),
planning, the retrospective, and the board settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.errors import ApplicationError
from portal.forms_util import add_service_error
from portal.http import HtmxHttpRequest, id_or_none
from portal.permissions import can_admin, can_edit, project_get_for_user
from portal.refusals import NextStep
from portal.roles import Role
from portal.tabs import tabs_for

from . import services
from .calculations import sprint_length_bounds
from .forms_board import ColumnForm, RetroItemForm, SprintCloseForm, SprintForm, SprintSettingsForm
from .models import RetroItem, RetroKind, Sprint, SprintState, WorkflowColumn, WorkItem
from .selectors.board import (
    backlog_items,
    board_column_copy,
    board_column_ids,
    board_columns,
    project_mean_velocity,
    sprint_burndown,
    sprint_progress,
    velocity_history,
)
from .selectors.sprint import (
    project_sprints,
    retro_items,
    sprint_items,
    sprint_items_by_priority,
    sprint_list,
    sprint_scope_added,
)


def _sprint_for(request, key, sprint_id, need=Role.VIEWER):
    project = project_get_for_user(request.user, key=key, need=need)
    sprint = get_object_or_404(project_sprints(project=project), pk=sprint_id)
    return project, sprint


@login_required
@require_http_methods(["GET", "POST"])
def sprint_list_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key)
    form = SprintForm(request.POST or None)
    if request.method == "POST":
        project_get_for_user(request.user, key=key, need=Role.MEMBER)
        if form.is_valid():
            try:
                sprint = services.sprint_create(
                    project=project, actor=request.user, **form.cleaned_data
                )
            except (ApplicationError, ValidationError) as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Sprint %(name)s planned.") % {"name": sprint.name})
                return HttpResponseRedirect(
                    reverse("projects:sprint_plan", args=[project.key, sprint.pk])
                )
    sprints = sprint_list(project=project)
    return render(
        request,
        "projects/sprint_list.html",
        {
            "project": project,
            "sprints": sprints,
            "form": form,
            "tabs": tabs_for(project, "sprints", request.user),
            "can_edit": can_edit(request.user, project),
            "velocity": project_mean_velocity(project=project),
            "sprint_days": sprint_length_bounds(project.sprint_min_weeks, project.sprint_max_weeks),
        },
        status=400 if request.method == "POST" else 200,
    )


def _chart_data(sprint: Sprint) -> dict:
    burn = sprint_burndown(sprint=sprint)
    return {
        "days": [d.day.isoformat() for d in burn],
        "remaining": [d.remaining for d in burn],
        "ideal": [d.ideal for d in burn],
        "scope": [d.scope for d in burn],
        "done": [d.done for d in burn],
        "added": [d.added for d in burn],
        "removed": [d.removed for d in burn],
    }


@login_required
def sprint_detail_view(request: HtmxHttpRequest, key: str, sprint_id: int):
    project, sprint = _sprint_for(request, key, sprint_id)
    items = sprint_items(sprint=sprint)
    scope_added = sprint_scope_added(sprint=sprint)
    history = velocity_history(project=project)
    return render(
        request,
        "projects/sprint_detail.html",
        {
            "project": project,
            "sprint": sprint,
            "items": items,
            "scope_changes": scope_added,
            "progress": sprint_progress(sprints=[sprint])[sprint.pk],
            # Plain objects: the template writes them with |json_script (never json.dumps|safe,
            # which lets a sprint named "</script>…" end the script element).
            "chart_data": _chart_data(sprint),
            "velocity_data": {
                "names": [s.name for s in history],
                "committed": [s.committed_points or 0 for s in history],
                "completed": [s.completed_points or 0 for s in history],
            },
            "mean_velocity": project_mean_velocity(project=project),
            "close_form": SprintCloseForm(sprint=sprint),
            "tabs": tabs_for(project, "sprints", request.user),
            "can_edit": can_edit(request.user, project),
        },
    )


@login_required
@require_POST
def sprint_start_view(request: HtmxHttpRequest, key: str, sprint_id: int):
    project, sprint = _sprint_for(request, key, sprint_id, need=Role.MEMBER)
    try:
        services.sprint_start(sprint=sprint, actor=request.user)
        messages.success(request, _("%(name)s started. Good luck!") % {"name": sprint.name})
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("projects:sprint_detail", args=[project.key, sprint.pk]))


@login_required
@require_POST
def sprint_close_view(request: HtmxHttpRequest, key: str, sprint_id: int):
    project, sprint = _sprint_for(request, key, sprint_id, need=Role.MEMBER)
    form = SprintCloseForm(request.POST, sprint=sprint)
    if form.is_valid():
        try:
            services.sprint_close(
                sprint=sprint, actor=request.user, carry_to=form.cleaned_data["carry_to"]
            )
            messages.success(
                request, _("%(name)s closed. Time for the retrospective.") % {"name": sprint.name}
            )
            return HttpResponseRedirect(reverse("projects:retro", args=[project.key, sprint.pk]))
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Choose where the unfinished items go."))
    return HttpResponseRedirect(reverse("projects:sprint_detail", args=[project.key, sprint.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def sprint_plan_view(request: HtmxHttpRequest, key: str, sprint_id: int):
    """Move items between the backlog and the sprint; committed points vs mean velocity."""
    project, sprint = _sprint_for(request, key, sprint_id)
    if request.method == "POST":
        project_get_for_user(request.user, key=key, need=Role.MEMBER)
        item = get_object_or_404(WorkItem, project=project, pk=id_or_none(request.POST.get("item")))
        target = sprint if request.POST.get("action") == "add" else None
        try:
            services.work_item_update(item=item, actor=request.user, sprint=target)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        if not request.htmx:
            return HttpResponseRedirect(
                reverse("projects:sprint_plan", args=[project.key, sprint.pk])
            )
    planned = sprint_items_by_priority(sprint=sprint)
    context = {
        "project": project,
        "sprint": sprint,
        "sprint_items": planned,
        "backlog": list(backlog_items(project=project)[:300]),
        "committed": sum(i.story_points or 0 for i in planned),
        "mean_velocity": project_mean_velocity(project=project),
        "tabs": tabs_for(project, "sprints", request.user),
        "can_edit": can_edit(request.user, project) and sprint.state != SprintState.CLOSED,
    }
    if request.htmx:
        return render(request, "projects/sprint_plan.html#planning", context)
    return render(request, "projects/sprint_plan.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def retro_view(request: HtmxHttpRequest, key: str, sprint_id: int):
    project, sprint = _sprint_for(request, key, sprint_id)
    form = RetroItemForm(request.POST or None, project=project)
    status = 200
    if request.method == "POST":
        project_get_for_user(request.user, key=key, need=Role.MEMBER)
        if form.is_valid():
            try:
                services.retro_item_add(sprint=sprint, actor=request.user, **form.cleaned_data)
                return HttpResponseRedirect(
                    reverse("projects:retro", args=[project.key, sprint.pk])
                )
            except (ApplicationError, ValidationError) as exc:
                add_service_error(form, exc)
        status = 400
    items = retro_items(sprint=sprint)
    return render(
        request,
        "projects/retro.html",
        {
            "project": project,
            "sprint": sprint,
            "form": form,
            "went_well": [i for i in items if i.kind == RetroKind.WENT_WELL],
            "to_improve": [i for i in items if i.kind == RetroKind.TO_IMPROVE],
            "actions": [i for i in items if i.kind == RetroKind.ACTION],
            "tabs": tabs_for(project, "sprints", request.user),
            "can_edit": can_edit(request.user, project),
        },
        status=status,
    )


@login_required
@require_POST
def retro_action_to_item_view(request: HtmxHttpRequest, key: str, sprint_id: int, item_id: int):
    project, sprint = _sprint_for(request, key, sprint_id, need=Role.MEMBER)
    action = get_object_or_404(RetroItem, pk=item_id, retrospective__sprint=sprint)
    try:
        work_item = services.retro_action_to_work_item(action=action, actor=request.user)
        messages.success(request, _("%(key)s added to the backlog.") % {"key": work_item.key})
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("projects:retro", args=[project.key, sprint.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def board_settings_view(request: HtmxHttpRequest, key: str):
    """Columns (name, category, WIP limit, order) and the allowed sprint length."""
    project = project_get_for_user(
        request.user,
        key=key,
        need=Role.OWNER,
        refusal=_("Only the project's owners can change board settings."),
        next_step=NextStep(reverse("projects:board", args=[key]), _("Back to the board")),
    )
    action = request.POST.get("action")
    new_form = ColumnForm(request.POST if action == "add" else None, prefix="new")
    sprint_form = SprintSettingsForm(
        request.POST if action == "sprint" else None,
        initial={
            "sprint_min_weeks": project.sprint_min_weeks,
            "sprint_max_weeks": project.sprint_max_weeks,
        },
    )
    errors: dict[int, str] = {}
    if request.method == "POST":
        try:
            if action == "add" and new_form.is_valid():
                services.column_create(project=project, actor=request.user, **new_form.cleaned_data)
                return _back(project)
            if action == "update":
                column = get_object_or_404(
                    WorkflowColumn, project=project, pk=id_or_none(request.POST.get("column"))
                )
                form = ColumnForm(
                    request.POST,
                    instance=board_column_copy(column=column),
                    prefix=f"c{column.pk}",
                )
                if form.is_valid():
                    services.column_update(column=column, actor=request.user, **form.cleaned_data)
                    return _back(project)
                errors[column.pk] = "; ".join(str(e) for errs in form.errors.values() for e in errs)
            if action == "delete":
                column = get_object_or_404(
                    WorkflowColumn, project=project, pk=id_or_none(request.POST.get("column"))
                )
                services.column_delete(column=column, actor=request.user)
                return _back(project)
            if action in ("up", "down"):
                ids = board_column_ids(project=project)
                pk = id_or_none(request.POST.get("column"))
                if pk in ids:
                    i = ids.index(pk)
                    j = i - 1 if action == "up" else i + 1
                    if 0 <= j < len(ids):
                        ids[i], ids[j] = ids[j], ids[i]
                        services.columns_reorder(
                            project=project, actor=request.user, column_ids=ids
                        )
                return _back(project)
            if action == "sprint" and sprint_form.is_valid():
                services.project_update(
                    project=project, actor=request.user, **sprint_form.cleaned_data
                )
                messages.success(request, _("Sprint length saved."))
                return _back(project)
        except ApplicationError as exc:
            if action == "add":
                new_form.add_error(exc.field if exc.field in new_form.fields else None, exc.message)
            else:
                messages.error(request, exc.message)
                return _back(project)
    columns = board_columns(project=project)
    forms = [(column, ColumnForm(instance=column, prefix=f"c{column.pk}")) for column in columns]
    return render(
        request,
        "projects/board_settings.html",
        {
            "project": project,
            "column_forms": forms,
            "new_form": new_form,
            "sprint_form": sprint_form,
            "errors": errors,
            "tabs": tabs_for(project, "settings", request.user),
            "can_admin": can_admin(request.user, project),
        },
        status=400 if request.method == "POST" else 200,
    )


def _back(project):
    return HttpResponseRedirect(reverse("projects:board_settings", args=[project.key]))
