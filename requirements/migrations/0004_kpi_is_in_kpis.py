"""A requirement's KPI links point at the KPI in its new home, the kpis app (issue #14)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0001_initial"),
        ("requirements", "0003_project_is_portals"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table stays as it is: only where Django looks for the model changes.
            state_operations=[
                migrations.AlterField(
                    model_name='requirementkpi',
                    name='kpi',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='requirement_links', to='kpis.kpi'),
                ),
            ],
            database_operations=[],
        ),
    ]
