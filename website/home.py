"""The home page: part of the site's composition, so it may read every app.

Each person lands on what they act on today: their open work items, the risks they
own, the company KPIs and this quarter's objectives, their projects and what changed.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.shortcuts import render

from metrics.selectors import kpi_list, objectives_for, with_tiles
from portal import clock
from portal.permissions import role_for
from portal.roles import Role
from portal.selectors import activity_for_user
from projects.selectors import project_list
from projects.selectors.board import open_items_assigned
from requirements.selectors import untriaged_counts
from risks.selectors import risks_owned


@login_required
def home(request: HttpRequest):
    user = request.user
    projects = list(project_list(user=user))
    visible_ids = [p.pk for p in projects]
    my_items = open_items_assigned(user=user, project_ids=visible_ids)
    my_risks = risks_owned(user=user, project_ids=visible_ids)
    # Untriaged requirements in the projects where the user may triage (owners, members).
    editable = {p.pk: p for p in projects if role_for(user, p) in (Role.OWNER, Role.MEMBER)}
    to_triage = [(editable[pk], n) for pk, n in untriaged_counts(project_ids=editable)]
    today = clock.now().date()
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    return render(
        request,
        "website/home.html",
        {
            "projects": projects,
            "activity": list(activity_for_user(user=user)[:15]),
            "my_items": my_items,
            "my_risks": my_risks,
            "to_triage": to_triage,
            "kpis": with_tiles(list(kpi_list(user=user, company_only=True)[:6])),
            "objectives": [
                o for o in objectives_for(user=user, period=quarter) if o.level != "project"
            ][:4],
            "quarter": quarter,
            "today": today,
        },
    )
