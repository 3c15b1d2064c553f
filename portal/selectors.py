"""Read queries for the site-level pages (profile, health), the activity feed and the
API's project checks."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from .models import Activity, SchedulerHeartbeat
from .permissions import projects_visible_to


def user_fresh_copy(*, user: Any) -> Any:
    """A separate copy of ``user`` from the database, for a form to validate against.

    ModelForm.is_valid() writes cleaned values onto its instance; the service must see
    the user as they were."""
    return get_user_model().objects.get(pk=user.pk)


def scheduler_heartbeat(*, name: str = "scheduler") -> SchedulerHeartbeat | None:
    """The named scheduler's last heartbeat, or None if it never ran."""
    return SchedulerHeartbeat.objects.filter(name=name).first()


def project_is_visible(*, user: Any, project_id: int) -> bool:
    """Whether the project with this id exists and the user may see it (one query)."""
    return projects_visible_to(user).filter(pk=project_id).exists()


def activity_for_user(*, user: Any, project_id: int | None = None) -> QuerySet[Activity]:
    """Activity of every project the user may see, newest first, with actor and project
    joined; none for no user (schema generation). With `project_id`, only that project's:
    the caller has checked that the user may see it."""
    qs = Activity.objects.select_related("actor", "project").order_by("-at", "-id")
    if project_id is not None:
        return qs.filter(project_id=project_id)
    if user is None:
        return qs.none()
    if user.is_staff:
        return qs
    return qs.filter(project__memberships__user=user)
