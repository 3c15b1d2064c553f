from django.db import migrations, models


def language_from_owner(apps, schema_editor):
    """Existing projects were written in their creator's language (their default columns
    already are): start from the owner's."""
    Project = apps.get_model("projects", "Project")
    for project in Project.objects.select_related("owner").only("pk", "owner__language"):
        language = (project.owner.language or "").lower()
        if language in ("zh-hans", "en"):
            Project.objects.filter(pk=project.pk).update(language=language)


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0006_bounded_dates_and_numbers"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="language",
            field=models.CharField(
                blank=True,
                choices=[("zh-hans", "简体中文"), ("en", "English")],
                default="",
                help_text="What its titles and descriptions are written in.",
                max_length=8,
                verbose_name="content language",
            ),
        ),
        migrations.RunPython(language_from_owner, migrations.RunPython.noop),
    ]
