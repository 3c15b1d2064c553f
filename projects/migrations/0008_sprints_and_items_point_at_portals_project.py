"""Sprints, stand-up notes, columns and work items point at the project in its new home,
portal (issue #14)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0005_project_moves_to_portal"),
        ("projects", "0007_project_language"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay as they are: only where Django looks for the model changes.
            state_operations=[
                migrations.AlterField(
                    model_name="standupnote",
                    name="project",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="standup_notes",
                        to="portal.project",
                    ),
                ),
                migrations.AlterField(
                    model_name="workitem",
                    name="project",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="work_items",
                        to="portal.project",
                        verbose_name="project",
                    ),
                ),
                migrations.AlterField(
                    model_name="workflowcolumn",
                    name="project",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="columns",
                        to="portal.project",
                        verbose_name="project",
                    ),
                ),
                migrations.AlterField(
                    model_name="sprint",
                    name="project",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sprints",
                        to="portal.project",
                        verbose_name="project",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
