#!/usr/bin/env python
"""`make bench`: median / p95 latency and SQL query counts at two data sizes.

Runs against the PostgreSQL at TEST_DATABASE_URL (make bench provisions one) in a
fresh database `portal_bench`, so it never touches real data. Each later feature adds
its scenario to SCENARIOS. Prints a table; exits non-zero if a request fails.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SIZES = [20, 200]
ROUNDS = 30


def _bench_database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        sys.exit("TEST_DATABASE_URL is not set: run `make bench`, which provisions PostgreSQL.")
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS portal_bench")
        conn.execute("CREATE DATABASE portal_bench")
    return urlunsplit(parts._replace(path="/portal_bench"))


def main() -> int:
    os.environ["DATABASE_URL"] = _bench_database_url()
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.local"
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from portal.models import User
    from portal.roles import Role
    from projects import services

    call_command("migrate", verbosity=0)
    # Production-like: DEBUG off, hashed static files (needs the manifest).
    call_command("collectstatic", "--noinput", verbosity=0)
    pm = User.objects.create_user("bench-pm", password="x", display_name="基准 PM")
    team = [User.objects.create_user(f"bench-dev{i}", password="x") for i in range(8)]
    client = Client()
    client.force_login(pm)
    api = Client()
    api.force_login(pm)

    def grow_to(n: int) -> None:
        from projects.models import Project

        for i in range(Project.objects.count(), n):
            project = services.project_create(actor=pm, key=f"B{i:04d}", name=f"基准项目 {i}")
            for j, user in enumerate(team):
                role = Role.VIEWER if j % 4 == 0 else Role.MEMBER
                services.member_add(project=project, user=user, role=role, actor=pm)
            services.project_update(project=project, actor=pm, phase="development")

    scenarios = [
        ("project list page", lambda: client.get("/projects/")),
        ("project page", lambda: client.get("/projects/B0000/")),
        ("projects API list", lambda: api.get("/api/v1/projects/?page_size=50")),
        ("activity API list", lambda: api.get("/api/v1/activity/?page_size=50")),
    ]

    def measure(name, size, call):
        call()  # warm-up
        timings = []
        for _ in range(ROUNDS):
            reset_queries()
            start = time.perf_counter()
            response = call()
            timings.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{name}: HTTP {response.status_code}")
        with CaptureQueriesContext(connection) as ctx:
            call()
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        return (name, size, statistics.median(timings), p95, len(ctx.captured_queries))

    rows = []
    for size in SIZES:
        grow_to(size)
        for name, call in scenarios:
            rows.append(measure(name, size, call))

    rows += _bench_risks(pm, team, client, api, measure)
    rows += _bench_board(pm, team, client, api, measure)
    snapshot_lines = _bench_snapshots(pm)

    print(f"\n{'scenario':<26} {'rows':>8} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for name, size, median, p95, queries in rows:
        print(f"{name:<26} {size:>8} {median:>10.1f} {p95:>8.1f} {queries:>8}")
    print()
    for line in snapshot_lines:
        print(line)
    return 0


def _bench_board(pm, team, client, api, measure):
    """Board page, move API and burndown at 500 and 5,000 cards in the running sprint."""
    from datetime import timedelta

    from django.utils import timezone

    from projects import services
    from projects.models import ColumnChange, Project, SprintScopeChange, WorkItem

    project = Project.objects.get(key="B0001")
    today = project.today()
    sprint = services.sprint_create(
        project=project,
        actor=pm,
        name="Bench",
        start=today - timedelta(days=5),
        end=today + timedelta(days=9),
    )
    services.sprint_start(sprint=sprint, actor=pm)
    columns = list(project.columns.order_by("order"))
    rows = []
    movable = services.work_item_create(
        project=project, actor=pm, title="movable", sprint=sprint, story_points=3
    )
    for size in (500, 5000):
        existing = WorkItem.objects.filter(project=project).count()
        now = timezone.now()
        created = WorkItem.objects.bulk_create(
            WorkItem(
                project=project,
                number=n + 1000,
                title=f"基准卡片 {n}",
                column=columns[n % len(columns)],
                rank=n * 1024,
                sprint=sprint,
                assignee=team[n % len(team)],
                story_points=(n % 5) + 1,
                created_at=now - timedelta(days=4),
                column_entered_at=now - timedelta(days=n % 4),
                started_at=now - timedelta(days=3) if n % len(columns) else None,
                done_at=now - timedelta(days=n % 3)
                if n % len(columns) == len(columns) - 1
                else None,
            )
            for n in range(existing, size)
        )
        SprintScopeChange.objects.bulk_create(
            SprintScopeChange(
                sprint=sprint,
                item=i,
                change="added",
                points=i.story_points,
                after_start=False,
                at=now - timedelta(days=5),
            )
            for i in created
        )
        ColumnChange.objects.bulk_create(
            ColumnChange(
                item=i,
                from_column=None,
                to_column=i.column,
                to_category=i.column.category,
                at=i.column_entered_at,
            )
            for i in created
        )
        rows.append(measure("board page", size, lambda: client.get("/projects/B0001/board/")))
        move = _mover(api, movable, [columns[1], columns[2]])
        rows.append(measure("work item move API", size, move))
        rows.append(
            measure(
                "sprint burndown API",
                size,
                lambda: api.get(f"/api/v1/sprints/{sprint.pk}/burndown/"),
            )
        )
        rows.append(measure("stand-up page", size, lambda: client.get("/projects/B0001/standup/")))
    return rows


SNAPSHOT_PROJECTS = 100
SNAPSHOT_ITEMS = 1000


def _bench_snapshots(pm) -> list[str]:
    """`snapshots_compute()` over 100 projects × 1,000 items (O(projects) queries).

    Items and their column history are bulk-inserted (a third to do, a third in progress,
    a third done, spread over 60 days) with three risks per project, one closed."""
    import statistics as stats
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from metrics.models import ProjectSnapshot
    from metrics.snapshots import snapshots_compute
    from projects import services
    from projects.models import ColumnChange, Project, WorkItem
    from risks.models import Risk, RiskHistory

    setup = time.perf_counter()
    now = timezone.now()
    projects = [
        services.project_create(actor=pm, key=f"SNAP{i:03d}", name=f"快照项目 {i}")
        for i in range(SNAPSHOT_PROJECTS)
    ]
    for project in projects:
        todo, progress, _review, _testing, done = project.columns.order_by("order")
        items = []
        for n in range(SNAPSHOT_ITEMS):
            created = now - timedelta(days=60) + timedelta(minutes=83 * n)
            state = n % 3
            items.append(
                WorkItem(
                    project=project,
                    number=n + 1,
                    type="bug" if n % 5 == 0 else ("story", "task")[n % 2],
                    title=f"快照卡片 {n}",
                    column=(todo, progress, done)[state],
                    rank=n * 1024,
                    created_at=created,
                    column_entered_at=created,
                    started_at=created + timedelta(hours=5) if state else None,
                    done_at=created + timedelta(hours=5 + n % 90) if state == 2 else None,
                    due_date=(created + timedelta(days=3)).date() if n % 4 == 0 else None,
                )
            )
        items = WorkItem.objects.bulk_create(items, batch_size=2000)
        changes = []
        for item in items:
            changes.append(
                ColumnChange(item=item, to_column=todo, to_category="todo", at=item.created_at)
            )
            if item.started_at:
                changes.append(
                    ColumnChange(
                        item=item,
                        from_column=todo,
                        to_column=progress,
                        to_category="in_progress",
                        at=item.started_at,
                    )
                )
            if item.done_at:
                changes.append(
                    ColumnChange(
                        item=item,
                        from_column=progress,
                        to_column=done,
                        to_category="done",
                        at=item.done_at,
                    )
                )
        ColumnChange.objects.bulk_create(changes, batch_size=5000)
        risks = Risk.objects.bulk_create(
            Risk(
                project=project,
                number=r + 1,
                title=f"快照风险 {r}",
                category="technical",
                probability=r + 2,
                impact=4,
                owner=pm,
                status="closed" if r == 2 else "open",
            )
            for r in range(3)
        )
        RiskHistory.objects.bulk_create(
            RiskHistory(
                risk=risk,
                field="created",
                probability=risk.probability,
                impact=risk.impact,
                status=risk.status,
                at=now - timedelta(days=10),
            )
            for risk in risks
        )
    setup = time.perf_counter() - setup

    selected = Project.objects.filter(key__startswith="SNAP")
    timings = []
    for _ in range(3):  # the hourly run is an upsert: later rounds update in place
        start = time.perf_counter()
        computed = snapshots_compute(projects=selected)
        timings.append(time.perf_counter() - start)
    with CaptureQueriesContext(connection) as ctx:
        snapshots_compute(projects=selected)
    queries = len(ctx.captured_queries)
    assert computed == SNAPSHOT_PROJECTS
    assert ProjectSnapshot.objects.filter(project__key__startswith="SNAP").count() == computed
    return [
        f"snapshots_compute: {SNAPSHOT_PROJECTS} projects × {SNAPSHOT_ITEMS} items "
        f"(setup {setup:.1f} s)",
        f"  time {stats.median(timings):.2f} s (median of 3; "
        f"{1000 * stats.median(timings) / SNAPSHOT_PROJECTS:.1f} ms per project)",
        f"  queries {queries} = {queries / SNAPSHOT_PROJECTS:.1f} per project",
    ]


def _mover(api, item, targets):
    """A move request that alternates between two columns (each call really moves)."""
    state = {"n": 0}

    def move():
        state["n"] += 1
        return api.post(
            f"/api/v1/work-items/{item.pk}/move/",
            {"column": targets[state["n"] % 2].pk},
            content_type="application/json",
        )

    return move


def _bench_risks(pm, team, client, api, measure):
    """The risk register and its API at 200 and 2,000 risks in one project."""
    from projects.models import Project
    from risks.models import Risk

    project = Project.objects.get(key="B0000")
    owners = [pm, *team[1:4]]
    rows = []
    for size in (200, 2000):
        existing = Risk.objects.filter(project=project).count()
        Risk.objects.bulk_create(
            Risk(
                project=project,
                number=n + 1,
                title=f"基准风险 {n}",
                category="technical",
                probability=n % 5 + 1,
                impact=(n // 5) % 5 + 1,
                owner=owners[n % len(owners)],
                status="open" if n % 7 else "closed",
            )
            for n in range(existing, size)
        )
        rows.append(
            measure("risk register page", size, lambda: client.get("/projects/B0000/risks/"))
        )
        rows.append(
            measure(
                "risks API list",
                size,
                lambda: api.get(f"/api/v1/risks/?project={project.pk}&page_size=50"),
            )
        )
        rows.append(
            measure(
                "risks heatmap API",
                size,
                lambda: api.get(f"/api/v1/risks/heatmap/?project={project.pk}"),
            )
        )
    return rows


if __name__ == "__main__":
    sys.exit(main())
