"""REST endpoints for notification channels, subscriptions and the delivery log.

Project channels belong to their project's owners (members read, without secrets);
site-wide channels to staff. Everything else is a 404.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import django_filters
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from portal.api.fields import StrictBooleanField, StrictCharField, StrictModelSerializer
from portal.api.filters import PortalFilterSet
from portal.api.params import project_param
from portal.api.permissions import ManagesNotifications, with_defaults
from portal.permissions import project_get_for_user

from . import services as notify
from .models import Channel, Delivery, Subscription
from .selectors import (
    channel_is_visible,
    channels_visible_to,
    deliveries_visible_to,
    project_ids_managing_notifications,
    subscriptions_visible_to,
)


class ChannelSerializer(StrictModelSerializer):
    # Write-only: set it, replace it, never read it back.
    secret = StrictCharField(write_only=True, required=False, allow_blank=True, max_length=200)
    has_secret = serializers.SerializerMethodField()

    class Meta:
        model = Channel
        fields = [
            "id",
            "name",
            "kind",
            "url",
            "secret",
            "has_secret",
            "keyword",
            "language",
            "enabled",
            "project",
            "flagged",
            "flag_reason",
            "paused_until",
            "created_at",
        ]
        read_only_fields = ["id", "flagged", "flag_reason", "paused_until", "created_at"]

    def get_has_secret(self, channel) -> bool:
        return bool(channel.secret)

    def to_representation(self, channel):
        data = super().to_representation(channel)
        managed = self.context.get("managed_project_ids")
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if managed is None:  # a serializer used outside the viewset
            managed = project_ids_managing_notifications(user=user) if user else set()
        manages = bool(user and user.is_staff) or channel.project_id in managed
        if not manages:
            # Webhook URLs carry credentials (DingTalk access_token, Slack's path): only
            # the people who manage the channel see them whole.
            parts = urlsplit(channel.url)
            data["url"] = f"{parts.scheme}://{parts.hostname}/…"
        return data


class SubscriptionSerializer(StrictModelSerializer):
    events = serializers.ListField(child=StrictCharField(max_length=60), allow_empty=False)

    class Meta:
        model = Subscription
        fields = ["id", "channel", "project", "events", "created_at"]
        read_only_fields = ["id", "created_at"]


class DeliverySerializer(StrictModelSerializer):
    channel_name = StrictCharField(source="channel.name", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "channel",
            "channel_name",
            "event_name",
            "project",
            "payload",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "response_code",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields


def _project_from(request, raw):
    if raw in (None, ""):
        return None
    try:
        return project_get_for_user(request.user, pk=int(raw))
    except (TypeError, ValueError):
        raise ValidationError({"project": [_("A project id is a whole number.")]}) from None


class ChannelViewSet(viewsets.ModelViewSet):
    """Notification channels (DingTalk, Feishu, Slack, webhook). `secret` is write-only."""

    ordering_fields = ["name", "kind", "created_at", "id"]

    serializer_class = ChannelSerializer
    filterset_fields = ["project", "kind", "enabled", "flagged"]
    permission_classes = with_defaults(ManagesNotifications)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return channels_visible_to(user=None)
        project_param(self.request)
        return channels_visible_to(user=self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        if user.is_authenticated and not getattr(self, "swagger_fake_view", False):
            # One query for the whole page: which projects' channels this person manages.
            context["managed_project_ids"] = project_ids_managing_notifications(user=user)
        return context

    def create(self, request, *args, **kwargs):
        project = _project_from(
            request, request.data.get("project") if hasattr(request.data, "get") else None
        )
        self.check_object_permissions(request, project)  # None: a site-wide channel
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "project"}
        channel = notify.channel_create(actor=request.user, project=project, **data)
        return Response(self.get_serializer(channel).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        channel = serializer.instance
        changes = {k: v for k, v in serializer.validated_data.items() if k != "project"}
        if (
            "project" in serializer.validated_data
            and serializer.validated_data["project"] != channel.project
        ):
            raise ValidationError({"project": [_("A channel cannot move to another project.")]})
        serializer.instance = notify.channel_update(
            channel=channel, actor=self.request.user, **changes
        )

    def perform_destroy(self, instance):
        notify.channel_delete(channel=instance, actor=self.request.user)

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "ChannelTestResult",
            {
                "ok": StrictBooleanField(),
                "code": serializers.IntegerField(allow_null=True),
                "error": StrictCharField(),
            },
        ),
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a test message now and report what the remote end answered."""
        channel = self.get_object()
        outcome = notify.channel_send_test(channel=channel, actor=request.user)
        return Response(
            {"ok": outcome.kind == "sent", "code": outcome.code, "error": outcome.error}
        )


class SubscriptionViewSet(viewsets.ModelViewSet):
    """Which events go to which channel: `events` is a list of names, `"*"` for all."""

    ordering_fields = ["created_at", "id"]

    serializer_class = SubscriptionSerializer
    filterset_fields = ["project", "channel"]
    permission_classes = with_defaults(ManagesNotifications)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return subscriptions_visible_to(user=None)
        project_param(self.request)
        return subscriptions_visible_to(user=self.request.user)

    def _save(self, serializer, instance=None):
        # One transaction: a refused update must not have removed the old subscription.
        with transaction.atomic():
            return self._save_locked(serializer, instance)

    def _save_locked(self, serializer, instance=None):
        data = serializer.validated_data
        channel = data.get("channel") or instance.channel
        if not channel_is_visible(user=self.request.user, channel_id=channel.pk):
            raise ValidationError({"channel": [_("No such channel.")]})
        project = data.get("project", instance.project if instance else None)
        if project is not None:
            project = project_get_for_user(self.request.user, pk=project.pk)
        self.check_object_permissions(self.request, project)
        if instance is not None and (channel != instance.channel or project != instance.project):
            notify.subscription_delete(subscription=instance, actor=self.request.user)
        return notify.subscription_save(
            channel=channel,
            project=project,
            events=data.get("events", getattr(instance, "events", [])),
            actor=self.request.user,
        )

    def create(self, request, *args, **kwargs):
        project = _project_from(
            request, request.data.get("project") if hasattr(request.data, "get") else None
        )
        self.check_object_permissions(request, project)  # None: a site-wide subscription
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = self._save(serializer)
        return Response(self.get_serializer(subscription).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        notify.subscription_delete(subscription=instance, actor=self.request.user)


class DeliveryFilter(PortalFilterSet):
    event = django_filters.CharFilter(field_name="event_name")

    class Meta:
        model = Delivery
        fields = ["project", "channel", "status"]


class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """The delivery log (newest first). `retry` puts a failed or dead delivery back in line."""

    ordering_fields = ["created_at", "sent_at", "next_attempt_at", "status", "attempts", "id"]

    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    permission_classes = with_defaults(ManagesNotifications)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return deliveries_visible_to(user=None)
        project_param(self.request)
        return deliveries_visible_to(user=self.request.user)

    @extend_schema(request=None, responses=DeliverySerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        delivery = self.get_object()
        delivery = notify.delivery_retry(delivery=delivery, actor=request.user)
        return Response(DeliverySerializer(delivery).data)
