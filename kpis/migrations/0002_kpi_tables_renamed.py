"""The moved tables take the kpis app's names: metrics_kpi becomes kpis_kpi and
metrics_kpidatapoint kpis_kpidatapoint (issue #14). Rows, keys and constraints stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelTable(name="kpi", table=None),
        migrations.AlterModelTable(name="kpidatapoint", table=None),
    ]
