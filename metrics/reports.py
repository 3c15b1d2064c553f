"""The daily operations report (运营日报): yesterday's KPIs against target and the day
before, sprint progress, new and escalated risks, blocked work. Generated once per
project and local day; emitted as `report.daily` for the notification channels."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from kpis.models import KPI, KPIDataPoint
from portal import clock
from portal.events import emit
from portal.models import Event, Project
from projects.models import SprintState, WorkItem
from projects.selectors.board import sprint_progress

from .calculations import kpi_status
from .models import DailyReport


def report_content(project: Project, day: date) -> dict[str, Any]:
    tz = zoneinfo.ZoneInfo(project.timezone)
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = start + timedelta(days=1)
    kpis = []
    for kpi in KPI.objects.filter(project=project).order_by("name"):
        points = dict(
            KPIDataPoint.objects.filter(
                kpi=kpi, date__in=[day, day - timedelta(days=1)]
            ).values_list("date", "value")
        )
        value, before = points.get(day), points.get(day - timedelta(days=1))
        kpis.append(
            {
                "name": kpi.name,
                "code": kpi.code,
                "unit": kpi.unit,
                "currency": kpi.currency,
                "value": str(value) if value is not None else None,
                "previous": str(before) if before is not None else None,
                "target": str(kpi.target) if kpi.target is not None else None,
                "status": kpi_status(value, kpi.target, kpi.direction),
            }
        )
    sprint = project.sprints.filter(state=SprintState.ACTIVE).first()
    sprint_info = None
    if sprint is not None:
        progress = sprint_progress(sprints=[sprint])[sprint.pk]
        sprint_info = {
            "name": sprint.name,
            "points_done": progress.points_done,
            "points_total": progress.points_total,
            # Read the morning after `day`: what is left from that morning on.
            "days_left": sprint.days_left(day + timedelta(days=1)),
        }
    risk_events = [
        {
            "name": e.name,
            "key": e.payload.get("key"),
            "title": e.payload.get("title"),
            "level": e.payload.get("level"),
        }
        for e in Event.objects.filter(
            project=project,
            name__in=["risk.created", "risk.escalated", "risk.occurred", "risk.review_overdue"],
            created_at__gte=start,
            created_at__lt=end,
        ).order_by("created_at")
    ]
    blocked = [
        {"key": i.key, "title": i.title, "reason": i.blocked_reason}
        for i in WorkItem.objects.filter(project=project, blocked=True).select_related("project")[
            :20
        ]
    ]
    done_yesterday = WorkItem.objects.filter(
        project=project, done_at__gte=start, done_at__lt=end
    ).count()
    return {
        "date": day.isoformat(),
        "project": project.key,
        "kpis": kpis,
        "sprint": sprint_info,
        "risks": risk_events,
        "blocked": blocked,
        "done_items": done_yesterday,
    }


def daily_report_generate(project: Project, day: date) -> DailyReport | None:
    """Write the report for (project, day) and emit it, unless it exists already."""
    if DailyReport.objects.filter(project=project, date=day).exists():
        return None
    content = report_content(project, day)
    try:
        with transaction.atomic():
            report = DailyReport.objects.create(project=project, date=day, content=content)
            emit(
                "report.daily",
                project=project,
                payload={
                    "title": project.name,
                    "key": project.key,
                    "date": day.isoformat(),
                    "sprint": content["sprint"],
                    "kpis": [k for k in content["kpis"] if k["value"] is not None],
                    "risks": content["risks"],
                    "blocked": len(content["blocked"]),
                    "done_items": content["done_items"],
                    "url": f"/projects/{project.key}/reports/{day.isoformat()}/",
                },
                dedupe_key=f"report.daily:{project.pk}:{day.isoformat()}",
            )
    except IntegrityError:
        return None  # another worker wrote it a moment ago
    return report


def daily_reports_generate(*, now: datetime | None = None) -> int:
    """For each active project past its local report hour, yesterday's report (once)."""
    now = now or clock.now()
    made = 0
    for project in Project.objects.filter(archived=False):
        local = now.astimezone(zoneinfo.ZoneInfo(project.timezone))
        if local.hour < settings.DAILY_REPORT_HOUR:
            continue
        if daily_report_generate(project, local.date() - timedelta(days=1)) is not None:
            made += 1
    return made
