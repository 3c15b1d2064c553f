"""Read queries for the risk register. Constant query counts, whatever the number of risks."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from portal import clock
from portal.models import Event, Project
from portal.permissions import projects_visible_to
from projects.models import WorkItem
from requirements.models import Requirement

from .models import ACTIVE_STATUSES, Risk, RiskHistory, RiskReview

# The outbox events the register's "recent events" panel lists.
RISK_EVENTS = ["risk.created", "risk.escalated", "risk.review_overdue", "risk.occurred"]

SORTS = {
    "score": ("-score", "number"),
    "-score": ("score", "number"),
    "key": ("number",),
    "-key": ("-number",),
    "review": ("next_review_date", "number"),
    "-review": ("-next_review_date", "number"),
    "status": ("status", "-score"),
    "owner": ("owner__username", "-score"),
    "category": ("category", "-score"),
    "updated": ("-updated_at",),
}


def risk_register(
    *, project: Project, filters: dict[str, Any] | None = None, today: date | None = None
) -> QuerySet[Risk]:
    """The project's risks, filtered and sorted as the register and its exports show them."""
    filters = filters or {}
    today = today or project.today()
    qs = Risk.objects.filter(project=project).select_related("owner", "project")
    for field in ("level", "category", "status", "regime", "probability", "impact"):
        value = filters.get(field)
        if value not in (None, "", []):
            if isinstance(value, (list, tuple)):
                qs = qs.filter(**{f"{field}__in": value})
            else:
                qs = qs.filter(**{field: value})
    if filters.get("owner"):
        qs = qs.filter(owner=filters["owner"])
    if filters.get("overdue"):
        qs = qs.filter(status__in=ACTIVE_STATUSES, next_review_date__lt=today)
    if filters.get("active"):
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    text = (filters.get("q") or "").strip()
    if text:
        qs = risks_matching(qs, text=text)
    return qs.order_by(*SORTS.get(filters.get("sort") or "score", SORTS["score"]))


def risks_matching(qs: QuerySet[Risk], *, text: str) -> QuerySet[Risk]:
    """The risks of `qs` whose title or description contains `text` (any case)."""
    return qs.filter(Q(title__icontains=text) | Q(description__icontains=text))


def risks_by_overdue(qs: QuerySet[Risk], *, overdue: bool) -> QuerySet[Risk]:
    """The risks of `qs` whose review is overdue (`overdue`), or those whose review is not.

    Overdue: live (open, mitigating, accepted) and due before today, each project's own
    local today, as on every row's `overdue` field: one condition per time zone among the
    projects in play (one query to find the zones)."""
    now = clock.now()
    zones = set(qs.values_list("project__timezone", flat=True).distinct())
    if not zones:
        return qs.none() if overdue else qs
    past_review = Q()
    for zone in zones:
        today = now.astimezone(zoneinfo.ZoneInfo(zone)).date()
        past_review |= Q(project__timezone=zone, next_review_date__lt=today)
    condition = Q(status__in=ACTIVE_STATUSES) & past_review
    return qs.filter(condition) if overdue else qs.exclude(condition)


def risks_visible_to(*, user: Any) -> QuerySet[Risk]:
    """The risks of every project the user may see, with owner and project joined and
    the ids of their linked work items and requirements prefetched (3 queries)."""
    return (
        Risk.objects.filter(project__in=projects_visible_to(user).values("pk"))
        .select_related("owner", "project")
        .prefetch_related(
            Prefetch("work_items", queryset=WorkItem.objects.only("id")),
            Prefetch("requirements", queryset=Requirement.objects.only("id")),
        )
    )


def risk_heatmap(*, project: Project, active_only: bool = True) -> list[list[int]]:
    """5×5 counts, rows = probability 5→1 (top to bottom), columns = impact 1→5."""
    qs = Risk.objects.filter(project=project)
    if active_only:
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    counts = {
        (row["probability"], row["impact"]): row["n"]
        for row in qs.values("probability", "impact").annotate(n=Count("id"))
    }
    return [[counts.get((p, i), 0) for i in range(1, 6)] for p in range(5, 0, -1)]


def risk_counts_by_level(*, project: Project) -> dict[str, int]:
    rows = (
        Risk.objects.filter(project=project, status__in=ACTIVE_STATUSES)
        .values("level")
        .annotate(n=Count("id"))
    )
    return {row["level"]: row["n"] for row in rows}


def risk_exposure_trend(*, project: Project, days: int = 90) -> list[tuple[date, int]]:
    """Open exposure (sum of scores of open, mitigating and accepted risks) at the end of
    each of the last `days` project-local days, replayed from the risk history (one query)."""
    tz = zoneinfo.ZoneInfo(project.timezone)
    today = project.today()
    first = today - timedelta(days=days - 1)
    rows = (
        RiskHistory.objects.filter(risk__project=project)
        .order_by("at", "id")
        .values_list("risk_id", "at", "probability", "impact", "status")
    )
    state: dict[int, tuple[int, str]] = {}
    series: list[tuple[date, int]] = []
    rows_iter = iter(rows)
    pending = next(rows_iter, None)
    day = first
    # Everything before the first day is folded into the starting state.
    while day <= today:
        end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
        while pending is not None and pending[1] < end:
            risk_id, _at, probability, impact, status = pending
            state[risk_id] = (probability * impact, status)
            pending = next(rows_iter, None)
        exposure = sum(score for score, status in state.values() if status in ACTIVE_STATUSES)
        series.append((day, exposure))
        day += timedelta(days=1)
    return series


def work_by_key(*, project: Project, key: str) -> Any:
    """A work item ("MALL-42" or "42") or requirement ("MALL-R3" or "R3") of this project,
    or None: what a risk can be linked to."""
    text = (key or "").strip().upper()
    prefix = f"{project.key}-"
    if text.startswith(prefix):
        text = text[len(prefix) :]
    if text.startswith("R") and text[1:].isdigit():
        return project.requirements.filter(number=int(text[1:])).select_related("project").first()
    if text.isdigit():
        return (
            WorkItem.objects.filter(project=project, number=int(text))
            .select_related("project")
            .first()
        )
    return None


def risks_owned(*, user: Any, project_ids: list[int], limit: int = 8) -> list[Risk]:
    """The live risks a person owns in these projects, highest score first."""
    return list(
        Risk.objects.filter(owner=user, project_id__in=project_ids, status__in=ACTIVE_STATUSES)
        .select_related("project")
        .order_by("-score", "next_review_date")[:limit]
    )


def project_risks(*, project: Project) -> QuerySet[Risk]:
    """The project's risks with owner, project and author joined: the queryset a view
    picks one risk from by number (after authorising the project)."""
    return Risk.objects.select_related("owner", "project", "created_by").filter(project=project)


def risk_reloaded(*, risk: Risk) -> Risk:
    """A fresh copy of `risk` from the database, independent of the instance passed (a form
    bound to it cannot change the caller's copy before the service compares them)."""
    return Risk.objects.get(pk=risk.pk)


def risk_register_row(*, risk: Risk) -> Risk:
    """`risk` as stored now, with owner and project joined: a register row re-rendered
    after a refused inline edit shows the stored values, not the rejected ones."""
    return Risk.objects.select_related("owner", "project").get(pk=risk.pk)


def risk_events_recent(*, project: Project, limit: int = 8) -> list[Event]:
    """The project's latest risk events (`RISK_EVENTS`), newest first (one query)."""
    return list(
        Event.objects.filter(project=project, name__in=RISK_EVENTS).order_by("-created_at")[:limit]
    )


def risk_change_log(*, risk: Risk) -> QuerySet[RiskHistory]:
    """The risk's recorded changes with their actor, oldest first (to be paginated)."""
    return risk.history.select_related("actor").order_by("at", "id")


def risk_history_for(*, risk: Risk) -> list[RiskHistory]:
    """The risk's recorded changes with their actor, newest first (one query)."""
    return list(risk_change_log(risk=risk).reverse())


def risk_review_log(*, risk: Risk) -> QuerySet[RiskReview]:
    """The risk's reviews with their reviewer, newest first (to be paginated)."""
    return risk.reviews.select_related("reviewer")


def risk_reviews_for(*, risk: Risk) -> list[RiskReview]:
    """The risk's reviews with their reviewer, newest first (one query)."""
    return list(risk_review_log(risk=risk))


def risk_linked_work_items(*, risk: Risk) -> list[WorkItem]:
    """The work items linked to the risk, with their column, by number (one query)."""
    return list(risk.work_items.select_related("column").order_by("number"))


def risk_linked_requirements(*, risk: Risk) -> list[Requirement]:
    """The requirements linked to the risk, by number (one query)."""
    return list(risk.requirements.order_by("number"))
