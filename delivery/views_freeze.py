"""The freeze calendar (封网日历): site-wide at /releases/freeze/ and per project at
/projects/<key>/releases/freeze/. Thin: authorise, call selectors or a service, render.

A project's calendar reads in the project's time zone and shows its own and the
site-wide windows; its owners set and remove the project's windows. The site's reads in
the person's time zone and shows the site-wide windows and those of their projects;
staff set and remove the site-wide ones.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, timedelta, tzinfo
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal import clock
from portal.errors import ApplicationError
from portal.forms_util import add_service_error
from portal.http import HtmxHttpRequest, id_or_none
from portal.models import Project
from portal.permissions import project_get_for_user, project_refusal
from portal.refusals import NextStep, Refused
from portal.roles import Role
from portal.tabs import tabs_for

from .forms_freeze import FreezeWindowForm
from .month_grid import day_start, grid_bounds, month_grid, month_param, parse_month, shift_month
from .permissions import can_manage_freeze_windows
from .selectors_freeze import (
    freeze_window_for,
    freeze_window_rows,
    freeze_windows_overlapping,
    release_marks_between,
)
from .services import freeze_window_create, freeze_window_delete

WEEKDAYS = (0, 1, 2, 3, 4, 5, 6)


def _calendar_url(project: Project | None, month: date | None = None) -> str:
    url = (
        reverse("releases:freeze", args=[project.key])
        if project is not None
        else reverse("releases_site:freeze")
    )
    return f"{url}?month={month_param(month)}" if month is not None else url


def _weekday_names() -> list[str]:
    # 2024-01-01 was a Monday: the grid's column headings in the active language.
    return [date_format(date(2024, 1, 1) + timedelta(days=d), "D") for d in WEEKDAYS]


def _render(
    request: HtmxHttpRequest,
    *,
    project: Project | None,
    zone: tzinfo,
    month: date,
    form: FreezeWindowForm | None,
    status: int = 200,
):
    user = request.user
    now = clock.now()
    today = now.astimezone(zone).date()
    first, last = grid_bounds(month)
    project_id = project.pk if project is not None else None
    windows = freeze_windows_overlapping(
        user=user,
        project_id=project_id,
        start=day_start(first, zone),
        end=day_start(last + timedelta(days=1), zone),
    )
    marks = release_marks_between(user=user, project_id=project_id, first=first, last=last)
    coming, past = freeze_window_rows(user=user, project_id=project_id, now=now)
    previous, following = shift_month(month, -1), shift_month(month, 1)
    context: dict[str, Any] = {
        "project": project,
        "zone": zone,
        "zone_name": str(zone),
        "month": month,
        "weeks": month_grid(month, zone=zone, today=today, windows=windows, releases=marks),
        "weekdays": _weekday_names(),
        "previous_url": _calendar_url(project, previous) if previous else "",
        "next_url": _calendar_url(project, following) if following else "",
        "today_url": _calendar_url(project),
        "month_value": month_param(month),
        "coming": coming,
        "past": past,
        "form": form,
        "calendar_url": _calendar_url(project),
    }
    if project is not None:
        context["tabs"] = tabs_for(project, "releases", user)
    return render(request, "delivery/freeze_calendar.html", context, status=status)


def _create(request: HtmxHttpRequest, *, project: Project | None, zone: tzinfo, month: date):
    """Set a window from the posted form: back to the calendar at its month, or the page
    again with the errors on their fields (status 400, nothing written)."""
    form = FreezeWindowForm(request.POST, zone=zone)
    if form.is_valid():
        data = form.cleaned_data
        try:
            window = freeze_window_create(
                actor=request.user,
                project=project,
                name=data["name"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                reason=data["reason"],
            )
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Freeze window “%(name)s” set.") % {"name": window.name})
            starts = window.starts_at.astimezone(zone).date()
            return HttpResponseRedirect(_calendar_url(project, starts.replace(day=1)))
    return _render(request, project=project, zone=zone, month=month, form=form, status=400)


def _month(request: HtmxHttpRequest, zone: tzinfo) -> date:
    raw = request.POST.get("month") if request.method == "POST" else request.GET.get("month")
    return parse_month(raw, today=clock.now().astimezone(zone).date())


def _site_refusal() -> Refused:
    return Refused(
        _("Only site administrators set and remove site-wide freeze windows."),
        next_steps=[NextStep(reverse("releases_site:freeze"), _("Back to the freeze calendar"))],
    )


@login_required
@require_http_methods(["GET", "POST"])
def freeze_site_view(request: HtmxHttpRequest):
    zone = timezone.get_current_timezone()  # the person's own (portal.middleware)
    month = _month(request, zone)
    allowed = can_manage_freeze_windows(request.user, None)
    if request.method == "POST":
        if not allowed:
            raise _site_refusal()
        return _create(request, project=None, zone=zone, month=month)
    form = FreezeWindowForm(zone=zone) if allowed else None
    return _render(request, project=None, zone=zone, month=month, form=form)


@login_required
@require_http_methods(["GET", "POST"])
def freeze_project_view(request: HtmxHttpRequest, key: str):
    project = project_get_for_user(request.user, key=key)
    zone = zoneinfo.ZoneInfo(project.timezone)
    month = _month(request, zone)
    allowed = can_manage_freeze_windows(request.user, project)
    if request.method == "POST":
        if not allowed:
            raise project_refusal(request.user, project, need=Role.OWNER)
        return _create(request, project=project, zone=zone, month=month)
    form = FreezeWindowForm(zone=zone) if allowed else None
    return _render(request, project=project, zone=zone, month=month, form=form)


def _delete(request: HtmxHttpRequest, *, project: Project | None, pk: int, zone: tzinfo):
    window = freeze_window_for(
        user=request.user, project_id=project.pk if project else None, pk=id_or_none(str(pk))
    )
    if window is None:
        raise Http404("No such freeze window")
    if not can_manage_freeze_windows(request.user, window.project):
        if window.project is None:
            raise _site_refusal()
        raise project_refusal(request.user, window.project, need=Role.OWNER)
    freeze_window_delete(window=window, actor=request.user)
    messages.success(request, _("Freeze window “%(name)s” removed.") % {"name": window.name})
    return HttpResponseRedirect(_calendar_url(project, _month(request, zone)))


@login_required
@require_POST
def freeze_site_delete_view(request: HtmxHttpRequest, pk: int):
    return _delete(request, project=None, pk=pk, zone=timezone.get_current_timezone())


@login_required
@require_POST
def freeze_project_delete_view(request: HtmxHttpRequest, key: str, pk: int):
    project = project_get_for_user(request.user, key=key)
    return _delete(request, project=project, pk=pk, zone=zoneinfo.ZoneInfo(project.timezone))
