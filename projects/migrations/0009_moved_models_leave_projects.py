"""Project, Membership and PhaseChange now live in portal (issue #14): the projects app
forgets them. Their rows are untouched: portal's 0005 took them over and 0006 renamed
their tables."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0008_sprints_and_items_point_at_portals_project"),
    ]
    # Only when no model of any app points at the old tables may portal rename them: the
    # apps above (requirements, risks, metrics) run their part before this one.
    run_before = [("portal", "0006_project_tables_renamed")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Membership"),
                migrations.DeleteModel(name="PhaseChange"),
                migrations.DeleteModel(name="Project"),
            ],
            database_operations=[],
        ),
    ]
