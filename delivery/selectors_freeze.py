"""Reads for the freeze calendar (/releases/freeze/ and /projects/<key>/releases/freeze/):
the windows over a month, the list of current, coming and past windows with who may
remove each, and the releases' target dates. A fixed number of queries for any number of
windows and releases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, QuerySet

from portal.permissions import projects_visible_to

from .models import FreezeWindow, Release, ReleaseState
from .month_grid import ReleaseMark
from .permissions import can_manage_freeze_windows
from .selectors import freeze_windows_visible_to
from .selectors_portfolio import release_page_url

# The past windows listed under the calendar (most recent first); older ones are history.
PAST_WINDOWS_SHOWN = 50


@dataclass(frozen=True)
class WindowRow:
    window: FreezeWindow
    can_delete: bool


def freeze_windows_overlapping(
    *, user: Any, project_id: int | None, start: datetime, end: datetime
) -> list[FreezeWindow]:
    """The windows (the project's and site-wide ones, or with no project every visible one)
    that overlap [start, end)."""
    return list(
        freeze_windows_visible_to(user=user, project_id=project_id).filter(
            starts_at__lt=end, ends_at__gt=start
        )
    )


def _with_roles(qs: QuerySet[FreezeWindow], user: Any) -> QuerySet[FreezeWindow]:
    # The projects come with the user's role (`my_role`), so deciding who may remove each
    # window asks no query per row.
    return (
        qs.select_related(None)
        .select_related("created_by")
        .prefetch_related(Prefetch("project", queryset=projects_visible_to(user)))
    )


def freeze_window_rows(
    *, user: Any, project_id: int | None, now: datetime
) -> tuple[list[WindowRow], list[WindowRow]]:
    """(current and coming windows by start, past windows most recent first — at most
    PAST_WINDOWS_SHOWN), each with whether `user` may remove it."""
    visible = _with_roles(freeze_windows_visible_to(user=user, project_id=project_id), user)

    def rows(windows: QuerySet[FreezeWindow]) -> list[WindowRow]:
        return [
            WindowRow(window=w, can_delete=can_manage_freeze_windows(user, w.project))
            for w in windows
        ]

    coming = rows(visible.filter(ends_at__gt=now).order_by("starts_at", "id"))
    past = rows(visible.filter(ends_at__lte=now).order_by("-ends_at", "-id")[:PAST_WINDOWS_SHOWN])
    return coming, past


def freeze_window_for(*, user: Any, project_id: int | None, pk: int | None) -> FreezeWindow | None:
    """One window the user sees (on a project's page: the project's own or a site-wide
    one), or None."""
    if pk is None:
        return None
    return freeze_windows_visible_to(user=user, project_id=project_id).filter(pk=pk).first()


def release_marks_between(
    *, user: Any, project_id: int | None, first: date, last: date
) -> list[ReleaseMark]:
    """The visible releases (of the project, when given) due between `first` and `last`,
    cancelled ones left out."""
    qs = (
        Release.objects.filter(
            project__in=projects_visible_to(user).values("pk"),
            target_date__gte=first,
            target_date__lte=last,
        )
        .exclude(state=ReleaseState.CANCELLED)
        .select_related("project")
        .order_by("target_date", "project__key", "version")
    )
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    return [ReleaseMark(release=r, url=release_page_url(r.project.key, r.version)) for r in qs]
