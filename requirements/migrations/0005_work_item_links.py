"""The requirement a work item delivers moves from the board to requirements (issue #14).

Each work item's `requirement` becomes a WorkItemLink row owned by requirements (the board
stands below it); projects 0010 then drops the old column. Going back copies the links
into the column again.
"""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 1000


def links_from_column(apps, schema_editor):
    WorkItem = apps.get_model("projects", "WorkItem")
    WorkItemLink = apps.get_model("requirements", "WorkItemLink")
    db = schema_editor.connection.alias
    rows = (
        WorkItem.objects.using(db)
        .filter(requirement__isnull=False)
        .values_list("pk", "requirement_id")
        .order_by("pk")
    )
    WorkItemLink.objects.using(db).bulk_create(
        (WorkItemLink(work_item_id=item, requirement_id=req) for item, req in rows.iterator()),
        batch_size=BATCH,
    )


def column_from_links(apps, schema_editor):
    WorkItem = apps.get_model("projects", "WorkItem")
    WorkItemLink = apps.get_model("requirements", "WorkItemLink")
    db = schema_editor.connection.alias
    for item, req in WorkItemLink.objects.using(db).values_list("work_item_id", "requirement_id"):
        WorkItem.objects.using(db).filter(pk=item).update(requirement_id=req)


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0009_moved_models_leave_projects"),
        ("requirements", "0004_kpi_is_in_kpis"),
    ]
    # The column may go only once its values are copied; declared here so the board's
    # migrations name no app above them.
    run_before = [("projects", "0010_work_item_requirement_moves_to_requirements")]

    operations = [
        migrations.CreateModel(
            name="WorkItemLink",
            fields=[
                (
                    "work_item",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="requirement_link",
                        serialize=False,
                        to="projects.workitem",
                        verbose_name="work item",
                    ),
                ),
                (
                    "requirement",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="work_item_links",
                        to="requirements.requirement",
                        verbose_name="requirement",
                    ),
                ),
            ],
            options={
                "verbose_name": "work item link",
                "verbose_name_plural": "work item links",
            },
        ),
        migrations.AddField(
            model_name="requirement",
            name="work_items",
            field=models.ManyToManyField(
                blank=True,
                related_name="delivered_requirements",
                through="requirements.WorkItemLink",
                to="projects.workitem",
                verbose_name="work items",
            ),
        ),
        migrations.RunPython(links_from_column, column_from_links),
    ]
