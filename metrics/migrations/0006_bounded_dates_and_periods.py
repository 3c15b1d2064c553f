"""Dates and OKR periods inside the planning years (2000–2100), with a check constraint
on the period as the last line.

Before the constraint, an objective saved through the old bug (0000-Q1 answered 500 but
was kept, and then broke every OKR page that listed it) has its year brought to the
nearest planning year, keeping its quarter, half, month or year: its owner sees it again
and can correct it. Rows already inside the years are untouched.
"""

import re

import django.core.validators
from django.db import migrations, models

import metrics.models
import portal.validators

PERIOD = re.compile(r"^(\d{4})(-.*)$")


def bring_periods_into_range(apps, schema_editor):
    Objective = apps.get_model("metrics", "Objective")
    stray = Objective.objects.exclude(period__gte="2000-", period__lt="2101-")
    for objective in stray.only("pk", "period"):
        match = PERIOD.match(objective.period)
        if match is None:
            continue
        year = min(max(int(match[1]), 2000), 2100)
        Objective.objects.filter(pk=objective.pk).update(period=f"{year}{match[2]}")


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0005_projectsnapshot_delivery_p50_weeks_and_more"),
    ]

    operations = [
        migrations.AlterField(
            model_name="exchangerate",
            name="date",
            field=models.DateField(
                validators=[portal.validators.validate_date_in_range], verbose_name="valid from"
            ),
        ),
        migrations.AlterField(
            model_name="kpidatapoint",
            name="date",
            field=models.DateField(
                validators=[portal.validators.validate_date_in_range], verbose_name="date"
            ),
        ),
        migrations.AlterField(
            model_name="objective",
            name="period",
            field=models.CharField(
                max_length=8,
                validators=[
                    django.core.validators.RegexValidator(
                        re.compile(
                            "^(?P<year>\\d{4})-(?:Q(?P<q>[1-4])|H(?P<h>[12])|M(?P<m>0[1-9]|1[0-2])|(?P<y>Y))\\Z"
                        ),
                        "Use a period such as 2026-Q4, 2026-H1, 2026-M03 or 2026-Y.",
                    ),
                    metrics.models.validate_period_year,
                ],
                verbose_name="period",
            ),
        ),
        migrations.RunPython(bring_periods_into_range, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="objective",
            constraint=models.CheckConstraint(
                condition=models.Q(("period__gte", "2000-"), ("period__lt", "2101-")),
                name="objective_period_year_in_range",
                violation_error_message="Use a period in the years 2000 to 2100.",
            ),
        ),
    ]
