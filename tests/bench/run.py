#!/usr/bin/env python
"""`make bench`: median / p95 latency and SQL query counts at two data sizes.

Runs against the PostgreSQL at TEST_DATABASE_URL (make bench provisions one) in a
fresh database `portal_bench`, so it never touches real data. Each later feature adds
its scenario to SCENARIOS. Prints a table; exits non-zero if a request fails.

Arguments pick scenario groups (default: all), e.g. `run.py requirements` to rerun one:
projects, risks, board, requirements, releases, snapshots.
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
GROUPS = ("projects", "risks", "board", "requirements", "releases", "snapshots")


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
    groups = set(sys.argv[1:]) or set(GROUPS)
    if groups - set(GROUPS):
        sys.exit(f"Unknown scenario group(s) {sorted(groups - set(GROUPS))}; pick from {GROUPS}.")
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
        from portal.models import Project

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
    # The risk and board scenarios use the projects B0000 and B0001 grown here.
    for size in SIZES if groups & {"projects", "risks", "board"} else []:
        grow_to(size)
        for name, call in scenarios if "projects" in groups else []:
            rows.append(measure(name, size, call))

    if "risks" in groups:
        rows += _bench_risks(pm, team, client, api, measure)
    if "board" in groups:
        rows += _bench_board(pm, team, client, api, measure)
    requirement_notes = []
    if "requirements" in groups:
        requirement_rows, requirement_notes = _bench_requirements(pm, team, client, api, measure)
        rows += requirement_rows
    if "releases" in groups:
        from tests.bench.releases import bench_releases

        release_rows, release_notes = bench_releases(pm, team, client, api, measure)
        rows += release_rows
        requirement_notes += release_notes
    snapshot_lines = _bench_snapshots(pm) if "snapshots" in groups else []

    print(f"\n{'scenario':<26} {'rows':>8} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for name, size, median, p95, queries in rows:
        print(f"{name:<26} {size:>8} {median:>10.1f} {p95:>8.1f} {queries:>8}")
    for note in requirement_notes:
        print(note)
    print()
    for line in snapshot_lines:
        print(line)
    return 0


def _bench_board(pm, team, client, api, measure):
    """Board page, move API and burndown at 500 and 5,000 cards in the running sprint."""
    from datetime import timedelta

    from django.utils import timezone

    from portal.models import Project
    from projects import services
    from projects.models import ColumnChange, SprintScopeChange, WorkItem

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
    from portal.models import Project
    from projects import services
    from projects.models import ColumnChange, WorkItem
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


REQUIREMENT_SIZES = (1000, 10000)


def _bench_requirements(pm, team, client, api, measure):
    """The requirement backlog page and API at 1,000 and 10,000 requirements in one project.

    Rows are bulk-inserted with distinct numbers and ranks, every status / MoSCoW / Kano /
    priority mixed in, scores computed as the services store them; one in ten links a KPI
    and one in twenty has three Kano answers. The page is measured once its URL resolves:
    until then (or while it answers 404) the runner says so and carries on."""
    from datetime import timedelta
    from decimal import Decimal

    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from metrics import services as metrics_services
    from portal.roles import Role
    from projects import services
    from requirements import scoring
    from requirements.models import (
        Answer,
        Kano,
        KanoResponse,
        MoSCoW,
        Priority,
        Requirement,
        RequirementKPI,
        Status,
    )

    project = services.project_create(actor=pm, key="BREQ", name="基准需求池")
    for j, user in enumerate(team):
        role = Role.VIEWER if j % 4 == 0 else Role.MEMBER
        services.member_add(project=project, user=user, role=role, actor=pm)
    kpi = metrics_services.kpi_templates_apply(
        actor=pm, project=project, codes=["conversion_rate"], language="zh-hans"
    )[0]
    statuses, moscows, kanos = list(Status), list(MoSCoW), list(Kano)
    priorities, answers = list(Priority), list(Answer)
    impacts = [Decimal(v) for v in ("0.25", "0.5", "1", "2", "3")]
    scale = scoring.WSJF_SCALE
    departments = ["product", "operations", "marketing", "customer_service", "finance", "tech"]

    def row(n: int, now) -> Requirement:
        status = statuses[n % len(statuses)]
        triaged = status not in (Status.NEW, Status.REJECTED)
        tags = ["基准", f"标签{n % 12}"]
        reach, impact, confidence = 500 + n % 9000, impacts[n % 5], 50 + n % 51
        effort = Decimal(1 + n % 13)
        wsjf = (scale[n % 7], scale[(n // 7) % 7], scale[(n // 49) % 7], scale[(n // 3) % 7])
        return Requirement(
            project=project,
            number=n + 1,
            rank=(n + 1) * 1024,
            title=f"基准需求 {n}",
            description="作为用户，我希望……以便……",
            source_department=departments[n % len(departments)],
            requester="基准 PM",
            status=status,
            rejection_reason="基准：不做" if status == Status.REJECTED else "",
            moscow=moscows[n % len(moscows)] if triaged else "",
            kano=kanos[n % len(kanos)] if triaged else "",
            priority=priorities[n % len(priorities)] if triaged else "",
            phase=1 + n % 3 if triaged else None,
            tags=tags,
            tags_text="".join(f"|{t}" for t in tags) + "|",
            target_date=(now + timedelta(days=n % 120)).date(),
            reach=reach,
            impact=impact,
            confidence=confidence,
            effort=effort,
            business_value=wsjf[0],
            time_criticality=wsjf[1],
            risk_reduction=wsjf[2],
            job_size=wsjf[3],
            rice_score=scoring.rice_score(reach, impact, confidence, effort),
            wsjf_score=scoring.wsjf_score(*wsjf),
            created_by=pm,
            created_at=now - timedelta(minutes=n),
            triaged_at=now if triaged else None,
            done_at=now if status == Status.DONE else None,
        )

    try:
        page_url = reverse("requirements:backlog", args=[project.key])
    except NoReverseMatch:
        page_url = None
    api_url = f"/api/v1/requirements/?project={project.pk}"
    rows, notes = [], []
    for size in REQUIREMENT_SIZES:
        existing = Requirement.objects.filter(project=project).count()
        now = timezone.now()
        created = Requirement.objects.bulk_create(
            (row(n, now) for n in range(existing, size)), batch_size=2000
        )
        RequirementKPI.objects.bulk_create(
            RequirementKPI(requirement=r, kpi=kpi, expected_change=Decimal("0.5"))
            for r in created
            if r.number % 10 == 0
        )
        KanoResponse.objects.bulk_create(
            KanoResponse(
                requirement=r,
                respondent_name=f"访谈 {k}",
                functional=answers[(r.number + k) % 5],
                dysfunctional=answers[(r.number * 3 + k) % 5],
                recorded_by=pm,
                created_at=now,
            )
            for r in created
            if r.number % 20 == 0
            for k in range(3)
        )
        if page_url is None:
            notes.append(
                f"requirement backlog page {size:>7}: not measured, the URL name "
                "requirements:backlog does not resolve yet"
            )
        elif client.get(page_url).status_code == 404:
            notes.append(
                f"requirement backlog page {size:>7}: not measured, {page_url} answers 404"
            )
        else:
            rows.append(measure("requirement backlog page", size, lambda: client.get(page_url)))
        rows.append(measure("requirements API list", size, lambda: api.get(api_url)))
    return rows, notes


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
    from portal.models import Project
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
