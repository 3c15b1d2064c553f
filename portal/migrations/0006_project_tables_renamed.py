"""The moved tables take portal's names: projects_project becomes portal_project and so
on (issue #14). A rename keeps every row, key and constraint; foreign keys follow it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0005_project_moves_to_portal"),
    ]

    operations = [
        migrations.AlterModelTable(name="project", table=None),
        migrations.AlterModelTable(name="phasechange", table=None),
        migrations.AlterModelTable(name="membership", table=None),
    ]
