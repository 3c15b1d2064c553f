"""Read queries for the site-level pages (profile, health) and the API's project checks."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from .models import SchedulerHeartbeat
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
