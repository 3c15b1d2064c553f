"""Channels, subscriptions and the delivery outbox.

A Delivery row is written in the same transaction as the change that caused its event,
so a notification exists exactly when its change committed, and nothing is lost when
Redis, the worker or the remote end is down: the row stays pending until it is sent.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    DINGTALK = "dingtalk", _("DingTalk robot")
    FEISHU = "feishu", _("Feishu / Lark bot")
    SLACK = "slack", _("Slack incoming webhook")
    WEBHOOK = "webhook", _("Generic webhook")


class Channel(models.Model):
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=10, choices=ChannelKind.choices)
    url = models.URLField(_("webhook URL"), max_length=500)
    # Write-only: never rendered, returned by the API or logged.
    secret = models.CharField(_("secret"), max_length=200, blank=True)
    keyword = models.CharField(
        _("keyword"),
        max_length=40,
        blank=True,
        help_text=_("DingTalk: a keyword the robot requires in every message."),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        default="zh-hans",
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    # Null: a site-wide channel, managed by staff.
    project = models.ForeignKey(
        "portal.Project",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="channels",
        verbose_name=_("project"),
    )
    # Set when the remote end refused us for good (bad signature, channel gone): an admin must look.
    flagged = models.BooleanField(_("needs attention"), default=False)
    flag_reason = models.CharField(_("problem"), max_length=300, blank=True)
    paused_until = models.DateTimeField(_("paused until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    """Which events of a project (or of every project, when site-wide) go to a channel."""

    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="subscriptions", verbose_name=_("channel")
    )
    project = models.ForeignKey(
        "portal.Project",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="subscriptions",
        verbose_name=_("project"),
    )
    events = models.JSONField(
        _("events"), default=list, help_text=_('Event names, or "*" for all.')
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "project"], name="subscription_one_per_channel_project"
            ),
            models.UniqueConstraint(
                fields=["channel"],
                condition=Q(project__isnull=True),
                name="subscription_one_sitewide_per_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} ← {', '.join(self.events)}"

    def wants(self, event_name: str) -> bool:
        return "*" in self.events or event_name in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    DEAD = "dead", _("Dead")


class Delivery(models.Model):
    """The outbox: one message owed to one channel."""

    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("channel")
    )
    event = models.ForeignKey(
        "portal.Event", on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    event_name = models.CharField(_("event"), max_length=60)
    project = models.ForeignKey(
        "portal.Project", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField(_("payload"), default=dict)
    # One delivery per (event, channel), however often the fan-out runs.
    dedupe_key = models.CharField(max_length=120, unique=True)
    status = models.CharField(
        _("status"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), db_index=True)
    # Deliveries sent together (a digest) share a batch; the batch id is the message's
    # msgUuid, so a batch re-sent after a crash is not shown twice.
    batch = models.UUIDField(null=True, blank=True, db_index=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    response_code = models.IntegerField(_("response code"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    reserved_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["channel", "status"], name="delivery_channel_status"),
            models.Index(fields=["channel", "reserved_at"], name="delivery_channel_reserved"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} → {self.channel_id} ({self.status})"

    @staticmethod
    def new_batch() -> uuid.UUID:
        return uuid.uuid4()
