"""`manage.py seed_demo`: the demo organisation, composed from each app's demo module.

Idempotent: a second run changes nothing and prints the same logins.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from delivery.demo import seed_releases
from metrics.demo import seed_metrics
from metrics.models import ProjectSnapshot
from portal.demo import DEMO_PASSWORD, DEMO_USERS, seed_users
from projects.demo import seed_projects
from projects.demo_board import run_current_sprints, seed_boards
from requirements.demo import promote_deferred, seed_requirements
from risks.demo import link_demo_risks, seed_risks


class Command(BaseCommand):
    help = "Create (or keep) the demo organisation: users, projects and their history."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the logins.")

    def handle(self, *args, **options):
        with transaction.atomic():
            users = seed_users()
            projects = seed_projects(users)
            seed_boards(users, projects)
            risks = seed_risks(users, projects)
            seed_metrics(users, projects)
            # After the sprints are planned (stories are promoted into them) and the KPIs
            # (requirements link to them), before the snapshots.
            late: list = []
            seed_requirements(users, projects, deferred=late)
            # Today's sprints start once everything planned into them is there; requests
            # that came in after the start join them then.
            run_current_sprints(users, projects)
            promote_deferred(users, late)
            link_demo_risks(projects)
            # Releases gather the work above and read its risks (go/no-go).
            seed_releases(users, projects)
        # Dashboards read snapshots: compute the last 90 days (idempotent upserts).
        from metrics.snapshots import snapshots_backfill

        if not ProjectSnapshot.objects.exists():
            snapshots_backfill(days=90)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(users)} users, {len(projects)} projects"
                + (f", {risks} new risks." if risks else ".")
            )
        )
        if options["quiet_logins"]:
            return
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for spec in DEMO_USERS:
            self.stdout.write(f"  {spec.username:<11} {spec.display_name:<14} {spec.role_note}")
