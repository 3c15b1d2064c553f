"""A project's release pages: the list, a release's page (its rollout, go/no-go, what it
ships, its risks, notes and history), the planning forms, and a card's release.

Thin: authorise, call a selector or service, render. The rollout's buttons post to
`delivery/views_rollout.py`; a refused action shows this page again with the reason on
the form it came from.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from portal import clock
from portal.errors import ApplicationError
from portal.forms_util import add_service_error, service_error_text
from portal.http import HtmxHttpRequest
from portal.permissions import project_get_for_user
from portal.tabs import tabs_for
from projects.selectors.board import project_work_items

from . import services
from .forms import GuardForm, PlanFormSet, ReasonForm, ReleaseForm, ScopeForm
from .models import FINAL_STATES, Check, Release, ReleaseState, StageState
from .notes import NOTE_LANGUAGES, release_notes
from .permissions import can_manage_releases, can_run_rollout
from .selectors import current_stage, freeze_window_at, go_no_go, release_risks
from .selectors_pages import (
    checklist_people,
    freeze_windows_ahead,
    guard_kpis,
    guard_reading,
    open_releases,
    project_releases,
    project_requirements_by_id,
    release_counts,
    release_for_page,
    release_history,
    release_requirements,
    release_work_items,
    scope_suggestions,
    work_item_releases,
)

LIST_TABS = ("open", "closed", "all")
# A release that went out, wholly or in part, can be taken back.
ROLLBACK_STATES = (ReleaseState.GRAY, ReleaseState.HALTED, ReleaseState.RELEASED)


def release_for(request, key: str, version: str, *, manage=False, run=False):
    """(project, release) for this person: 404 for a project they cannot see or a release
    it has not; 403 if they may not manage it (owners) or run its rollout (members)."""
    project = project_get_for_user(request.user, key=key)
    release = release_for_page(project=project, version=version)
    if release is None:
        raise Http404(_("No such release."))
    if manage and not can_manage_releases(request.user, project):
        raise_refusal(_("Only the project's owners manage its releases."))
    if run and not can_run_rollout(request.user, project):
        raise_refusal(_("Viewers cannot move a rollout on or stop it."))
    return project, release


def raise_refusal(message: str):
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied(message)


def by_key(items: list) -> list:
    """Work items in key order, as the release notes list them (the API's order too)."""
    return sorted(items, key=lambda item: (item.number, item.pk))


def release_url(release: Release, anchor: str = "") -> str:
    url = reverse("releases:detail", args=[release.project.key, release.version])
    return f"{url}#{anchor}" if anchor else url


# ------------------------------------------------------------------------ the list


@login_required
def release_list_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key)
    show = request.GET.get("show", "open")
    if show not in LIST_TABS:
        show = "open"
    releases = project_releases(project=project, show=show)
    for release in releases:
        # The stage it stands at, for the list's stage strip.
        setattr(release, "current", current_stage(release.stages.all()))  # noqa: B010
    now = clock.now()
    return render(
        request,
        "delivery/release_list.html",
        {
            "project": project,
            "releases": releases,
            "show": show,
            "counts": release_counts(project=project),
            "tabs": tabs_for(project, "releases", request.user),
            "can_manage": can_manage_releases(request.user, project),
            "frozen": freeze_window_at(project=project, at=now),
            "freezes": freeze_windows_ahead(project=project, now=now, limit=3),
            "today": project.today(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def release_create_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key)
    if not can_manage_releases(request.user, project):
        raise_refusal(_("Only the project's owners manage its releases."))
    form = ReleaseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            stages = form.stages()
            data.pop("plan"), data.pop("observe_minutes")
            try:
                release = services.release_create(
                    project=project, actor=request.user, stages=stages, **data
                )
            except ApplicationError as exc:
                field = "plan" if exc.field == "stages" else exc.field
                form.add_error(field if field in form.fields else None, exc.message)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Release %(v)s planned.") % {"v": release.version})
                return HttpResponseRedirect(release_url(release))
    return render(
        request,
        "delivery/release_form.html",
        {"project": project, "form": form, "tabs": tabs_for(project, "releases", request.user)},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def release_edit_view(request: HtmxHttpRequest, key: str, version: str):
    project, release = release_for(request, key, version, manage=True)
    initial = {
        "name": release.name,
        "target_date": release.target_date,
        "critical_paths": release.critical_paths,
        "hotfix": release.hotfix,
        "description": release.description,
    }
    form = ReleaseForm(request.POST or None, initial=initial, editing=True)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.release_update(release=release, actor=request.user, **form.cleaned_data)
            except (ApplicationError, ValidationError) as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Release %(v)s saved.") % {"v": release.version})
                return HttpResponseRedirect(release_url(release))
    return render(
        request,
        "delivery/release_form.html",
        {
            "project": project,
            "release": release,
            "form": form,
            "tabs": tabs_for(project, "releases", request.user),
        },
        status=status,
    )


# ------------------------------------------------------------------------ a release


def _checklist(release: Release, gate) -> list[dict]:
    ticked = release.checklist or {}
    people = checklist_people(release=release)
    rows = []
    for value, label in Check.choices:
        entry = ticked.get(value)
        rows.append(
            {
                "value": value,
                "label": label,
                "done": entry is not None,
                "by": people.get(entry.get("by") or 0) if isinstance(entry, dict) else None,
                "at": parse_datetime(entry.get("at") or "") if isinstance(entry, dict) else None,
                "required": value in gate.missing
                or entry is not None
                or value != "compliance_signoff",
            }
        )
    return rows


def detail_context(request, project, release, **forms) -> dict:
    """Everything the release page shows; `forms` replace the blank ones (with errors)."""
    user = request.user
    stages = list(release.stages.all())
    current = current_stage(stages)
    now = clock.now()
    manage = can_manage_releases(user, project)
    run = can_run_rollout(user, project) and not project.archived
    gate = go_no_go(release=release)
    final = release.state in FINAL_STATES
    for stage in stages:
        stage.readings = [guard_reading(g) for g in stage.guards.all()]
        if stage.state == StageState.RUNNING and stage.started_at:
            stage.ready_at = stage.started_at + timedelta(minutes=stage.observe_minutes)
            stage.observing = now < stage.ready_at
    plan_editable = not final and all(s.state == StageState.PENDING for s in stages)
    guardable = [s for s in stages if s.state in (StageState.PENDING, StageState.RUNNING)]
    language = request.GET.get("notes")
    if language not in NOTE_LANGUAGES:
        language = "en" if (request.LANGUAGE_CODE or "").startswith("en") else "zh-hans"
    items = release_work_items(release=release)
    requirements = release_requirements(release=release)
    notes = release_notes(
        release=release, requirements=requirements, work_items=by_key(items), language=language
    )
    context = {
        "project": project,
        "release": release,
        "tabs": tabs_for(project, "releases", user),
        "stages": stages,
        "current": current,
        "next_step": services.next_step(current) if current and not final else "",
        "gate": gate,
        "checklist": _checklist(release, gate),
        "risks": list(release_risks(release=release)),
        "items": items,
        "requirements": requirements,
        "history": release_history(release=release),
        "frozen": freeze_window_at(project=project, at=now),
        "freezes": freeze_windows_ahead(project=project, now=now),
        "notes": notes,
        "notes_language": language,
        "can_manage": manage and not final,
        "can_own": manage,
        "can_rollback": manage and release.state in ROLLBACK_STATES,
        "can_run": run and not final,
        "final": final,
        "plan_editable": plan_editable and manage,
        "now": now,
        "today": project.today(),
        "halt_form": ReasonForm(prefix="halt"),
        "rollback_form": ReasonForm(prefix="rollback"),
        "accept_form": ReasonForm(prefix="accept"),
        "scope_form": ScopeForm(),
        "scope_url": reverse("releases:scope", args=[project.key, release.version]),
        # A refused form answers at its own (POST-only) address: links are absolute.
        "release_path": reverse("releases:detail", args=[project.key, release.version]),
        # The work items' links, built once for a release of any size.
        "item_url_prefix": reverse("projects:item", args=[project.key, 0])[:-2],
        "requirement_url_prefix": reverse("requirements:detail", args=[project.key, 0])[:-2],
    }
    if manage and not final:
        context["suggestions"] = scope_suggestions(release=release)
        if plan_editable:
            context["plan_formset"] = PlanFormSet(
                initial=[
                    {"percent": s.percent, "observe_minutes": s.observe_minutes} for s in stages
                ],
                prefix="plan",
            )
        if guardable:
            context["guard_form"] = GuardForm(
                stages=guardable,
                kpis=guard_kpis(project=project),
                initial={"stage": (current or guardable[0]).pk},
            )
    context.update(forms)
    return context


@login_required
def release_detail_view(request: HtmxHttpRequest, key: str, version: str):
    project, release = release_for(request, key, version)
    return render(
        request, "delivery/release_detail.html", detail_context(request, project, release)
    )


def detail_refused(request, project, release, **forms) -> HttpResponse:
    """The page again, as it stands now, with the refused form and its errors."""
    fresh = release_for_page(project=project, version=release.version)
    return render(
        request,
        "delivery/release_detail.html",
        detail_context(request, project, fresh or release, **forms),
        status=400,
    )


@login_required
def release_notes_download_view(request: HtmxHttpRequest, key: str, version: str):
    """The release notes as a Markdown file, in `?language=` (zh-hans or en)."""
    project, release = release_for(request, key, version)
    language = request.GET.get("language") or "zh-hans"
    if language not in NOTE_LANGUAGES:
        raise Http404(_("Release notes are written in zh-hans or en."))
    markdown = release_notes(
        release=release,
        requirements=release_requirements(release=release),
        work_items=by_key(release_work_items(release=release)),
        language=language,
    )
    response = HttpResponse(markdown, content_type="text/markdown; charset=utf-8")
    filename = f"{project.key}-{release.version}-{language}.md"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def release_delete_view(request: HtmxHttpRequest, key: str, version: str):
    project, release = release_for(request, key, version, manage=True)
    try:
        services.release_delete(release=release, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, service_error_text(exc))
        return HttpResponseRedirect(release_url(release))
    messages.success(request, _("Release %(v)s deleted.") % {"v": release.version})
    return HttpResponseRedirect(reverse("releases:list", args=[project.key]))


# ------------------------------------------------------------------------ a card's release


@login_required
@require_http_methods(["GET", "POST"])
def work_item_release_view(request: HtmxHttpRequest, key: str, number: int):
    """The release section of a card's panel; owners POST `release` (a version, or empty)
    to move the item into that release (out of any other open one) or out of them all."""
    project = project_get_for_user(request.user, key=key)
    item = get_object_or_404(project_work_items(project=project), number=number)
    error = ""
    changed = False
    if request.method == "POST":
        if not can_manage_releases(request.user, project):
            raise_refusal(_("Only the project's owners manage its releases."))
        version = (request.POST.get("release") or "").strip()
        candidates = {r.version: r for r in open_releases(project=project)}
        if version and version not in candidates:
            error = _("Choose one of the project's open releases.")
        else:
            try:
                services.work_item_release_set(
                    item=item, release=candidates.get(version), actor=request.user
                )
                changed = True
            except ApplicationError as exc:
                error = exc.message
    response = render(
        request,
        "delivery/partials/_work_item_release.html",
        {
            "project": project,
            "item": item,
            "item_releases": work_item_releases(item=item),
            "open_releases": open_releases(project=project),
            "can_manage_releases": can_manage_releases(request.user, project),
            "release_error": error,
        },
        status=400 if error else 200,
    )
    if changed:
        trigger_client_event(response, "card-changed", {"item": item.pk})
    return response


@login_required
@require_POST
def backlog_add_view(request: HtmxHttpRequest, key: str):
    """The backlog's bulk bar: add the selected requirements (`ids`) to `release` (owners).
    Answers the bulk bar's result line; an unknown release or requirement changes nothing."""
    project = project_get_for_user(request.user, key=key)
    if not can_manage_releases(request.user, project):
        raise_refusal(_("Only the project's owners manage its releases."))
    version = (request.POST.get("release") or "").strip()
    release = next((r for r in open_releases(project=project) if r.version == version), None)
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit() and len(i) < 12]
    chosen = project_requirements_by_id(project=project, ids=ids)
    message, ok = "", False
    if release is None:
        message = _("Choose one of the project's open releases.")
    elif not ids or len(chosen) != len(set(ids)):
        message = _("Select requirements of this project first.")
    else:
        try:
            services.release_scope_set(
                release=release,
                actor=request.user,
                requirements=[*release_requirements(release=release), *chosen],
            )
        except ApplicationError as exc:
            message = exc.message
        else:
            ok = True
            message = _("%(count)s added to %(v)s.") % {"count": len(chosen), "v": version}
    return render(
        request,
        "requirements/partials/_bulk_result.html",
        {"message": message, "ok": ok},
        status=200 if ok else 400,
    )
