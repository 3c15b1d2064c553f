from django.core.management.base import BaseCommand

from metrics.snapshots import snapshots_backfill
from portal.models import Project


class Command(BaseCommand):
    help = "Compute daily delivery snapshots for the last N days (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--project", help="project key (default: every active project)")

    def handle(self, *args, **options):
        projects = Project.objects.filter(archived=False)
        if options["project"]:
            projects = projects.filter(key=options["project"].upper())
        count = snapshots_backfill(days=options["days"], projects=projects)
        self.stdout.write(self.style.SUCCESS(f"{count} project-days computed."))
