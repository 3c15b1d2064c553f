"""Upgrading a filled database across the floor moves (issue #14) keeps every row.

Project, Membership and PhaseChange moved from `projects` down to `portal`, KPI and
KPIDataPoint from `metrics` down to `kpis`, with state-only migrations and table renames;
the requirement a work item delivers moved from a column on the work item to a link owned
by requirements (WorkItemLink), copied by a data migration. This fills a database with the demo (`seed_demo`), takes it
back to the migrations of the head before the move (the tables carry the projects app's
names again, the content types and activity rows say `projects.project`), checks that is
the old shape with every row in it, and migrates it forward again as an upgrade would:
same rows, same keys, relations intact, the pages work.
(`scripts/check_upgrade.py <git ref>` does the same from a checkout of an older head.)
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from kpis.models import KPI, KPIDataPoint
from metrics.models import KeyResult
from portal.models import Activity, Event, Membership, PhaseChange, Project, User
from projects.models import Sprint, WorkItem
from requirements.models import Requirement, RequirementKPI, WorkItemLink
from risks.models import Risk

# The last migration of each app before the move.
BEFORE_THE_MOVE = [
    ("portal", "0004_channel_delivery_subscription"),
    ("projects", "0007_project_language"),
    ("requirements", "0002_bounded_dates_and_reach"),
    ("risks", "0003_bounded_review_dates"),
    ("metrics", "0006_bounded_dates_and_periods"),
]
# Each moved model: its table before the move and after it.
MOVED = {
    "project": ("projects_project", "portal_project"),
    "membership": ("projects_membership", "portal_membership"),
    "phasechange": ("projects_phasechange", "portal_phasechange"),
    "kpi": ("metrics_kpi", "kpis_kpi"),
    "kpidatapoint": ("metrics_kpidatapoint", "kpis_kpidatapoint"),
}


def _picture() -> dict:
    """What a user would notice if the move lost or mixed up anything."""
    return {
        "projects": sorted(Project.objects.values_list("key", "owner__username", "phase")),
        "members": sorted(Membership.objects.values_list("project__key", "user__username", "role")),
        "phases": sorted(PhaseChange.objects.values_list("project__key", "to_phase")),
        "work": sorted(WorkItem.objects.values_list("project__key", "number", "sprint__name")),
        "sprints": sorted(Sprint.objects.values_list("project__key", "name", "state")),
        "requirements": Requirement.objects.filter(project__key="MALL").count(),
        "risks": sorted(Risk.objects.values_list("project__key", "number", "status")),
        "kpis": sorted(KPI.objects.values_list("project__key", "code", "target"), key=str),
        "points": KPIDataPoint.objects.filter(kpi__project__key="MALL").count(),
        "kpi_links": sorted(
            RequirementKPI.objects.values_list(
                "requirement__number", "kpi__code", "expected_change"
            )
        ),
        "delivers": sorted(
            WorkItemLink.objects.values_list(
                "work_item__project__key", "work_item__number", "requirement__number"
            )
        ),
        "key_results": sorted(KeyResult.objects.values_list("title", "kpi__code"), key=str),
        "events": Event.objects.filter(project__isnull=False).count(),
        "activity": sorted(
            Activity.objects.filter(project__isnull=False).values_list("target_type", "verb")
        ),
    }


def _rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        return cursor.fetchone()[0]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_a_seeded_database_upgrades_across_the_move_with_every_row():
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    before = _picture()
    counts = {
        "project": Project.objects.count(),
        "membership": Membership.objects.count(),
        "phasechange": PhaseChange.objects.count(),
        "kpi": KPI.objects.count(),
        "kpidatapoint": KPIDataPoint.objects.count(),
    }
    assert counts["project"] == 3
    assert min(counts.values()) >= 3
    assert before["kpi_links"]
    assert len(before["delivers"]) > 3
    assert any(code for _title, code in before["key_results"])
    moved_activity = Activity.objects.filter(
        target_type__in=["portal.project", "portal.membership", "kpis.kpi"]
    )
    activity_on_moved = moved_activity.count()
    assert activity_on_moved > 0

    _migrate(BEFORE_THE_MOVE)
    try:
        tables = set(connection.introspection.table_names())
        # The old shape: the projects app's tables, labels and content types.
        for model, (old, new) in MOVED.items():
            assert old in tables
            assert new not in tables
            assert _rows(old) == counts[model]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT app_label, model FROM django_content_type WHERE model IN (%s, %s)",
                ["project", "kpi"],
            )
            assert sorted(cursor.fetchall()) == [("metrics", "kpi"), ("projects", "project")]
            cursor.execute(
                "SELECT COUNT(*) FROM portal_activity WHERE target_type IN (%s, %s, %s)",
                ["projects.project", "projects.membership", "metrics.kpi"],
            )
            assert cursor.fetchone()[0] == activity_on_moved
            # The link is a column on the work item again, holding every link.
            cursor.execute(
                "SELECT COUNT(*) FROM projects_workitem WHERE requirement_id IS NOT NULL"
            )
            assert cursor.fetchone()[0] == len(before["delivers"])
        assert "requirements_workitemlink" not in tables
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()

    tables = set(connection.introspection.table_names())
    assert {new for _old, new in MOVED.values()} <= tables
    assert not {old for old, _new in MOVED.values()} & tables
    assert _picture() == before
    assert ContentType.objects.get_for_model(Project).app_label == "portal"
    assert ContentType.objects.get_for_model(KPI).app_label == "kpis"
    assert not ContentType.objects.filter(app_label="projects", model="project").exists()
    assert not ContentType.objects.filter(app_label="metrics", model="kpi").exists()

    # The upgraded database serves the owner's pages and refuses what it refused before.
    client = Client()
    client.force_login(User.objects.get(username="wangfang"))
    mall_requirement = RequirementKPI.objects.filter(requirement__project__key="MALL").first()
    pages = ["/", "/projects/MALL/", "/projects/MALL/board/", "/projects/MALL/activity/",
             "/kpis/", f"/projects/MALL/requirements/{mall_requirement.requirement.number}/"]  # fmt: skip
    for url in pages:
        assert client.get(url).status_code == 200, url
    outsider = Client()
    outsider.force_login(User.objects.get(username="zhoujie"))  # a viewer of PAY only
    assert outsider.get("/projects/PAY/").status_code == 200
    assert outsider.get("/projects/MALL/").status_code == 404
