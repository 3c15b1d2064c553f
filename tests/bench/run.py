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

    print(f"\n{'scenario':<26} {'rows':>8} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for name, size, median, p95, queries in rows:
        print(f"{name:<26} {size:>8} {median:>10.1f} {p95:>8.1f} {queries:>8}")
    return 0


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
