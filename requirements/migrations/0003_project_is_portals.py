"""Requirements and backlog views point at the project in its new home, portal (issue #14)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0005_project_moves_to_portal"),
        ("requirements", "0002_bounded_dates_and_reach"),
    ]
    # The moved model leaves the projects app's state only after every relation to it
    # points at its new home; declared here so projects' migrations name no app above them.
    run_before = [("projects", "0009_moved_models_leave_projects")]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table stays as it is: only where Django looks for the model changes.
            state_operations=[
                migrations.AlterField(
                    model_name="backlogview",
                    name="project",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="backlog_views",
                        to="portal.project",
                    ),
                ),
                migrations.AlterField(
                    model_name="requirement",
                    name="project",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="requirements",
                        to="portal.project",
                        verbose_name="project",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
