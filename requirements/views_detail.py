"""One requirement: create, read, edit, reject; its KPI links, comments, work items and
Kano survey; and the project's Kano overview (the Better/Worse scatter)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from portal.activity import activity_for_target
from portal.errors import ApplicationError
from portal.forms_util import add_service_error
from portal.http import HtmxHttpRequest
from portal.permissions import can_admin, can_edit, project_get_for_user
from portal.roles import Role
from portal.tabs import tabs_for

from . import scoring, services
from .forms import (
    CommentForm,
    KanoAnswerForm,
    KPILinkForm,
    PromoteForm,
    RejectForm,
    RequirementForm,
)
from .models import Status, kano_label
from .selectors import (
    kano_scatter,
    kano_survey,
    requirement_comments,
    requirement_kano_answers,
    requirement_kano_answers_with_project,
    requirement_kpi_links,
    requirement_kpi_links_with_project,
    requirement_reloaded,
    requirement_risks,
    requirement_work_items,
)
from .views import requirement_for


def _detail_url(project, requirement) -> str:
    return reverse("requirements:detail", args=[project.key, requirement.number])


@login_required
@require_http_methods(["GET", "POST"])
def requirement_create_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key, need=Role.MEMBER)
    form = RequirementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            requirement = services.requirement_create(
                project=project,
                actor=request.user,
                position="top" if request.POST.get("position") == "top" else "bottom",
                **form.cleaned_data,
            )
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Requirement %(key)s added.") % {"key": requirement.key})
            if request.POST.get("another"):
                return HttpResponseRedirect(reverse("requirements:create", args=[project.key]))
            return HttpResponseRedirect(_detail_url(project, requirement))
    return render(
        request,
        "requirements/requirement_form.html",
        {"project": project, "form": form, "tabs": tabs_for(project, "requirements", request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def requirement_edit_view(request: HtmxHttpRequest, key: str, number: int):
    project, requirement = requirement_for(request, key, number, need=Role.MEMBER)
    form = RequirementForm(
        request.POST or None, instance=requirement_reloaded(requirement=requirement)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.requirement_update(
                requirement=requirement, actor=request.user, **form.cleaned_data
            )
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Requirement %(key)s saved.") % {"key": requirement.key})
            return HttpResponseRedirect(_detail_url(project, requirement))
    return render(
        request,
        "requirements/requirement_form.html",
        {
            "project": project,
            "requirement": requirement,
            "form": form,
            "tabs": tabs_for(project, "requirements", request.user),
        },
    )


def _detail_context(request, project, requirement, **forms) -> dict:
    links = requirement_kpi_links(requirement=requirement)
    survey = kano_survey(requirement)
    return {
        "project": project,
        "requirement": requirement,
        "tabs": tabs_for(project, "requirements", request.user),
        "links": links,
        "survey": survey,
        "survey_kano": kano_label(survey["category"]),
        "work_items": requirement_work_items(requirement=requirement),
        "comments": requirement_comments(requirement=requirement),
        "risks": requirement_risks(requirement=requirement),
        "history": list(activity_for_target(requirement)[:50]),
        "can_edit": can_edit(request.user, project),
        "can_delete": can_admin(request.user, project),
        "kpi_form": forms.get("kpi_form") or KPILinkForm(project=project),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "promote_form": forms.get("promote_form") or PromoteForm(project=project),
        "reject_form": forms.get("reject_form") or RejectForm(),
        "open_statuses": [s for s in Status if s != requirement.status],
    }


@login_required
def requirement_detail_view(request: HtmxHttpRequest, key: str, number: int):
    project, requirement = requirement_for(request, key, number)
    return render(
        request,
        "requirements/requirement_detail.html",
        _detail_context(request, project, requirement),
    )


def _rerender(request, project, requirement, status=400, **forms):
    requirement.refresh_from_db()
    return render(
        request,
        "requirements/requirement_detail.html",
        _detail_context(request, project, requirement, **forms),
        status=status,
    )


@login_required
@require_POST
def requirement_reject_view(request: HtmxHttpRequest, key: str, number: int):
    project, requirement = requirement_for(request, key, number, need=Role.MEMBER)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            services.requirement_reject(
                requirement=requirement,
                actor=request.user,
                reason=form.cleaned_data["rejection_reason"],
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("%(key)s rejected.") % {"key": requirement.key})
            return HttpResponseRedirect(_detail_url(project, requirement))
    return _rerender(request, project, requirement, reject_form=form)


@login_required
@require_POST
def requirement_delete_view(request: HtmxHttpRequest, key: str, number: int):
    project, requirement = requirement_for(request, key, number, need=Role.OWNER)
    services.requirement_delete(requirement=requirement, actor=request.user)
    messages.success(request, _("Requirement %(key)s deleted.") % {"key": requirement.key})
    url = reverse("requirements:backlog", args=[project.key])
    return HttpResponseClientRedirect(url) if request.htmx else HttpResponseRedirect(url)


@login_required
@require_POST
def requirement_kpi_view(request: HtmxHttpRequest, key: str, number: int):
    project, requirement = requirement_for(request, key, number, need=Role.MEMBER)
    form = KPILinkForm(request.POST, project=project)
    if form.is_valid():
        try:
            services.requirement_kpi_link(
                requirement=requirement, actor=request.user, **form.cleaned_data
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Target KPI saved."))
            return HttpResponseRedirect(_detail_url(project, requirement) + "#kpis")
    return _rerender(request, project, requirement, kpi_form=form)


@login_required
@require_POST
def requirement_kpi_delete_view(request: HtmxHttpRequest, key: str, number: int, link_id: int):
    project, requirement = requirement_for(request, key, number, need=Role.MEMBER)
    link = get_object_or_404(
        requirement_kpi_links_with_project(requirement=requirement), pk=link_id
    )
    services.requirement_kpi_unlink(link=link, actor=request.user)
    messages.success(request, _("Target KPI removed."))
    return HttpResponseRedirect(_detail_url(project, requirement) + "#kpis")


@login_required
@require_POST
def requirement_comment_view(request: HtmxHttpRequest, key: str, number: int):
    project, requirement = requirement_for(request, key, number, need=Role.MEMBER)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.requirement_comment_add(
                requirement=requirement, actor=request.user, body=form.cleaned_data["body"]
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            return HttpResponseRedirect(_detail_url(project, requirement) + "#comments")
    return _rerender(request, project, requirement, comment_form=form)


@login_required
@require_POST
def requirement_promote_view(request: HtmxHttpRequest, key: str, number: int):
    project, requirement = requirement_for(request, key, number, need=Role.MEMBER)
    form = PromoteForm(request.POST, project=project)
    if form.is_valid():
        try:
            items = services.requirement_promote(
                requirement=requirement, actor=request.user, **form.cleaned_data
            )
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("Created %(keys)s from %(key)s.")
                % {"keys": ", ".join(i.key for i in items), "key": requirement.key},
            )
            return HttpResponseRedirect(_detail_url(project, requirement) + "#work-items")
    return _rerender(request, project, requirement, promote_form=form)


# ---------------------------------------------------------------- Kano survey


def _survey_context(request, project, requirement, form=None) -> dict:
    answers = requirement_kano_answers(requirement=requirement)
    mine = next((a for a in answers if a.respondent_id == request.user.pk), None)
    survey = kano_survey(requirement)
    initial = {"functional": mine.functional, "dysfunctional": mine.dysfunctional} if mine else {}
    return {
        "project": project,
        "requirement": requirement,
        "tabs": tabs_for(project, "requirements", request.user),
        "answers": answers,
        "mine": mine,
        "survey": survey,
        "survey_kano": kano_label(survey["category"]),
        "form": form or KanoAnswerForm(initial=initial),
        "can_edit": can_edit(request.user, project),
        "can_answer": not project.archived,
        "classes": [
            (letter, kano_label(scoring.CLASS_TO_KANO[letter])) for letter in scoring.CLASSES
        ],
        "survey_url": request.build_absolute_uri(
            reverse("requirements:survey", args=[project.key, requirement.number])
        ),
    }


@login_required
@require_http_methods(["GET", "POST"])
def kano_survey_view(request: HtmxHttpRequest, key: str, number: int):
    """The survey a PM sends to colleagues: two questions, then the tally so far. Every
    project member may answer for themself (viewers included: stakeholders' views are the
    point of a survey); recording someone else's answer takes a member."""
    project, requirement = requirement_for(request, key, number)
    form = KanoAnswerForm(request.POST or None)
    if request.method == "POST":
        if project.archived:
            return _survey_refused(request, project, requirement)
        if form.is_valid():
            name = form.cleaned_data["respondent_name"]
            if name and not can_edit(request.user, project):
                # Viewers do not see that field: the error goes to the top of the form.
                form.add_error(None, _("Only members record other people's answers."))
            else:
                try:
                    services.kano_response_record(
                        requirement=requirement, actor=request.user, **form.cleaned_data
                    )
                except ApplicationError as exc:
                    add_service_error(form, exc)
                else:
                    messages.success(request, _("Thank you: your answer is recorded."))
                    return HttpResponseRedirect(
                        reverse("requirements:survey", args=[project.key, requirement.number])
                    )
        context = _survey_context(request, project, requirement, form)
        return render(request, "requirements/kano_survey.html", context, status=400)
    # Unbound: the context pre-fills the form with the user's earlier answer.
    return render(
        request, "requirements/kano_survey.html", _survey_context(request, project, requirement)
    )


def _survey_refused(request, project, requirement):
    messages.error(request, _("This project is archived."))
    return HttpResponseRedirect(
        reverse("requirements:survey", args=[project.key, requirement.number])
    )


@login_required
@require_POST
def kano_response_delete_view(request: HtmxHttpRequest, key: str, number: int, response_id: int):
    project, requirement = requirement_for(request, key, number)
    answer = get_object_or_404(
        requirement_kano_answers_with_project(requirement=requirement), pk=response_id
    )
    if project.archived:
        return _survey_refused(request, project, requirement)
    # Your own answer is yours to withdraw; anyone else's takes a member.
    if answer.respondent_id != request.user.pk and not can_edit(request.user, project):
        messages.error(request, _("Only members remove other people's answers."))
        return HttpResponseRedirect(
            reverse("requirements:survey", args=[project.key, requirement.number])
        )
    services.kano_response_delete(response=answer, actor=request.user)
    messages.success(request, _("Answer removed."))
    return HttpResponseRedirect(
        reverse("requirements:survey", args=[project.key, requirement.number])
    )


@login_required
def kano_overview_view(request: HtmxHttpRequest, key: str):
    """Better (satisfaction when present) against |Worse| (dissatisfaction when absent) of
    every surveyed requirement: top right performance, top left attractive, bottom right
    must-be, bottom left indifferent."""
    project = project_get_for_user(request.user, key=key)
    points = kano_scatter(project=project)
    for point in points:
        point["category_label"] = kano_label(point["category"])
        point["url"] = reverse("requirements:survey", args=[project.key, point["number"]])
    return render(
        request,
        "requirements/kano_overview.html",
        {
            "project": project,
            "tabs": tabs_for(project, "requirements", request.user),
            "points": points,
            "tie_order": scoring.TIE_ORDER,
        },
    )
