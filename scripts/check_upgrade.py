#!/usr/bin/env python3
"""Upgrade a demo database made by an older head to this checkout, and compare.

    .venv/bin/python scripts/check_upgrade.py [GIT_REF]       (default: 0ff88bc)

GIT_REF's code (from `git archive`) migrates a fresh database and fills it with
`seed_demo`; this checkout's `manage.py migrate` then upgrades it. Every table's row
count must be the same afterwards (a table that was renamed is matched by its model:
`projects_project` is now `portal_project`; the work items' requirement column became
requirements' link table, with as many rows), and this checkout's `seed_demo` must find
nothing to add. The database is a temporary SQLite file unless DATABASE_URL names one
(use an empty PostgreSQL database there: it is filled and upgraded).

0ff88bc is the last head before Project, Membership and PhaseChange moved from
`projects` down to `portal` and KPI and KPIDataPoint from `metrics` down to `kpis`, and the
requirement ↔ work-item link to requirements (issue #14).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
# Tables that moved with their model: old name -> new name.
RENAMED = {
    "projects_project": "portal_project",
    "projects_membership": "portal_membership",
    "projects_phasechange": "portal_phasechange",
    "metrics_kpi": "kpis_kpi",
    "metrics_kpidatapoint": "kpis_kpidatapoint",
}
COUNT = """
import json
from django.db import connection
with connection.cursor() as cursor:
    counts = {}
    for table in connection.introspection.table_names():
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        counts[table] = cursor.fetchone()[0]
    # The requirement a work item delivers: a column before issue #14, a link table after.
    columns = [c.name for c in connection.introspection.get_table_description(
        cursor, "projects_workitem")]
    if "requirement_id" in columns:
        cursor.execute("SELECT COUNT(*) FROM projects_workitem WHERE requirement_id IS NOT NULL")
        counts["(work items delivering a requirement)"] = cursor.fetchone()[0]
    else:
        cursor.execute("SELECT COUNT(*) FROM requirements_workitemlink")
        counts["(work items delivering a requirement)"] = cursor.fetchone()[0]
print(json.dumps(counts))
"""


def run(cwd: Path, env: dict, *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    if result.returncode:
        sys.exit(f"{' '.join(args)} in {cwd} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def counts(cwd: Path, env: dict) -> dict[str, int]:
    import json

    return json.loads(run(cwd, env, "shell", "-c", COUNT).strip().splitlines()[-1])


def main() -> None:
    ref = sys.argv[1] if len(sys.argv) > 1 else "0ff88bc"
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        old.mkdir()
        archive = Path(tmp) / "old.tar"
        subprocess.run(["git", "archive", "-o", str(archive), ref], cwd=ROOT, check=True)
        with tarfile.open(archive) as tar:
            tar.extractall(old, filter="data")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.local",
            "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{tmp}/upgrade.sqlite3"),
        }
        run(old, env, "migrate", "--noinput", "-v0")
        run(old, env, "seed_demo", "--quiet-logins")
        before = counts(old, env)
        print(f"{ref}: migrated and seeded, {sum(before.values())} rows in {len(before)} tables")
        print(run(ROOT, env, "migrate", "--noinput").strip())
        after = counts(ROOT, env)
        expected = {RENAMED.get(table, table): rows for table, rows in before.items()}
        applied = after.pop("django_migrations") - expected.pop("django_migrations")
        # A new model brings its content type and permissions (post_migrate): those two
        # tables may only grow.
        grows = {"django_content_type", "auth_permission"}
        lost = {
            t: (rows, after.get(t))
            for t, rows in expected.items()
            if after.get(t) != rows and not (t in grows and (after.get(t) or 0) > rows)
        }
        new = sorted(set(after) - set(expected))
        if lost:
            sys.exit(f"rows changed by the upgrade (before, after): {lost}")
        run(ROOT, env, "seed_demo", "--quiet-logins")
        again = counts(ROOT, env)
        again.pop("django_migrations")
        # A newer seed_demo fills what this code added (tables the old head did not have,
        # and the rows that come with them: their activity, events, content types), but it
        # must not add anything the old demo already had.
        added_tables = set(after) - set(expected)
        kept = (
            "portal_project",
            "portal_membership",
            "projects_workitem",
            "requirements_requirement",
            "risks_risk",
            "kpis_kpi",
            "kpis_kpidatapoint",
            "metrics_objective",
        )
        if any(again.get(t) != after.get(t) for t in kept):
            changed = {
                t: (after.get(t), again.get(t)) for t in kept if again.get(t) != after.get(t)
            }
            sys.exit(f"seed_demo after the upgrade added rows (it should find them): {changed}")
        grown = {t: again[t] - after.get(t, 0) for t in added_tables if again[t] != after.get(t)}
        if grown:
            print(f"seed_demo then filled what this head adds: {grown}")
        print(
            f"upgraded ({applied} migrations): every one of {sum(after.values())} rows kept", end=""
        )
        print(f"; new tables: {', '.join(new)}" if new else "")


if __name__ == "__main__":
    main()
