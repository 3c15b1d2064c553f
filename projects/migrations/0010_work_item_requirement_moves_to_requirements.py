"""A work item no longer points at its requirement: requirements owns that link now
(WorkItemLink, made from this column by requirements 0005, which runs first)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0009_moved_models_leave_projects"),
    ]

    operations = [
        migrations.RemoveField(model_name="workitem", name="requirement"),
    ]
