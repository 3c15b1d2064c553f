"""KPI and KPIDataPoint move from metrics down to the kpis app (issue #14).

The work (requirements now, experiments next) points at KPIs; metrics, which reads the
work, stays above it. Only Django's picture of the models changes here: the rows stay in
their tables (0002 renames them); content types and activity targets are relabelled.
"""

import django.core.validators
import django.db.models.deletion
import portal.validators
from django.conf import settings
from django.db import migrations, models


MOVED = ("kpi", "kpidatapoint")


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
    relabel(apps, schema_editor, "metrics", "kpis")


def backwards(apps, schema_editor):
    relabel(apps, schema_editor, "kpis", "metrics")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("portal", "0006_project_tables_renamed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay as they are: only where Django looks for the models changes.
            state_operations=[
                migrations.CreateModel(
                    name='KPI',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=80, verbose_name='name')),
                        ('code', models.CharField(max_length=40, validators=[django.core.validators.RegexValidator('^[a-z][a-z0-9_]{1,39}$', 'Lower-case letters, digits and _, starting with a letter.')], verbose_name='code')),
                        ('description', models.CharField(blank=True, max_length=300, verbose_name='description')),
                        ('unit', models.CharField(choices=[('money', 'Money'), ('percent', 'Percent'), ('count', 'Count'), ('duration', 'Duration (days)'), ('weeks', 'Duration (weeks)')], max_length=10, verbose_name='unit')),
                        ('currency', models.CharField(blank=True, max_length=3, validators=[portal.validators.validate_currency], verbose_name='currency')),
                        ('direction', models.CharField(choices=[('higher', 'Higher is better'), ('lower', 'Lower is better')], default='higher', max_length=6, verbose_name='direction')),
                        ('target', models.DecimalField(blank=True, decimal_places=4, max_digits=18, null=True, verbose_name='target')),
                        ('source', models.CharField(choices=[('manual', 'Entered by hand'), ('api', 'Pushed by the data platform'), ('computed', 'Computed by the portal')], default='manual', max_length=10, verbose_name='source')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('project', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='kpis', to='portal.project', verbose_name='project')),
                    ],
                    options={
                        'verbose_name': 'KPI',
                        'db_table': 'metrics_kpi',
                        'verbose_name_plural': 'KPIs',
                        'ordering': ['project_id', 'name', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='KPIDataPoint',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(validators=[portal.validators.validate_date_in_range], verbose_name='date')),
                        ('value', models.DecimalField(decimal_places=4, max_digits=18, verbose_name='value')),
                        ('currency', models.CharField(blank=True, max_length=3, verbose_name='currency')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('kpi', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='points', to='kpis.kpi', verbose_name='KPI')),
                    ],
                    options={
                        'verbose_name': 'KPI data point',
                        'db_table': 'metrics_kpidatapoint',
                        'verbose_name_plural': 'KPI data points',
                        'ordering': ['kpi', 'date'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='kpi',
                    constraint=models.UniqueConstraint(fields=('project', 'code'), name='kpi_unique_code_per_project'),
                ),
                migrations.AddConstraint(
                    model_name='kpi',
                    constraint=models.UniqueConstraint(condition=models.Q(('project__isnull', True)), fields=('code',), name='kpi_unique_company_code'),
                ),
                migrations.AddConstraint(
                    model_name='kpi',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('unit', 'money'), _negated=True), models.Q(('currency', ''), _negated=True), _connector='OR'), name='kpi_money_has_currency'),
                ),
                migrations.AddConstraint(
                    model_name='kpidatapoint',
                    constraint=models.UniqueConstraint(fields=('kpi', 'date'), name='kpi_point_one_per_day'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
