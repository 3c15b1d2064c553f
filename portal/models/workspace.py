"""The workspace: projects, their members and their lifecycle.

Everything in the portal is project-scoped, so the project stands on the ground floor
with accounts, activity and notifications (issue #14); the apps above build on it.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ..roles import Role
from ..validators import validate_currency, validate_date_in_range, validate_timezone

project_key_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,9}$",
    _("Use 2–10 capital letters or digits, starting with a letter (e.g. MALL)."),
    code="invalid_key",
)


class Phase(models.TextChoices):
    DISCOVERY = "discovery", _("Discovery")
    DESIGN = "design", _("Design")
    DEVELOPMENT = "development", _("Development")
    TESTING = "testing", _("Testing")
    GRAY_RELEASE = "gray_release", _("Gray release")
    LAUNCHED = "launched", _("Launched")
    OPERATING = "operating", _("Operating")
    ITERATING = "iterating", _("Iterating")


class Health(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    OFF_TRACK = "off_track", _("Off track")


class Project(models.Model):
    key = models.CharField(
        _("key"),
        max_length=10,
        unique=True,
        validators=[project_key_validator],
        help_text=_("Short code used in item keys such as MALL-42. Cannot be changed later."),
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_projects",
    )
    phase = models.CharField(
        _("phase"), max_length=20, choices=Phase.choices, default=Phase.DISCOVERY
    )
    health = models.CharField(
        _("health"), max_length=12, choices=Health.choices, default=Health.ON_TRACK
    )
    start_date = models.DateField(
        _("start date"), null=True, blank=True, validators=[validate_date_in_range]
    )
    target_date = models.DateField(
        _("target date"), null=True, blank=True, validators=[validate_date_in_range]
    )
    budget = models.DecimalField(
        _("budget"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(
        _("currency"), max_length=3, default="CNY", validators=[validate_currency]
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_timezone]
    )
    archived = models.BooleanField(_("archived"), default=False)
    # The language the project's own texts (titles, descriptions, column names) are written
    # in: a page in another language says so with a badge. Blank: not said.
    language = models.CharField(
        _("content language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        help_text=_("What its titles and descriptions are written in."),
    )
    sprint_min_weeks = models.PositiveSmallIntegerField(
        _("shortest sprint (weeks)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(8)],
    )
    sprint_max_weeks = models.PositiveSmallIntegerField(
        _("longest sprint (weeks)"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(8)],
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["archived", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(target_date__gte=F("start_date")),
                name="project_dates_in_order",
                violation_error_message=_("The target date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0),
                name="project_budget_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(sprint_min_weeks__gte=1)
                & Q(sprint_max_weeks__lte=8)
                & Q(sprint_min_weeks__lte=F("sprint_max_weeks")),
                name="project_sprint_weeks_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} · {self.name}"

    def today(self):
        """The calendar date now in the project's own time zone (review dates, reports)."""
        import zoneinfo

        from portal import clock

        return clock.now().astimezone(zoneinfo.ZoneInfo(self.timezone)).date()

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.start_date and self.target_date and self.target_date < self.start_date:
            raise ValidationError(
                {"target_date": _("The target date cannot be before the start date.")}
            )
        if (self.sprint_min_weeks or 0) > (self.sprint_max_weeks or 0):
            raise ValidationError(
                {"sprint_max_weeks": _("The longest sprint cannot be shorter than the shortest.")}
            )


class PhaseChange(models.Model):
    """The project's lifecycle history: one row per phase entered."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="phase_changes", verbose_name=_("project")
    )
    from_phase = models.CharField(_("from"), max_length=20, choices=Phase.choices, blank=True)
    to_phase = models.CharField(_("to"), max_length=20, choices=Phase.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("changed by"),
    )
    at = models.DateTimeField(_("at"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("phase change")
        verbose_name_plural = _("phase changes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.project.key}: {self.from_phase} → {self.to_phase}"


class Membership(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("project")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["project", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.project.key} ({self.role})"
