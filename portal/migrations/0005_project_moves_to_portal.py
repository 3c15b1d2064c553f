"""The project, its members and its phase history move down to portal (issue #14).

Everything is project-scoped, so the project stands on the ground floor with accounts,
activity and notifications. Only Django's picture of the models changes here: the rows
stay in their tables (0006 renames them), the content types and the activity log's
targets are relabelled so permissions, admin history and activity rows follow.
"""

import django.core.validators
import django.db.models.deletion
import portal.validators
from django.conf import settings
from django.db import migrations, models


MOVED = ("project", "phasechange", "membership")


def relabel(apps, schema_editor, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Activity = apps.get_model("portal", "Activity")
    db = schema_editor.connection.alias
    for model in MOVED:
        if not ContentType.objects.using(db).filter(app_label=new, model=model).exists():
            ContentType.objects.using(db).filter(app_label=old, model=model).update(app_label=new)
        Activity.objects.using(db).filter(target_type=f"{old}.{model}").update(
            target_type=f"{new}.{model}"
        )


def forwards(apps, schema_editor):
    relabel(apps, schema_editor, "projects", "portal")


def backwards(apps, schema_editor):
    relabel(apps, schema_editor, "portal", "projects")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("portal", "0004_channel_delivery_subscription"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Project",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "key",
                            models.CharField(
                                help_text="Short code used in item keys such as MALL-42. Cannot be changed later.",
                                max_length=10,
                                unique=True,
                                validators=[
                                    django.core.validators.RegexValidator(
                                        "^[A-Z][A-Z0-9]{1,9}$",
                                        "Use 2–10 capital letters or digits, starting with a letter (e.g. MALL).",
                                        code="invalid_key",
                                    )
                                ],
                                verbose_name="key",
                            ),
                        ),
                        ("name", models.CharField(max_length=120, verbose_name="name")),
                        ("description", models.TextField(blank=True, verbose_name="description")),
                        (
                            "phase",
                            models.CharField(
                                choices=[
                                    ("discovery", "Discovery"),
                                    ("design", "Design"),
                                    ("development", "Development"),
                                    ("testing", "Testing"),
                                    ("gray_release", "Gray release"),
                                    ("launched", "Launched"),
                                    ("operating", "Operating"),
                                    ("iterating", "Iterating"),
                                ],
                                default="discovery",
                                max_length=20,
                                verbose_name="phase",
                            ),
                        ),
                        (
                            "health",
                            models.CharField(
                                choices=[
                                    ("on_track", "On track"),
                                    ("at_risk", "At risk"),
                                    ("off_track", "Off track"),
                                ],
                                default="on_track",
                                max_length=12,
                                verbose_name="health",
                            ),
                        ),
                        (
                            "start_date",
                            models.DateField(
                                blank=True,
                                null=True,
                                validators=[portal.validators.validate_date_in_range],
                                verbose_name="start date",
                            ),
                        ),
                        (
                            "target_date",
                            models.DateField(
                                blank=True,
                                null=True,
                                validators=[portal.validators.validate_date_in_range],
                                verbose_name="target date",
                            ),
                        ),
                        (
                            "budget",
                            models.DecimalField(
                                blank=True,
                                decimal_places=2,
                                max_digits=14,
                                null=True,
                                validators=[django.core.validators.MinValueValidator(0)],
                                verbose_name="budget",
                            ),
                        ),
                        (
                            "currency",
                            models.CharField(
                                default="CNY",
                                max_length=3,
                                validators=[portal.validators.validate_currency],
                                verbose_name="currency",
                            ),
                        ),
                        (
                            "timezone",
                            models.CharField(
                                default="Asia/Shanghai",
                                max_length=64,
                                validators=[portal.validators.validate_timezone],
                                verbose_name="time zone",
                            ),
                        ),
                        ("archived", models.BooleanField(default=False, verbose_name="archived")),
                        (
                            "language",
                            models.CharField(
                                blank=True,
                                choices=[("zh-hans", "简体中文"), ("en", "English")],
                                default="",
                                help_text="What its titles and descriptions are written in.",
                                max_length=8,
                                verbose_name="content language",
                            ),
                        ),
                        (
                            "sprint_min_weeks",
                            models.PositiveSmallIntegerField(
                                default=2,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(8),
                                ],
                                verbose_name="shortest sprint (weeks)",
                            ),
                        ),
                        (
                            "sprint_max_weeks",
                            models.PositiveSmallIntegerField(
                                default=4,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(8),
                                ],
                                verbose_name="longest sprint (weeks)",
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                        ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                        (
                            "owner",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="owned_projects",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="owner",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "project",
                        "db_table": "projects_project",
                        "verbose_name_plural": "projects",
                        "ordering": ["archived", "name"],
                    },
                ),
                migrations.CreateModel(
                    name="PhaseChange",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "from_phase",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("discovery", "Discovery"),
                                    ("design", "Design"),
                                    ("development", "Development"),
                                    ("testing", "Testing"),
                                    ("gray_release", "Gray release"),
                                    ("launched", "Launched"),
                                    ("operating", "Operating"),
                                    ("iterating", "Iterating"),
                                ],
                                max_length=20,
                                verbose_name="from",
                            ),
                        ),
                        (
                            "to_phase",
                            models.CharField(
                                choices=[
                                    ("discovery", "Discovery"),
                                    ("design", "Design"),
                                    ("development", "Development"),
                                    ("testing", "Testing"),
                                    ("gray_release", "Gray release"),
                                    ("launched", "Launched"),
                                    ("operating", "Operating"),
                                    ("iterating", "Iterating"),
                                ],
                                max_length=20,
                                verbose_name="to",
                            ),
                        ),
                        ("at", models.DateTimeField(verbose_name="at")),
                        ("note", models.CharField(blank=True, max_length=300, verbose_name="note")),
                        (
                            "changed_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="changed by",
                            ),
                        ),
                        (
                            "project",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="phase_changes",
                                to="portal.project",
                                verbose_name="project",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "phase change",
                        "db_table": "projects_phasechange",
                        "verbose_name_plural": "phase changes",
                        "ordering": ["at", "id"],
                    },
                ),
                migrations.CreateModel(
                    name="Membership",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "role",
                            models.CharField(
                                choices=[("viewer", "Viewer"), ("member", "Member"), ("owner", "Owner")],
                                default="member",
                                max_length=10,
                                verbose_name="role",
                            ),
                        ),
                        ("joined_at", models.DateTimeField(auto_now_add=True, verbose_name="joined at")),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="user",
                            ),
                        ),
                        (
                            "project",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to="portal.project",
                                verbose_name="project",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "membership",
                        "db_table": "projects_membership",
                        "verbose_name_plural": "memberships",
                        "ordering": ["project", "user__username"],
                    },
                ),
                migrations.AlterField(
                    model_name="activity",
                    name="project",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="activities",
                        to="portal.project",
                        verbose_name="project",
                    ),
                ),
                migrations.AlterField(
                    model_name="channel",
                    name="project",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="channels",
                        to="portal.project",
                        verbose_name="project",
                    ),
                ),
                migrations.AlterField(
                    model_name="delivery",
                    name="project",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="portal.project",
                    ),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="project",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="portal.project",
                        verbose_name="project",
                    ),
                ),
                migrations.AlterField(
                    model_name="subscription",
                    name="project",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="subscriptions",
                        to="portal.project",
                        verbose_name="project",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="project",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("target_date__isnull", True),
                            ("start_date__isnull", True),
                            ("target_date__gte", models.F("start_date")),
                            _connector="OR",
                        ),
                        name="project_dates_in_order",
                        violation_error_message="The target date cannot be before the start date.",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="project",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("budget__isnull", True), ("budget__gte", 0), _connector="OR"),
                        name="project_budget_not_negative",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="project",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("sprint_min_weeks__gte", 1),
                            ("sprint_max_weeks__lte", 8),
                            ("sprint_min_weeks__lte", models.F("sprint_max_weeks")),
                        ),
                        name="project_sprint_weeks_in_range",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="membership",
                    constraint=models.UniqueConstraint(
                        fields=("project", "user"), name="membership_unique_user"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
