"""KPI and KPIDataPoint now live in the kpis app (issue #14): key results point there and
metrics forgets the two models. Their rows are untouched (kpis 0002 renames the tables)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0001_initial"),
        ("metrics", "0007_project_is_portals"),
        ("requirements", "0004_kpi_is_in_kpis"),
    ]
    # Only when no model points at the old tables may kpis rename them.
    run_before = [("kpis", "0002_kpi_tables_renamed")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='keyresult',
                    name='kpi',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='key_results', to='kpis.kpi', verbose_name='KPI'),
                ),
                migrations.DeleteModel(name="KPIDataPoint"),
                migrations.DeleteModel(name="KPI"),
            ],
            database_operations=[],
        ),
    ]
