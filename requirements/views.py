"""The backlog page and the triage queue. Thin: authorise, call a selector or service, render.

The backlog is one page: htmx swaps its results (filters, sorting, "load more"), single
rows (inline edits) and the MoSCoW panel, without reloading; the URL keeps the filters.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from portal.errors import ApplicationError
from portal.forms_util import form_errors_text, form_field
from portal.http import HtmxHttpRequest, id_or_none, query_without
from portal.permissions import can_edit, project_get_for_user
from portal.roles import Role
from portal.tabs import tabs_for

from . import services
from .extensions import backlog_bulk_actions
from .forms import BacklogFilterForm, BulkEditForm, InlineEditForm, SavedViewForm, TriageForm
from .models import BacklogView, Kano, MoSCoW, Priority, Status
from .selectors import (
    backlog_views_for,
    kano_surveys,
    moscow_by_phase,
    moscow_counts,
    project_requirements,
    requirement_backlog,
    requirement_in_project,
    requirement_phases,
    triage_anchor,
    triage_next,
    triage_upcoming,
    untriaged_count,
    work_item_progress,
)

PAGE_SIZE = 100
FILTER_KEYS = ("q", "status", "moscow", "kano", "priority", "phase", "tag", "source_department")


def backlog_filters(request, project) -> tuple[BacklogFilterForm, dict]:
    """The filter form bound to the query string, and the filters it accepts (bad values
    are dropped, never an error page: a shared link with a stale filter still opens)."""
    phases = requirement_phases(project=project)
    if not request.GET:
        return BacklogFilterForm(phases=phases), {}
    # A multi-select is validated as a whole: drop only its unknown values, so one stale
    # value in a shared link does not throw away the good ones.
    data = request.GET.copy()
    probe = BacklogFilterForm(phases=phases)
    for name in ("status", "moscow", "kano", "priority", "source_department"):
        field = form_field(probe, name, forms.ChoiceField)
        data.setlist(name, [v for v in data.getlist(name) if field.valid_value(v)])
    form = BacklogFilterForm(data, phases=phases)
    form.is_valid()
    return form, {k: v for k, v in form.cleaned_data.items() if k not in form.errors}


def _choices(enum) -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in enum.choices]


def row_context(project, requirements, user) -> dict:
    """What rows need besides the requirements: survey verdicts and work-item progress for
    exactly these rows (two queries, whatever their number)."""
    ids = [r.pk for r in requirements]
    return {
        "project": project,
        "surveys": kano_surveys(ids),
        "progress": work_item_progress(ids),
        "can_edit": can_edit(user, project),
        "moscow_choices": moscow_short_choices(),
        "kano_choices": _choices(Kano),
        "priority_choices": _choices(Priority),
        "status_choices": _choices(Status),
        # Translated once per page rather than once per row.
        "labels": {
            "moscow": _("MoSCoW"),
            "kano": _("Kano"),
            "priority": _("priority"),
            "phase": _("release phase"),
            "status": _("status"),
            "drag": _("Drag to reorder"),
            "select": _("Select"),
            "items_done": _("work items done"),
            "verdict": _("Kano survey verdict"),
            "survey": _("survey"),
        },
    }


def moscow_short_choices() -> list[tuple[str, str]]:
    """Must / Should / Could / Won't: the full labels do not fit a backlog cell."""
    return [
        (MoSCoW.MUST, _("Must")),
        (MoSCoW.SHOULD, _("Should")),
        (MoSCoW.COULD, _("Could")),
        (MoSCoW.WONT, _("Won't")),
    ]


def _results_context(request, project, filters) -> dict:
    qs = requirement_backlog(project=project, filters=filters)
    paginator = Paginator(qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page") or 1)
    rows = list(page.object_list)
    sort = filters.get("sort") or "rank"
    return {
        **row_context(project, rows, request.user),
        "page": page,
        "requirements": rows,
        "filters": filters,
        "sort": sort,
        # Dragging sets the rank order; it is only meaningful when the list shows it.
        "draggable": sort == "rank" and can_edit(request.user, project),
        "query": query_without(request, "page"),
        "query_no_sort": query_without(request, "page", "sort"),
    }


@login_required
def backlog_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key)
    form, filters = backlog_filters(request, project)
    context = _results_context(request, project, filters)
    if request.htmx and request.GET.get("page") and request.htmx.target != "backlog-results":
        # "Load more": only the next rows and the next sentinel.
        context["partial_rows"] = True
        return render(request, "requirements/backlog.html#more_rows", context)
    qs_filtered = requirement_backlog(project=project, filters={**filters, "sort": "key"})
    context.update(
        {
            "filter_form": form,
            "counts": moscow_counts(qs_filtered),
            "total": context["page"].paginator.count,
        }
    )
    if request.htmx and request.htmx.target == "backlog-counts":
        return render(request, "requirements/backlog.html#counts", context)
    if request.htmx and request.htmx.target == "backlog-results":
        context["oob"] = True
        parts = [
            render_to_string("requirements/backlog.html#results", context, request),
            render_to_string("requirements/backlog.html#counts", context, request),
            render_to_string("requirements/backlog.html#exports", context, request),
        ]
        return HttpResponse("".join(parts))
    context.update(
        {
            "tabs": tabs_for(project, "requirements", request.user),
            "phases": moscow_by_phase(project=project),
            "saved_views": list(backlog_views_for(project=project, user=request.user)),
            "untriaged": untriaged_count(project=project),
            "save_form": SavedViewForm(initial={"query": query_without(request, "page")}),
            "bulk_moscow": _choices(MoSCoW),
            # What the apps above add to the bulk bar (ship the selection in a release).
            "bulk_actions": backlog_bulk_actions(),
            "active_filters": any(filters.get(k) not in (None, "", []) for k in FILTER_KEYS),
        }
    )
    return render(request, "requirements/backlog.html", context)


def requirement_for(request, key: str, number: int, need: str = Role.VIEWER):
    project = project_get_for_user(request.user, key=key, need=need)
    requirement = get_object_or_404(project_requirements(project=project), number=number)
    return project, requirement


@login_required
@require_POST
def requirement_inline_view(request: HtmxHttpRequest, key: str, number: int):
    """Change MoSCoW, Kano, priority, phase or status from a backlog row; saves at once and
    answers the row (400 with the error in place, the stored values kept)."""
    project, requirement = requirement_for(request, key, number, need=Role.MEMBER)
    form = InlineEditForm(request.POST)
    error = error_field = None
    if form.is_valid():
        try:
            requirement = services.requirement_update(
                requirement=requirement, actor=request.user, **form.changes()
            )
        except ApplicationError as exc:
            error, error_field = exc.message, exc.field
        except ValidationError as exc:
            error = "; ".join(exc.messages)
    else:
        error = form_errors_text(form) or "; ".join(
            str(e) for errors in form.errors.values() for e in errors
        )
    fresh = requirement_backlog(project=project).get(pk=requirement.pk)
    context = {
        **row_context(project, [fresh], request.user),
        "requirement": fresh,
        "row_error": error,
        "row_error_field": error_field or (form.cleaned_data.get("field") if error else None),
        "asked_status": request.POST.get("value") if error else None,
        "draggable": request.POST.get("draggable") == "1",
    }
    response = render(
        request, "requirements/partials/_row.html", context, status=400 if error else 200
    )
    if error is None:
        trigger_client_event(response, "requirements-changed")
    return response


@login_required
@require_POST
def backlog_bulk_view(request: HtmxHttpRequest, key: str):
    """Apply one change to the selected requirements: all of them or none."""
    project = project_get_for_user(request.user, key=key, need=Role.MEMBER)
    ids = [i for i in map(id_or_none, request.POST.getlist("ids")) if i is not None]
    form = BulkEditForm(request.POST, ids=ids)
    message, ok = "", False
    if not form.is_valid():
        message = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    elif not form.changes():
        message = _("Choose what to change for the selected requirements.")
    else:
        try:
            updated = services.requirements_bulk_update(
                project=project, actor=request.user, ids=ids, changes=form.changes()
            )
        except (ApplicationError, ValidationError) as exc:
            message = exc.message if isinstance(exc, ApplicationError) else "; ".join(exc.messages)
        else:
            ok = True
            message = _("%(count)s requirements updated.") % {"count": len(updated)}
    response = render(
        request,
        "requirements/partials/_bulk_result.html",
        {"message": message, "ok": ok},
        status=200 if ok else 400,
    )
    if ok:
        trigger_client_event(response, "requirements-bulk-changed", {"message": message})
    return response


@login_required
@require_POST
def backlog_reorder_view(request: HtmxHttpRequest, key: str):
    """SortableJS posts {requirement, after, before}; answers 204, or 400 with the reason."""
    project = project_get_for_user(request.user, key=key, need=Role.MEMBER)

    def find(name):
        pk = id_or_none(request.POST.get(name))
        return requirement_in_project(project=project, pk=pk) if pk is not None else None

    requirement = find("requirement")
    after, before = find("after"), find("before")
    stale = requirement is None or (
        (request.POST.get("after") and after is None)
        or (request.POST.get("before") and before is None)
    )
    if stale:
        return _reorder_error(_("This backlog changed meanwhile: reload to see its order."))
    try:
        services.requirement_move(
            requirement=requirement, actor=request.user, after=after, before=before
        )
    except ApplicationError as exc:
        return _reorder_error(exc.message)
    return HttpResponse(status=204)


def _reorder_error(message: str) -> HttpResponse:
    response = HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    trigger_client_event(response, "backlog-reorder-refused", {"message": message})
    return response


@login_required
@require_POST
def saved_view_create_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key)
    form = SavedViewForm(request.POST)
    url = reverse("requirements:backlog", args=[project.key])
    if form.is_valid():
        try:
            view = services.backlog_view_save(
                project=project,
                actor=request.user,
                name=form.cleaned_data["name"],
                query=form.cleaned_data["query"],
                # Sharing puts the view in everybody's list: only people who may edit.
                shared=form.cleaned_data["shared"] and can_edit(request.user, project),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
            return HttpResponseRedirect(f"{url}?{view.query}" if view.query else url)
    else:
        messages.error(request, form_errors_text(form))
    query = form.data.get("query", "")
    return HttpResponseRedirect(f"{url}?{query}" if query else url)


@login_required
@require_POST
def saved_view_delete_view(request: HtmxHttpRequest, key: str, view_id: int):
    project = project_get_for_user(request.user, key=key)
    view = get_object_or_404(BacklogView, project=project, pk=view_id)
    try:
        services.backlog_view_delete(view=view, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return HttpResponseRedirect(reverse("requirements:backlog", args=[project.key]))


# ---------------------------------------------------------------- triage


def _triage_context(request, project, *, current=None, form=None, error=None, after=None) -> dict:
    """The queue's panel: `current`, or the first item after `after` (a requirement just
    triaged, or ?after=<number> when skipping), wrapping round to the oldest."""
    if current is None:
        anchor = None
        skip_to = id_or_none(request.GET.get("after"))  # "²" is a digit, not a number
        if after is not None:
            anchor = (after.created_at, after.pk)
        elif skip_to is not None:
            anchor = triage_anchor(project=project, number=skip_to)
        current = triage_next(project=project, after=anchor)
    upcoming = triage_upcoming(project=project, current=current) if current else []
    survey = kano_surveys([current.pk]).get(current.pk) if current else None
    return {
        "project": project,
        "current": current,
        "upcoming": upcoming,
        "remaining": untriaged_count(project=project),
        "survey": survey,
        "form": form or TriageForm(initial=_triage_initial(current)),
        "error": error,
        "moscow_choices": _choices(MoSCoW),
        "kano_choices": _choices(Kano),
        "priority_choices": _choices(Priority),
        "can_edit": can_edit(request.user, project),
    }


def _triage_initial(requirement) -> dict:
    if requirement is None:
        return {}
    return {
        "moscow": requirement.moscow,
        "priority": requirement.priority,
        "kano": requirement.kano,
        "phase": requirement.phase,
    }


@login_required
def triage_view(request: HtmxHttpRequest, key: str):
    """The untriaged requirements, oldest first, one at a time, driven by the keyboard."""
    project = project_get_for_user(request.user, key=key)
    context = _triage_context(request, project)
    if request.htmx and request.htmx.target == "triage-panel":
        return render(request, "requirements/triage.html#panel", context)
    context["tabs"] = tabs_for(project, "requirements", request.user)
    return render(request, "requirements/triage.html", context)


@login_required
@require_http_methods(["POST"])
def requirement_triage_view(request: HtmxHttpRequest, key: str, number: int):
    """Triage (MoSCoW + priority, Kano and phase optional) or reject (`reject=1` with a
    reason); answers the next item's panel, or this one with the errors in place."""
    project, requirement = requirement_for(request, key, number, need=Role.MEMBER)
    form = TriageForm(request.POST)
    rejecting = request.POST.get("reject") == "1"
    error = None
    try:
        if rejecting:
            services.requirement_reject(
                requirement=requirement,
                actor=request.user,
                reason=request.POST.get("rejection_reason", ""),
            )
        elif form.is_valid():
            data = form.cleaned_data
            services.requirement_triage(
                requirement=requirement,
                actor=request.user,
                moscow=data["moscow"],
                priority=data["priority"],
                kano=data["kano"],
                phase=data["phase"],
            )
        else:
            error = form_errors_text(form)
    except ApplicationError as exc:
        error = exc.message
        if exc.field in form.fields and form.is_bound:
            form.add_error(exc.field, exc.message)
    except ValidationError as exc:
        error = "; ".join(exc.messages)
    if error:
        requirement.refresh_from_db()
        context = _triage_context(request, project, current=requirement, form=form, error=error)
        context["rejecting"] = rejecting
        return render(request, "requirements/triage.html#panel", context, status=400)
    done = _("%(key)s rejected.") if rejecting else _("%(key)s triaged.")
    # On to the one after it (not back to the oldest: items skipped stay skipped).
    context = _triage_context(request, project, after=requirement)
    context["flash"] = done % {"key": requirement.key}
    context["last"] = requirement
    response = render(request, "requirements/triage.html#panel", context)
    trigger_client_event(response, "requirements-changed")
    return response
