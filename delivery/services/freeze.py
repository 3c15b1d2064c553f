"""Freeze windows (封网) and the approval that lets a hotfix through one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from portal import clock
from portal.activity import activity_record
from portal.errors import ApplicationError
from portal.events import emit
from portal.models import Project
from portal.validators import validate_date_in_range

from ..models import FreezeWindow, Release
from .releases import lock_release

# Nobody plans a freeze longer than a quarter; a longer one is a typo.
MAX_FREEZE = timedelta(days=92)


def _clean_window(name: str, starts_at: datetime, ends_at: datetime) -> str:
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Name the freeze window (e.g. 双11 大促封网)."), field="name")
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ApplicationError(_("Enter a date and time."), field=field)
        validate_date_in_range(value.date())
    if ends_at <= starts_at:
        raise ApplicationError(_("A freeze window must end after it starts."), field="ends_at")
    if ends_at - starts_at > MAX_FREEZE:
        raise ApplicationError(_("A freeze window lasts at most 92 days."), field="ends_at")
    return name[:120]


@transaction.atomic
def freeze_window_create(
    *,
    actor: Any,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    project: Project | None = None,
) -> FreezeWindow:
    """A freeze window for one project, or site-wide when `project` is None."""
    window = FreezeWindow.objects.create(
        project=project,
        name=_clean_window(name, starts_at, ends_at),
        starts_at=starts_at,
        ends_at=ends_at,
        reason=(reason or "").strip()[:500],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    activity_record(
        actor=actor,
        verb="freeze.created",
        target=window,
        project=project,
        after={"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
    )
    return window


@transaction.atomic
def freeze_window_delete(*, window: FreezeWindow, actor: Any) -> None:
    activity_record(
        actor=actor,
        verb="freeze.deleted",
        target=window,
        project=window.project,
        before={"starts_at": window.starts_at.isoformat(), "ends_at": window.ends_at.isoformat()},
    )
    window.delete()


@transaction.atomic
def release_hotfix_approve(*, release: Release, actor: Any) -> Release:
    """Let this hotfix start stages inside a freeze window; the approver is kept."""
    release = lock_release(release)
    if not release.hotfix:
        raise ApplicationError(_("Only a release marked as a hotfix can be let through a freeze."))
    release.hotfix_approved_by = actor if getattr(actor, "pk", None) else None
    release.save(update_fields=["hotfix_approved_by", "updated_at"])
    activity_record(
        actor=actor,
        verb="release.updated",
        target=release,
        project=release.project,
        after={"hotfix_approved_by": getattr(actor, "label", "")},
    )
    return release


def freeze_starting_announce() -> int:
    """`freeze.starting` for every window that starts within the next day (once each)."""
    now = clock.now()
    sent = 0
    for window in FreezeWindow.objects.filter(
        starts_at__gt=now, starts_at__lte=now + timedelta(days=1)
    ).select_related("project"):
        event = emit(
            "freeze.starting",
            project=window.project,
            payload={
                "title": window.name,
                "starts_at": window.starts_at.isoformat(timespec="minutes"),
                "ends_at": window.ends_at.isoformat(timespec="minutes"),
                "reason": window.reason,
                # The calendar it shows on: the project's, or the site's for a site-wide one.
                "url": reverse("releases:freeze", args=[window.project.key])
                if window.project
                else reverse("releases_site:freeze"),
            },
            dedupe_key=f"freeze.starting:{window.pk}:{window.starts_at.isoformat()}",
        )
        sent += event is not None
    return sent
