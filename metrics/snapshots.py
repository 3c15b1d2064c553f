"""Daily delivery snapshots per project: counts aggregated in SQL, percentiles over a
bounded window. Upserted on (project, date), so running a day twice gives the same rows."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum

from portal.models import Project
from projects.calculations import mean_velocity, percentile
from projects.models import ColumnCategory, ColumnChange, Sprint, SprintState, WorkItem
from requirements.models import Requirement
from requirements.models import Status as RequirementStatus
from risks.models import ACTIVE_STATUSES, RiskHistory

from .engineering import engineering_points_record
from .models import ProjectSnapshot

WINDOW_DAYS = 30


def _day_end(project: Project, day: date) -> datetime:
    return datetime.combine(
        day + timedelta(days=1), time.min, tzinfo=zoneinfo.ZoneInfo(project.timezone)
    )


def project_snapshot_values(project: Project, day: date) -> dict[str, Any]:
    """Metrics at the end of `day` (project-local), from the column history: correct for
    past days too, so the backfill and the nightly run agree."""
    end = _day_end(project, day)
    week_start = end - timedelta(days=7)
    window_start = end - timedelta(days=WINDOW_DAYS)
    items = WorkItem.objects.filter(project=project, created_at__lt=end)
    # Cumulative flow: each item's category at the end of the day (its last column entry).
    last_category = Subquery(
        ColumnChange.objects.filter(item=OuterRef("pk"), at__lt=end)
        .order_by("-at", "-id")
        .values("to_category")[:1]
    )
    flow = dict(
        items.annotate(category=last_category)
        .values("category")
        .annotate(n=Count("id"))
        .values_list("category", "n")
    )
    done_in_window = list(
        items.filter(
            done_at__gte=window_start, done_at__lt=end, started_at__isnull=False
        ).values_list("created_at", "started_at", "done_at")
    )
    cycle = [(d - s).total_seconds() / 3600 for _c, s, d in done_in_window if d >= s]
    lead = [(d - c).total_seconds() / 3600 for c, _s, d in done_in_window if d >= c]
    week = items.aggregate(
        throughput=Count("id", filter=Q(done_at__gte=week_start, done_at__lt=end)),
        stories=Count("id", filter=Q(done_at__gte=week_start, done_at__lt=end, type="story")),
        bugs=Count("id", filter=Q(created_at__gte=week_start, type="bug")),
    )
    # On time = done before the end of the due date in the project's own time zone; the
    # window is bounded (30 days of due dates), so the comparison is made here.
    tz = zoneinfo.ZoneInfo(project.timezone)
    due_rows = list(
        items.filter(due_date__gt=day - timedelta(days=WINDOW_DAYS), due_date__lte=day).values_list(
            "due_date", "done_at"
        )
    )
    on_time = sum(
        1
        for due, done_at in due_rows
        if done_at is not None
        and done_at < datetime.combine(due + timedelta(days=1), time.min, tzinfo=tz)
        and done_at < end
    )
    return {
        "todo": flow.get(ColumnCategory.TODO, 0),
        "in_progress": flow.get(ColumnCategory.IN_PROGRESS, 0),
        "done": flow.get(ColumnCategory.DONE, 0),
        "throughput_7d": week["throughput"],
        "cycle_p50_hours": percentile(cycle, 50),
        "cycle_p85_hours": percentile(cycle, 85),
        "lead_p50_hours": percentile(lead, 50),
        "lead_p85_hours": percentile(lead, 85),
        "bugs_opened_7d": week["bugs"],
        "stories_done_7d": week["stories"],
        "due_30d": len(due_rows),
        "on_time_30d": on_time,
        "risk_exposure": _exposure(project, end),
        "velocity": _velocity(project, day),
        **_requirement_delivery(project, day, end, window_start),
    }


def _velocity(project: Project, day: date) -> float | None:
    """The forecast velocity as it stood that day: mean of the last three sprints closed by
    its end (when they were closed, not when they were planned to end)."""
    points = list(
        Sprint.objects.filter(
            project=project, state=SprintState.CLOSED, closed_at__lt=_day_end(project, day)
        )
        .order_by("-closed_at")
        .values_list("completed_points", flat=True)[:3]
    )
    return mean_velocity(list(reversed(points)))


def _requirement_delivery(
    project: Project, day: date, end: datetime, window_start: datetime
) -> dict[str, Any]:
    """Delivery cycle (triaged → done, in weeks) of the requirements done in the window,
    and how many requirements due in the last 30 days were done by their target date."""
    tz = zoneinfo.ZoneInfo(project.timezone)
    # One query for both: requirements done in the window, and those due in it.
    rows = list(
        Requirement.objects.filter(project=project)
        .filter(
            Q(done_at__gte=window_start, done_at__lt=end, triaged_at__isnull=False)
            | Q(target_date__gt=day - timedelta(days=WINDOW_DAYS), target_date__lte=day)
        )
        .values_list("triaged_at", "done_at", "target_date", "status")
    )
    done = [(t, d) for t, d, _target, _s in rows if t is not None and d and window_start <= d < end]
    weeks = [(d - t).total_seconds() / (7 * 86400) for t, d in done if d >= t]
    due = [
        (target, d)
        for _t, d, target, status in rows
        if target is not None
        and day - timedelta(days=WINDOW_DAYS) < target <= day
        and status != RequirementStatus.REJECTED
    ]
    on_time = sum(
        1
        for target, done_at in due
        if done_at is not None
        and done_at < datetime.combine(target + timedelta(days=1), time.min, tzinfo=tz)
        and done_at < end
    )
    return {
        "requirements_done_30d": len(done),
        "delivery_p50_weeks": percentile(weeks, 50),
        "delivery_p85_weeks": percentile(weeks, 85),
        "requirements_due_30d": len(due),
        "requirements_on_time_30d": on_time,
    }


def _exposure(project: Project, end: datetime) -> int:
    """Sum of scores of live risks at `end`, from each risk's last history row before it."""
    last = (
        RiskHistory.objects.filter(risk=OuterRef("risk"), at__lt=end)
        .order_by("-at", "-id")
        .values("pk")[:1]
    )
    rows = RiskHistory.objects.filter(risk__project=project, at__lt=end, pk=Subquery(last)).filter(
        status__in=ACTIVE_STATUSES
    )
    return rows.aggregate(total=Sum(F("probability") * F("impact")))["total"] or 0


@transaction.atomic
def snapshot_project_day(project: Project, day: date) -> ProjectSnapshot:
    values = project_snapshot_values(project, day)
    snapshot, _created = ProjectSnapshot.objects.update_or_create(
        project=project, date=day, defaults=values
    )
    engineering_points_record(project=project, snapshots=[snapshot])
    return snapshot


def snapshots_compute(*, day: date | None = None, projects=None) -> int:
    """Snapshot each (non-archived) project for `day` in its own time zone (default:
    the project's today). A fixed number of queries per project."""
    from portal import clock

    projects = projects if projects is not None else Project.objects.filter(archived=False)
    count = 0
    for project in projects:
        local_day = day or clock.now().astimezone(zoneinfo.ZoneInfo(project.timezone)).date()
        snapshot_project_day(project, local_day)
        count += 1
    return count


def snapshots_backfill(*, days: int, projects=None) -> int:
    from portal import clock

    projects = list(projects if projects is not None else Project.objects.filter(archived=False))
    count = 0
    for project in projects:
        today = clock.now().astimezone(zoneinfo.ZoneInfo(project.timezone)).date()
        for back in range(days - 1, -1, -1):
            snapshot_project_day(project, today - timedelta(days=back))
            count += 1
    return count
