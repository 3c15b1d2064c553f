from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..validators import validate_timezone


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class Department(models.TextChoices):
    TECH = "tech", _("Technology")
    PRODUCT = "product", _("Product")
    OPERATIONS = "operations", _("Operations")
    FINANCE = "finance", _("Finance")
    LEGAL = "legal", _("Legal")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    MARKETING = "marketing", _("Marketing")


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_timezone]
    )
    department = models.CharField(
        _("department"), max_length=20, choices=Department.choices, blank=True
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """What people see: the display name, else the full name, else the login."""
        return self.display_name or self.get_full_name() or self.username

    @property
    def initials(self) -> str:
        name = self.label.strip()
        if not name:
            return "?"
        han = [c for c in name if "\u3400" <= c <= "\u9fff"]
        if han:
            # Chinese names read best as their last two characters (韩梅梅 → 梅梅, 管理员 Admin → 理员).
            return "".join(han[-2:])
        parts = name.split()
        return "".join(p[0] for p in parts[:2]).upper()


class Activity(models.Model):
    """Append-only log of every change: the stand-up, history and feeds read it.

    Rows are written by `portal.activity.activity_record` inside the service's
    transaction and never updated.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    project = models.ForeignKey(
        "portal.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    verb = models.CharField(_("verb"), max_length=60)
    target_type = models.CharField(_("target type"), max_length=60)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_label = models.CharField(_("target"), max_length=300, blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["project", "-at", "-id"], name="activity_project_at"),
            models.Index(fields=["target_type", "target_id"], name="activity_target"),
        ]

    def __str__(self) -> str:
        return f"{self.verb} {self.target_label}"


class SchedulerHeartbeat(models.Model):
    """One row per periodic job name: when it last ran. /healthz reads it."""

    name = models.CharField(max_length=100, unique=True)
    last_run_at = models.DateTimeField()

    class Meta:
        verbose_name = _("scheduler heartbeat")
        verbose_name_plural = _("scheduler heartbeats")

    def __str__(self) -> str:
        return self.name


class Event(models.Model):
    """A domain event from the DESIGN §6 catalogue (risk.escalated, sprint.closed, …).

    Written by `portal.events.emit` inside the transaction of the change that caused it,
    so an event exists exactly when its change committed. Notification delivery reads
    from here; the project's pages show them as alerts.
    """

    name = models.CharField(_("event"), max_length=60, db_index=True)
    project = models.ForeignKey(
        "portal.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
    )
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    # Emitting the same fact twice (a task run twice) must not make a second event.
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"], name="event_project_at")]

    def __str__(self) -> str:
        return self.name


# The workspace and the notification models live in their own modules; importing them
# here registers them.
from ..notifications.models import Channel, Delivery, Subscription  # noqa: E402, F401
from .workspace import (  # noqa: E402, F401
    Health,
    Membership,
    Phase,
    PhaseChange,
    Project,
    project_key_validator,
)
