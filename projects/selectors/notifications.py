"""Notification reads that depend on who may see which project: the API's channels,
subscriptions and delivery log. (Reads of one scope the caller has already authorised,
for the settings page, are portal's: `portal.notifications.selectors`.)

Project channels are their project's: members see them, owners manage them. Site-wide
ones (no project) are staff's. Staff see everything.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from portal.notifications.models import Channel, Delivery, Subscription
from portal.permissions import projects_visible_to
from portal.roles import Role


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
