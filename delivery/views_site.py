"""Site-wide release pages (under /releases/): the portfolio of every visible project's
releases. The freeze calendar is in views_freeze.py. Thin: selectors, then render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from portal import clock
from portal.http import HtmxHttpRequest

from .selectors_portfolio import portfolio_projects_for, release_portfolio


@login_required
def portfolio_view(request: HtmxHttpRequest):
    """Halted, in gray, due this week, planned and recently released; `?project=KEY`
    narrows to one project (a key the person cannot see is ignored)."""
    now = clock.now()
    today = timezone.localdate(now)  # the person's own time zone (portal.middleware)
    projects = portfolio_projects_for(user=request.user)
    wanted = (request.GET.get("project") or "").strip()
    selected = next((p for p in projects if p.key == wanted), None)
    portfolio = release_portfolio(user=request.user, today=today, now=now, project=selected)
    sections = [
        ("halted", portfolio.halted),
        ("gray", portfolio.gray),
        ("this_week", portfolio.this_week),
        ("planned", portfolio.planned),
        ("released", portfolio.released),
    ]
    return render(
        request,
        "delivery/portfolio.html",
        {
            "portfolio": portfolio,
            "sections": sections,
            "projects": projects,
            "selected": selected,
            "today": today,
        },
    )
