"""Dashboards: they read snapshots and facts; they never recompute history per request."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from delivery.models import ReleaseState
from delivery.selectors_portfolio import releases_in_flight
from kpis.models import Source
from portal import clock, formatting
from portal.models import Department
from portal.permissions import project_get_for_user
from portal.tabs import tabs_for
from portal.validators import parse_date_in_range
from projects.selectors.board import (
    active_sprint,
    burndown_points,
    sprint_burndown,
    velocity_history,
)

from .calculations import kpi_status, valid_period
from .currency import Rates, to_reporting_currency
from .engineering import BY_CODE, days_figure, engineering_figure
from .models import DailyReport, ProjectSnapshot
from .selectors import (
    daily_report_dates,
    dashboard_snapshots,
    done_items_since,
    kpi_list,
    latest_daily_report,
    objectives_for,
    portfolio_projects,
    top_risks,
    with_tiles,
)


@dataclass
class FigureTile:
    """One figure at the top of the project dashboard. `code` is the computed KPI it is
    (metrics.engineering): the tile and the KPI show the same number, from one definition."""

    code: str
    label: str
    value: str
    note: str = ""
    status: str | None = None
    target: str = ""
    kpi: Any = None


# Computed KPIs shown as tiles: the KPI strip under the tiles leaves them out.
TILE_KPIS = frozenset(
    ["throughput", "cycle_time_p50", "cycle_time_p85", "lead_time_p50", "bug_rate", "on_time_rate"]
)


def _figure_tiles(latest: ProjectSnapshot | None, kpis: list) -> list[FigureTile]:
    tracked = {k.code: k for k in kpis if k.code in TILE_KPIS}

    def shown(code: str) -> str:
        return formatting.format_quantity(engineering_figure(code, latest), BY_CODE[code].unit)

    def graded(tile: FigureTile) -> FigureTile:
        kpi = tracked.get(tile.code)
        if kpi is not None:
            tile.kpi = kpi
            tile.status = kpi_status(
                engineering_figure(tile.code, latest), kpi.target, kpi.direction
            )
            if kpi.target is not None:
                tile.target = formatting.format_quantity(kpi.target, kpi.unit)
        return tile

    lead_p85 = days_figure(latest.lead_p85_hours) if latest else None
    tiles = [
        FigureTile("throughput", _("Throughput, last 7 days"), shown("throughput")),
        FigureTile(
            "cycle_time_p50",
            _("Cycle time P50 / P85"),
            f"{shown('cycle_time_p50')} / {shown('cycle_time_p85')}",
        ),
        FigureTile(
            "lead_time_p50",
            _("Lead time P50 / P85"),
            f"{shown('lead_time_p50')} / {formatting.format_duration(lead_p85)}",
        ),
        FigureTile(
            "bug_rate",
            _("Bug rate, last 7 days"),
            shown("bug_rate"),
            _("%(bugs)s bugs opened ÷ %(stories)s stories done")
            % {"bugs": latest.bugs_opened_7d, "stories": latest.stories_done_7d}
            if latest
            else "",
        ),
        FigureTile(
            "on_time_rate",
            _("On-time rate, last 30 days"),
            shown("on_time_rate"),
            _("%(done)s of %(due)s work items and requirements due were done on time")
            % {"done": latest.on_time_done, "due": latest.on_time_due}
            if latest and latest.on_time_due
            else "",
        ),
    ]
    return [graded(tile) for tile in tiles]


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@login_required
def project_dashboard_view(request, key: str):
    project = project_get_for_user(request.user, key=key)
    zone = zoneinfo.ZoneInfo(project.timezone)
    snapshots = dashboard_snapshots(project=project, days=90)
    done = done_items_since(project=project, since=clock.now() - timedelta(days=90))
    active = active_sprint(project=project)
    burn = sprint_burndown(sprint=active) if active else []
    history = velocity_history(project=project)
    latest = snapshots[-1] if snapshots else None
    kpis = with_tiles(list(kpi_list(user=request.user, project=project)))
    weekly = snapshots[::-1][::7][::-1]  # one snapshot per week, ending today
    charts = {
        "cfd": {
            "days": [s.date.isoformat() for s in snapshots],
            "todo": [s.todo for s in snapshots],
            "in_progress": [s.in_progress for s in snapshots],
            "done": [s.done for s in snapshots],
        },
        "scatter": [
            {
                "x": d.astimezone(zone).date().isoformat(),
                "y": round((d - s).total_seconds() / 86400, 2),
                "key": f"{project.key}-{n}",
                "title": t,
            }
            for n, t, s, d in done
            if s is not None and d is not None and d >= s
        ],
        "p50": round(latest.cycle_p50_hours / 24, 2) if latest and latest.cycle_p50_hours else None,
        "p85": round(latest.cycle_p85_hours / 24, 2) if latest and latest.cycle_p85_hours else None,
        "throughput": {
            "weeks": [s.date.isoformat() for s in weekly],
            "done": [s.throughput_7d for s in weekly],
        },
        "bug_rate": {
            "weeks": [s.date.isoformat() for s in weekly],
            "rate": [_number(engineering_figure("bug_rate", s)) for s in weekly],
        },
        "velocity": {
            "names": [s.name for s in history],
            "committed": [s.committed_points or 0 for s in history],
            "completed": [s.completed_points or 0 for s in history],
        },
    }
    return render(
        request,
        "metrics/project_dashboard.html",
        {
            "project": project,
            "tabs": tabs_for(project, "dashboard", request.user),
            "figures": _figure_tiles(latest, kpis),
            "kpis": [k for k in kpis if not (k.source == Source.COMPUTED and k.code in TILE_KPIS)],
            "latest": latest,
            "active": active,
            "charts": charts,
            "burndown_data": burndown_points(burn),
            "report": latest_daily_report(project=project),
        },
    )


@login_required
def daily_report_view(request, key: str, day: str):
    project = project_get_for_user(request.user, key=key)
    day_value = parse_date_in_range(day)
    if day_value is None:
        raise Http404("No such report")
    report = get_object_or_404(DailyReport, project=project, date=day_value)
    reports = daily_report_dates(project=project)
    return render(
        request,
        "metrics/daily_report.html",
        {
            "project": project,
            "report": report,
            "c": report.content,
            "reports": reports,
            "tabs": tabs_for(project, "dashboard", request.user),
        },
    )


@login_required
def executive_dashboard_view(request):
    """The portfolio, OKRs, KPIs and top risks of everything the person may see."""
    today = timezone.localdate(clock.now())  # the person's own time zone
    period = (
        valid_period(request.GET.get("period")) or f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    )
    department = request.GET.get("department") or ""
    rates = Rates()
    currency = request.GET.get("currency") or "CNY"
    if currency not in rates.currencies():
        currency = "CNY"
    projects = portfolio_projects(user=request.user)
    objectives = [
        o
        for o in objectives_for(user=request.user, period=period)
        if not department or o.department == department
    ]
    # The projects are not narrowed by department (only the objectives are), so neither
    # are their releases.
    in_flight = releases_in_flight(project_ids=[p.pk for p in projects])
    kpis = to_reporting_currency(
        with_tiles(list(kpi_list(user=request.user, company_only=True))),
        currency,
        today,
        rates=rates,
    )
    return render(
        request,
        "metrics/executive_dashboard.html",
        {
            "projects": projects,
            "objectives": objectives,
            "kpis": kpis,
            "currency": currency,
            "sparklines": {k.pk: k.sparkline for k in kpis},
            "currencies": rates.currencies(),
            "top_risks": top_risks(project_ids=[p.pk for p in projects]),
            "releases_halted": [r for r in in_flight if r.state == ReleaseState.HALTED],
            "releases_gray": [r for r in in_flight if r.state == ReleaseState.GRAY],
            "period": period,
            "periods": [
                f"{y}-Q{q}"
                for y in (today.year - 1, today.year, today.year + 1)
                for q in range(1, 5)
            ],
            "department": department,
            "departments": Department.choices,
            "today": today,
        },
    )
