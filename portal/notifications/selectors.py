"""Read queries for the notification settings page: channels, subscriptions, delivery log.

A ``project`` of ``None`` means the site-wide scope (channels managed by staff). The
caller authorises the scope; these functions only read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

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
