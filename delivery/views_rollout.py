"""The release page's actions: the rollout's buttons (members: start, pass, halt) and the
owners' planning (plan, guards, checklist, accepting risks, hotfix approval, what it
ships, cancel, roll back). Each posts, and answers the page again: after a success at the
section it changed, after a refusal with the reason on the form it came from (400)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.errors import ApplicationError
from portal.forms_util import add_service_error
from portal.http import HtmxHttpRequest
from requirements.models import Requirement
from risks.selectors import work_by_key

from . import services
from .forms import CheckForm, GuardForm, PlanFormSet, ReasonForm, ScopeForm
from .models import StageState
from .selectors_pages import guard_kpis, release_requirements, release_work_items
from .views import detail_refused, release_for, release_url


def _done(request, release, message: str, anchor: str):
    messages.success(request, message)
    return HttpResponseRedirect(release_url(release, anchor))


# ------------------------------------------------------------------------ the rollout


@login_required
@require_POST
def release_advance_view(request: HtmxHttpRequest, key: str, version: str):
    """Start or pass the current stage; `step` is the step the person saw."""
    project, release = release_for(request, key, version, run=True)
    try:
        release = services.release_advance(
            release=release, actor=request.user, step=request.POST.get("step") or None
        )
    except ApplicationError as exc:
        return detail_refused(request, project, release, rollout_error=exc.message)
    return _done(request, release, _("The rollout of %(v)s moved on.") % {"v": version}, "rollout")


def _with_reason(request, key, version, *, prefix, service, done, anchor, **need):
    """An action that takes a reason (halt, roll back, accept risks): the reason form is
    named by `prefix`; a refusal shows it again, open, with the error."""
    project, release = release_for(request, key, version, **need)
    form = ReasonForm(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            service(release=release, actor=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            return _done(request, release, done, anchor)
    return detail_refused(request, project, release, **{f"{prefix}_form": form})


@login_required
@require_POST
def release_halt_view(request: HtmxHttpRequest, key: str, version: str):
    return _with_reason(
        request,
        key,
        version,
        prefix="halt",
        service=services.release_halt,
        done=_("%(v)s halted.") % {"v": version},
        anchor="rollout",
        run=True,
    )


@login_required
@require_POST
def release_rollback_view(request: HtmxHttpRequest, key: str, version: str):
    return _with_reason(
        request,
        key,
        version,
        prefix="rollback",
        service=services.release_rollback,
        done=_("%(v)s rolled back.") % {"v": version},
        anchor="rollout",
        manage=True,
    )


# ------------------------------------------------------------------------ planning


@login_required
@require_POST
def release_plan_view(request: HtmxHttpRequest, key: str, version: str):
    project, release = release_for(request, key, version, manage=True)
    formset = PlanFormSet(request.POST, prefix="plan")
    if formset.is_valid():
        stages = [
            f.cleaned_data
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        try:
            services.release_plan_set(release=release, actor=request.user, stages=stages)
        except ApplicationError as exc:
            formset.non_form_errors().append(exc.message)
        else:
            return _done(request, release, _("Rollout plan saved."), "rollout")
    return detail_refused(request, project, release, plan_formset=formset)


@login_required
@require_POST
def release_guard_view(request: HtmxHttpRequest, key: str, version: str):
    project, release = release_for(request, key, version, manage=True)
    stages = [
        s for s in release.stages.all() if s.state in (StageState.PENDING, StageState.RUNNING)
    ]
    form = GuardForm(request.POST, stages=stages, kpis=guard_kpis(project=project))
    if form.is_valid():
        data = dict(form.cleaned_data)
        stage = next(s for s in stages if s.pk == data.pop("stage"))
        try:
            services.stage_guard_add(
                stage=stage,
                actor=request.user,
                kpi=data["kpi"],
                metric=data["metric"],
                operator=data["operator"],
                threshold=data["threshold"],
                of_baseline=data["of_baseline"],
            )
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            return _done(request, release, _("Guard added."), "rollout")
    return detail_refused(request, project, release, guard_form=form)


@login_required
@require_POST
def release_check_view(request: HtmxHttpRequest, key: str, version: str):
    project, release = release_for(request, key, version, manage=True)
    form = CheckForm(request.POST)
    if not form.is_valid():
        return detail_refused(request, project, release, check_error=_("Unknown checklist item."))
    try:
        services.release_check(release=release, actor=request.user, **form.cleaned_data)
    except ApplicationError as exc:
        return detail_refused(request, project, release, check_error=exc.message)
    return _done(request, release, _("Checklist updated."), "go-no-go")


@login_required
@require_POST
def release_accept_risks_view(request: HtmxHttpRequest, key: str, version: str):
    return _with_reason(
        request,
        key,
        version,
        prefix="accept",
        service=services.release_accept_risks,
        done=_("The open risks are accepted."),
        anchor="go-no-go",
        manage=True,
    )


def _owner_action(request, key, version, *, service, done):
    project, release = release_for(request, key, version, manage=True)
    try:
        service(release=release, actor=request.user)
    except ApplicationError as exc:
        return detail_refused(request, project, release, rollout_error=exc.message)
    return _done(request, release, done, "")


@login_required
@require_POST
def release_hotfix_view(request: HtmxHttpRequest, key: str, version: str):
    return _owner_action(
        request, key, version, service=services.release_hotfix_approve, done=_("Hotfix approved.")
    )


@login_required
@require_POST
def release_cancel_view(request: HtmxHttpRequest, key: str, version: str):
    return _owner_action(
        request,
        key,
        version,
        service=services.release_cancel,
        done=_("Release %(v)s cancelled.") % {"v": version},
    )


@login_required
@require_POST
def release_scope_view(request: HtmxHttpRequest, key: str, version: str):
    """Add work items and requirements by key (`add`: "MALL-12 MALL-R3"), or take one out
    (`remove`: a key). An unknown key changes nothing and says which."""
    project, release = release_for(request, key, version, manage=True)
    form = ScopeForm(request.POST)
    if not form.is_valid():
        return detail_refused(request, project, release, scope_form=form)
    items = release_work_items(release=release)
    requirements = release_requirements(release=release)
    removing = form.cleaned_data["remove"]
    keys = [removing] if removing else form.keys()
    if not keys:
        form.add_error("add", _("Enter the keys of work items or requirements, e.g. MALL-12."))
        return detail_refused(request, project, release, scope_form=form)
    found = {k: work_by_key(project=project, key=k) for k in keys}
    unknown = [k for k, target in found.items() if target is None]
    if unknown:
        form.add_error(
            "add",
            _("No work item or requirement %(keys)s in this project.")
            % {"keys": ", ".join(unknown)},
        )
        return detail_refused(request, project, release, scope_form=form)
    targets = list(found.values())
    new_items = [t for t in targets if not isinstance(t, Requirement)]
    new_requirements = [t for t in targets if isinstance(t, Requirement)]
    if removing:
        gone = {(type(t), t.pk) for t in targets}
        shipped = {(type(t), t.pk) for t in [*items, *requirements]}
        if not gone <= shipped:
            form.add_error("add", _("%(key)s is not in this release.") % {"key": targets[0].key})
            return detail_refused(request, project, release, scope_form=form)
        items = [i for i in items if (type(i), i.pk) not in gone]
        requirements = [r for r in requirements if (type(r), r.pk) not in gone]
        message = _("%(key)s taken out of %(v)s.") % {"key": targets[0].key, "v": version}
    else:
        items = list({i.pk: i for i in [*items, *new_items]}.values())
        requirements = list({r.pk: r for r in [*requirements, *new_requirements]}.values())
        message = _("%(count)s added to %(v)s.") % {"count": len(targets), "v": version}
    try:
        services.release_scope_set(
            release=release, actor=request.user, work_items=items, requirements=requirements
        )
    except ApplicationError as exc:
        form.add_error("add", exc.message)
        return detail_refused(request, project, release, scope_form=form)
    return _done(request, release, message, "scope")
