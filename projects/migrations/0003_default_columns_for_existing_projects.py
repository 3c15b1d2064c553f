from django.db import migrations

DEFAULT_COLUMNS = [
    ("待办", "To do", "todo"),
    ("进行中", "In progress", "in_progress"),
    ("评审中", "In review", "in_progress"),
    ("测试中", "Testing", "in_progress"),
    ("已完成", "Done", "done"),
]


def add_default_columns(apps, schema_editor):
    """Projects created before the board existed get the default board."""
    Project = apps.get_model("projects", "Project")
    WorkflowColumn = apps.get_model("projects", "WorkflowColumn")
    for project in Project.objects.filter(columns__isnull=True).select_related("owner"):
        zh = (project.owner.language or "zh-hans").startswith("zh")
        for order, (zh_name, en_name, category) in enumerate(DEFAULT_COLUMNS):
            WorkflowColumn.objects.create(
                project=project, name=zh_name if zh else en_name, category=category, order=order
            )


class Migration(migrations.Migration):
    dependencies = [("projects", "0002_board_and_sprints")]

    operations = [migrations.RunPython(add_default_columns, migrations.RunPython.noop)]
