"""Who sees and changes KPIs and OKRs. Company and department ones are the company's:
everyone signed in reads them, staff (and an objective's owner) change them. Project
ones follow the project's roles."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kpis.models import KPI
from portal.permissions import can_edit, can_view, projects_visible_to

from .models import Objective


def kpis_visible_to(user: Any) -> QuerySet[KPI]:
    if not user or not user.is_authenticated:
        return KPI.objects.none()
    if user.is_staff:
        return KPI.objects.all()
    return KPI.objects.filter(
        Q(project__isnull=True) | Q(project__in=projects_visible_to(user).values("pk"))
    )


def objectives_visible_to(user: Any) -> QuerySet[Objective]:
    if not user or not user.is_authenticated:
        return Objective.objects.none()
    if user.is_staff:
        return Objective.objects.all()
    return Objective.objects.filter(
        Q(project__isnull=True) | Q(project__in=projects_visible_to(user).values("pk"))
    )


def can_view_kpi(user: Any, kpi: KPI) -> bool:
    return kpi.project is None or can_view(user, kpi.project)


def can_edit_kpi(user: Any, kpi_or_project: Any) -> bool:
    project = kpi_or_project.project if isinstance(kpi_or_project, KPI) else kpi_or_project
    if project is None:
        return bool(user.is_staff)
    return can_edit(user, project)


def can_edit_objective(user: Any, objective: Objective) -> bool:
    if objective.project is not None:
        return can_edit(user, objective.project)
    return bool(user.is_staff or objective.owner_id == user.pk)
