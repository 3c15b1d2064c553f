"""Project pages. Thin: authorise, call a selector or service, render.

Each view serves the full page, or only its fragment when htmx asks.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from portal.errors import ApplicationError
from portal.forms_util import add_service_error
from portal.http import HtmxHttpRequest
from portal.models import Membership, Phase
from portal.permissions import can_admin, can_edit, project_get_for_user
from portal.roles import Role
from portal.tabs import tabs_for

from . import services
from .forms import MemberAddForm, MemberRoleForm, ProjectFilterForm, ProjectForm
from .selectors import project_activity, project_list, project_members, project_phase_changes

ACTIVITY_PAGE_SIZE = 20
PROJECT_PAGE_SIZE = 50


@login_required
def project_list_view(request: HtmxHttpRequest):
    form = ProjectFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(project_list(user=request.user, filters=filters), PROJECT_PAGE_SIZE).get_page(
        request.GET.get("page") or 1
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "projects": page.object_list,
        "page": page,
        "filter_form": form,
        "query": query.urlencode(),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "projects/project_list.html#results", context)
    return render(request, "projects/project_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def project_create_view(request: HtmxHttpRequest):
    assert request.user.is_authenticated  # @login_required
    form = ProjectForm(request.POST or None, initial={"language": request.user.language})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["timezone_name"] = data.pop("timezone")
        try:
            project = services.project_create(actor=request.user, **data)
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Project %(key)s created.") % {"key": project.key})
            return HttpResponseRedirect(reverse("projects:detail", args=[project.key]))
    return render(request, "projects/project_form.html", {"form": form})


def _activity_page(request, project):
    paginator = Paginator(project_activity(project=project), ACTIVITY_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page") or 1)


@login_required
def project_detail_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key)
    phase_changes = project_phase_changes(project=project)
    context = {
        "project": project,
        "tabs": tabs_for(project, "overview", request.user),
        "members": list(project_members(project=project)),
        "phase_changes": phase_changes,
        "phases": Phase.choices,
        "passed_phases": {c.to_phase for c in phase_changes},
        "activity_page": _activity_page(request, project),
        "can_edit": can_edit(request.user, project),
        "can_admin": can_admin(request.user, project),
    }
    return render(request, "projects/project_detail.html", context)


@login_required
def project_activity_view(request: HtmxHttpRequest, key: str):
    """The activity feed, a page at a time ("Show more" asks for the next one)."""
    project = project_get_for_user(request.user, key=key)
    context = {"project": project, "activity_page": _activity_page(request, project)}
    return render(request, "projects/partials/_activity.html", context)


def _settings_context(request, project, form=None, member_form=None):
    return {
        "project": project,
        "tabs": tabs_for(project, "settings", request.user),
        "form": form or ProjectForm(instance=project),
        "member_form": member_form or MemberAddForm(),
        "members": list(project_members(project=project)),
        "roles": Role.choices,
    }


@login_required
@require_http_methods(["GET", "POST"])
def project_settings_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key, need=Role.OWNER)
    form = ProjectForm(request.POST or None, instance=project)
    if request.method == "POST":
        if form.is_valid():
            changes = {k: v for k, v in form.cleaned_data.items() if k != "key"}
            try:
                services.project_update(project=project, actor=request.user, **changes)
            except (ApplicationError, ValidationError) as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Project settings saved."))
                return HttpResponseRedirect(reverse("projects:settings", args=[project.key]))
        # The form re-renders with its errors; reload the instance the form mutated.
        project.refresh_from_db()
    return render(
        request, "projects/project_settings.html", _settings_context(request, project, form)
    )


@login_required
@require_POST
def project_archive_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key, need=Role.OWNER)
    archived = request.POST.get("archived") == "true"
    services.project_update(project=project, actor=request.user, archived=archived)
    if archived:
        messages.success(request, _("Project archived. It is read-only until restored."))
    else:
        messages.success(request, _("Project restored from the archive."))
    url = reverse("projects:settings", args=[project.key])
    return HttpResponseClientRedirect(url) if request.htmx else HttpResponseRedirect(url)


def _members_fragment(request, project, member_form=None, status=200):
    context = _settings_context(request, project, member_form=member_form)
    return render(request, "projects/project_settings.html#members", context, status=status)


@login_required
@require_POST
def member_add_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key, need=Role.OWNER)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            services.member_add(
                project=project,
                user=form.cleaned_data["user"],
                role=form.cleaned_data["role"],
                actor=request.user,
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            if not request.htmx:
                return HttpResponseRedirect(reverse("projects:settings", args=[project.key]))
            return _members_fragment(request, project)
    if not request.htmx:
        return render(
            request,
            "projects/project_settings.html",
            _settings_context(request, project, member_form=form),
            status=400,
        )
    return _members_fragment(request, project, member_form=form, status=200)


@login_required
@require_POST
def member_role_view(request: HtmxHttpRequest, key: str, member_id: int):
    project = project_get_for_user(request.user, key=key, need=Role.OWNER)
    membership = get_object_or_404(Membership, pk=member_id, project=project)
    form = MemberRoleForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.member_change_role(
                membership=membership, role=form.cleaned_data["role"], actor=request.user
            )
        except ApplicationError as exc:
            error = exc.message
    else:
        error = _("Choose one of the roles.")
    if error:
        messages.error(request, error)
    if not request.htmx:
        return HttpResponseRedirect(reverse("projects:settings", args=[project.key]))
    return _members_fragment(request, project)


@login_required
@require_POST
def member_remove_view(request: HtmxHttpRequest, key: str, member_id: int):
    project = project_get_for_user(request.user, key=key, need=Role.OWNER)
    membership = get_object_or_404(Membership, pk=member_id, project=project)
    removed = False
    try:
        services.member_remove(membership=membership, actor=request.user)
        removed = True
    except ApplicationError as exc:
        messages.error(request, exc.message)
    if removed and membership.user_id == request.user.pk and not request.user.is_staff:
        # Removing yourself: the settings page is no longer yours to see.
        url = reverse("projects:list")
        return HttpResponseClientRedirect(url) if request.htmx else HttpResponseRedirect(url)
    if not request.htmx:
        return HttpResponseRedirect(reverse("projects:settings", args=[project.key]))
    return _members_fragment(request, project)
