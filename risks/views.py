"""Risk register pages. Thin: authorise, call a selector or service, render.

The register is one page; htmx swaps its table (filters, heat-map clicks) and single
rows (inline edits) without reloading.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from portal import exports
from portal.errors import ApplicationError
from portal.forms_util import add_service_error
from portal.http import HtmxHttpRequest, query_without
from portal.permissions import can_admin, can_edit, project_get_for_user
from portal.roles import Role
from portal.tabs import tabs_for

from . import services
from .forms import RiskFilterForm, RiskForm, RiskInlineForm, RiskReviewForm
from .models import Level, Status
from .scoring import risk_level
from .selectors import (
    project_risks,
    risk_counts_by_level,
    risk_events_recent,
    risk_exposure_trend,
    risk_heatmap,
    risk_history_for,
    risk_linked_requirements,
    risk_linked_work_items,
    risk_register,
    risk_register_row,
    risk_reloaded,
    risk_reviews_for,
    work_by_key,
)

PAGE_SIZE = 50


def _filters(request, project):
    form = RiskFilterForm(request.GET or None, project=project)
    return form, (form.cleaned_data if form.is_valid() else {})


def _heatmap_context(project, filters):
    grid = risk_heatmap(project=project)
    selected = (filters.get("probability"), filters.get("impact"))
    rows = []
    for index, counts in enumerate(grid):
        probability = 5 - index
        cells = []
        for impact, count in enumerate(counts, start=1):
            score = probability * impact
            cells.append(
                {
                    "probability": probability,
                    "impact": impact,
                    "count": count,
                    "score": score,
                    "level": risk_level(score),
                    "selected": selected == (probability, impact),
                }
            )
        rows.append({"probability": probability, "cells": cells})
    return {"heatmap_rows": rows}


def _register_context(request, project):
    form, filters = _filters(request, project)
    today = project.today()
    paginator = Paginator(risk_register(project=project, filters=filters, today=today), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page") or 1)
    return {
        "project": project,
        "filter_form": form,
        "filters": filters,
        "page": page,
        "risks": page.object_list,
        "today": today,
        "can_edit": can_edit(request.user, project),
        "statuses": Status.choices,
        "scale": range(1, 6),
        "query": query_without(request, "page"),
        "query_no_cell": query_without(request, "page", "probability", "impact"),
        "sort": filters.get("sort") or "score",
        **_heatmap_context(project, filters),
    }


@login_required
def risk_register_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key)
    context = _register_context(request, project)
    if request.htmx and request.htmx.target == "risk-results":
        # The table, plus out-of-band refreshes of everything else that carries the
        # filters: the heat map, the export links and the form's heat-map cell inputs.
        context["oob"] = True
        parts = [
            render_to_string("risks/risk_register.html#results", context, request),
            render_to_string("risks/risk_register.html#heatmap", context, request),
            render_to_string("risks/risk_register.html#exports", context, request),
            render_to_string("risks/risk_register.html#cellinputs", context, request),
        ]
        return HttpResponse("".join(parts))
    if request.htmx and request.htmx.target == "risk-heatmap":
        return render(request, "risks/risk_register.html#heatmap", context)
    context.update(
        {
            "tabs": tabs_for(project, "risks", request.user),
            "levels": risk_counts_by_level(project=project),
            "level_choices": Level.choices,
            "trend": [
                {"date": day.isoformat(), "exposure": value}
                for day, value in risk_exposure_trend(project=project)
            ],
            "events": risk_events_recent(project=project),
        }
    )
    return render(request, "risks/risk_register.html", context)


def _risk_for(request, key: str, number: int, need: str = Role.VIEWER) -> tuple:
    project = project_get_for_user(request.user, key=key, need=need)
    risk = get_object_or_404(project_risks(project=project), number=number)
    return project, risk


@login_required
@require_POST
def risk_inline_edit_view(request: HtmxHttpRequest, key: str, number: int):
    """Change probability, impact or status from the register; the row re-scores at once."""
    project, risk = _risk_for(request, key, number, need=Role.MEMBER)
    form = RiskInlineForm(request.POST)
    error = None
    if form.is_valid():
        try:
            risk = services.risk_update(
                risk=risk,
                actor=request.user,
                **{form.cleaned_data["field"]: form.cleaned_data["value"]},
            )
        except (ApplicationError, ValidationError) as exc:
            error = exc.message if isinstance(exc, ApplicationError) else "; ".join(exc.messages)
    else:
        error = "; ".join(str(e) for errs in form.errors.values() for e in errs)
    context = {
        "project": project,
        "risk": risk if error is None else risk_register_row(risk=risk),
        "today": project.today(),
        "can_edit": True,
        "statuses": Status.choices,
        "scale": range(1, 6),
        "row_error": error,
    }
    response = render(
        request, "risks/risk_register.html#row", context, status=200 if error is None else 400
    )
    if error is None:
        trigger_client_event(response, "risk-changed")
    return response


@login_required
@require_http_methods(["GET", "POST"])
def risk_create_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key, need=Role.MEMBER)
    form = RiskForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            risk = services.risk_create(project=project, actor=request.user, **form.cleaned_data)
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Risk %(key)s registered.") % {"key": risk.key})
            return HttpResponseRedirect(reverse("risks:detail", args=[project.key, risk.number]))
    return render(
        request,
        "risks/risk_form.html",
        {"project": project, "form": form, "tabs": tabs_for(project, "risks", request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def risk_edit_view(request: HtmxHttpRequest, key: str, number: int):
    project, risk = _risk_for(request, key, number, need=Role.MEMBER)
    form = RiskForm(request.POST or None, instance=risk_reloaded(risk=risk), project=project)
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        if changes.get("owner") is None:
            changes["owner"] = risk.owner
        try:
            services.risk_update(risk=risk, actor=request.user, **changes)
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Risk %(key)s saved.") % {"key": risk.key})
            return HttpResponseRedirect(reverse("risks:detail", args=[project.key, risk.number]))
    return render(
        request,
        "risks/risk_form.html",
        {
            "project": project,
            "risk": risk,
            "form": form,
            "tabs": tabs_for(project, "risks", request.user),
        },
    )


@login_required
def risk_detail_view(request: HtmxHttpRequest, key: str, number: int):
    project, risk = _risk_for(request, key, number)
    return render(request, "risks/risk_detail.html", _detail_context(request, project, risk))


def _detail_context(request, project, risk, review_form=None, link_error=None):
    return {
        "project": project,
        "risk": risk,
        "today": project.today(),
        "tabs": tabs_for(project, "risks", request.user),
        "history": risk_history_for(risk=risk),
        "reviews": risk_reviews_for(risk=risk),
        "review_form": review_form or RiskReviewForm(),
        "can_edit": can_edit(request.user, project),
        "can_delete": can_admin(request.user, project),
        "linked_items": risk_linked_work_items(risk=risk),
        "linked_requirements": risk_linked_requirements(risk=risk),
        "link_error": link_error,
    }


@login_required
@require_POST
def risk_review_view(request: HtmxHttpRequest, key: str, number: int):
    project, risk = _risk_for(request, key, number, need=Role.MEMBER)
    form = RiskReviewForm(request.POST)
    if form.is_valid():
        try:
            services.risk_review(
                risk=risk,
                actor=request.user,
                note=form.cleaned_data["note"],
                next_review_date=form.cleaned_data["next_review_date"],
            )
        except ApplicationError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("Review recorded."))
            return HttpResponseRedirect(reverse("risks:detail", args=[project.key, risk.number]))
    risk.refresh_from_db()
    return render(
        request, "risks/risk_detail.html", _detail_context(request, project, risk, form), status=400
    )


@login_required
@require_POST
def risk_link_view(request: HtmxHttpRequest, key: str, number: int):
    """Link a work item or requirement by its key; `unlink=<key>` removes a link."""
    project, risk = _risk_for(request, key, number, need=Role.MEMBER)
    raw = request.POST.get("unlink") or request.POST.get("target", "")
    target = work_by_key(project=project, key=raw)
    if target is None:
        error = _("No work item or requirement %(key)s in this project.") % {"key": raw.strip()}
        risk.refresh_from_db()
        return render(
            request,
            "risks/risk_detail.html",
            _detail_context(request, project, risk, link_error=error),
            status=400,
        )
    if request.POST.get("unlink"):
        services.risk_unlink(risk=risk, actor=request.user, target=target)
        messages.success(request, _("%(key)s unlinked.") % {"key": target.key})
    else:
        services.risk_link(risk=risk, actor=request.user, target=target)
        messages.success(request, _("%(key)s linked.") % {"key": target.key})
    return HttpResponseRedirect(
        reverse("risks:detail", args=[project.key, risk.number]) + "#linked-work"
    )


@login_required
@require_POST
def risk_delete_view(request: HtmxHttpRequest, key: str, number: int):
    project, risk = _risk_for(request, key, number, need=Role.OWNER)
    services.risk_delete(risk=risk, actor=request.user)
    messages.success(request, _("Risk %(key)s deleted.") % {"key": risk.key})
    url = reverse("risks:register", args=[project.key])
    return HttpResponseClientRedirect(url) if request.htmx else HttpResponseRedirect(url)


@login_required
@require_POST
def risk_templates_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key, need=Role.MEMBER)
    created = services.risk_templates_apply(
        project=project, actor=request.user, language=get_language() or "zh-hans"
    )
    if created:
        messages.success(
            request,
            _("%(count)s starter risks added. Review and adjust them to your project.")
            % {"count": len(created)},
        )
    else:
        messages.info(request, _("Every starter risk is already in this register."))
    return HttpResponseRedirect(reverse("risks:register", args=[project.key]))


def _export_rows(request, project):
    _form, filters = _filters(request, project)
    today = project.today()
    header = [
        _("Key"),
        _("Title"),
        _("Category"),
        _("Compliance regime"),
        _("Probability"),
        _("Impact"),
        _("Score"),
        _("Level"),
        _("Status"),
        _("Owner"),
        _("Next review date"),
        _("Review overdue"),
        _("Trigger"),
        _("Mitigation plan"),
        _("Contingency plan"),
    ]
    rows = []
    for risk in risk_register(project=project, filters=filters, today=today):
        rows.append(
            [
                risk.key,
                risk.title,
                risk.get_category_display(),
                risk.get_regime_display(),
                risk.probability,
                risk.impact,
                risk.score,
                risk.get_level_display(),
                risk.get_status_display(),
                risk.owner.label,
                risk.next_review_date,
                _("yes") if risk.is_overdue(today) else "",
                risk.trigger,
                risk.mitigation_plan,
                risk.contingency_plan,
            ]
        )
    return header, rows


def _export_name(project, ext: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{project.key}-risks-{stamp}.{ext}"


@login_required
def risk_export_csv_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key)
    header, rows = _export_rows(request, project)
    return exports.csv_response(header=header, rows=rows, filename=_export_name(project, "csv"))


# Level column background, as the register's badges.
_LEVEL_FILLS = {"low": "E3F5EA", "medium": "FFF2DC", "high": "FDE0C8", "critical": "FDE7E8"}
_LEVEL_COLUMN = 8


@login_required
def risk_export_xlsx_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key)
    header, rows = _export_rows(request, project)
    levels = {str(label): value for value, label in Level.choices}

    def fills(row) -> dict[int, str]:
        fill = _LEVEL_FILLS.get(levels.get(str(row[_LEVEL_COLUMN - 1]), ""))
        return {_LEVEL_COLUMN: fill} if fill else {}

    return exports.xlsx_response(
        header=header,
        rows=rows,
        filename=_export_name(project, "xlsx"),
        sheet_title=_("Risks"),
        column_widths=[14, 40, 12, 16, 10, 10, 8, 10, 12, 14, 14, 12, 40, 40, 40],
        freeze="C2",
        fills=fills,
    )
