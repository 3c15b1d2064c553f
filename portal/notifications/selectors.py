"""Read queries for notification channels, subscriptions and the delivery log.

The settings page's reads take one scope the caller has already authorised: a
``project``, or ``None`` for the site-wide scope (channels managed by staff); these
functions only read it.

The API's reads (`*_visible_to`) depend on who may see which project: project channels
are their project's (members see them, owners manage them), site-wide ones (no project)
are staff's, and staff see everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from portal.permissions import projects_visible_to
from portal.roles import Role

from .models import Channel, Delivery, Subscription


def channel_list(*, project: Any) -> QuerySet[Channel]:
    """The scope's own channels (site-wide ones when ``project`` is None), by name."""
    return Channel.objects.filter(project=project).order_by("name", "id")


def channel_fresh_copy(*, channel: Channel) -> Channel:
    """A separate copy of ``channel`` for a form to validate against.

    ModelForm.is_valid() writes cleaned values onto its instance; the service must see
    the channel as it was."""
    return Channel.objects.get(pk=channel.pk)


def subscriptions_by_channel(
    *, channels: QuerySet[Channel], project: Any
) -> dict[int, Subscription]:
    """The scope's subscriptions on ``channels``, keyed by channel id."""
    return {
        s.channel_id: s for s in Subscription.objects.filter(channel__in=channels, project=project)
    }


def shared_channel_list(*, project: Any) -> QuerySet[Channel]:
    """The enabled site-wide channels a project page shows read-only; none for the site scope."""
    if project is None:
        return Channel.objects.none()
    return Channel.objects.filter(project__isnull=True, enabled=True)


def delivery_scope(*, project: Any) -> QuerySet[Delivery]:
    """Deliveries of the scope: the project's, or those of site-wide channels."""
    if project is not None:
        return Delivery.objects.filter(project=project)
    return Delivery.objects.filter(channel__project__isnull=True)


def delivery_log(*, project: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Delivery]:
    """The scope's delivery log, newest first, narrowed by status, event and channel."""
    deliveries = (
        delivery_scope(project=project).select_related("channel").order_by("-created_at", "-id")
    )
    filters = filters or {}
    if filters.get("status"):
        deliveries = deliveries.filter(status=filters["status"])
    if filters.get("event"):
        deliveries = deliveries.filter(event_name=filters["event"])
    if filters.get("channel"):
        deliveries = deliveries.filter(channel_id=filters["channel"])
    return deliveries


def project_ids_managing_notifications(*, user: Any) -> set[int]:
    """The ids of the projects whose notification settings the user manages: those they
    own, every project for staff (one query)."""
    projects = projects_visible_to(user)
    if not user.is_staff:
        projects = projects.filter(memberships__user=user, memberships__role=Role.OWNER)
    return set(projects.values_list("pk", flat=True))


def channels_visible_to(*, user: Any) -> QuerySet[Channel]:
    """The channels of the projects the user may see (every channel for staff), by name,
    with the project joined. None for no user (schema generation)."""
    if user is None:
        return Channel.objects.none()
    if user.is_staff:
        channels = Channel.objects.all()
    else:
        channels = Channel.objects.filter(project__in=projects_visible_to(user).values("pk"))
    return channels.select_related("project").order_by("name", "id")


def channel_is_visible(*, user: Any, channel_id: int) -> bool:
    """Whether the channel exists and the user may see it (one query)."""
    return channels_visible_to(user=user).filter(pk=channel_id).exists()


def subscriptions_visible_to(*, user: Any) -> QuerySet[Subscription]:
    """The subscriptions of the projects the user may see (every one for staff), with
    channel and project joined. None for no user (schema generation)."""
    if user is None:
        return Subscription.objects.none()
    subscriptions = Subscription.objects.select_related("channel", "project")
    if user.is_staff:
        return subscriptions
    return subscriptions.filter(project__in=projects_visible_to(user).values("pk"))


def deliveries_visible_to(*, user: Any) -> QuerySet[Delivery]:
    """The delivery log, newest first, with the channel joined: a member sees the
    deliveries of their projects' events, whichever channel carried them; staff see all.
    None for no user (schema generation)."""
    if user is None:
        return Delivery.objects.none()
    deliveries = Delivery.objects.select_related("channel").order_by("-created_at", "-id")
    if user.is_staff:
        return deliveries
    return deliveries.filter(project__in=projects_visible_to(user).values("pk"))
