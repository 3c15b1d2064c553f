"""`make bench releases`: a release's page, the project's release list, the releases API
and the release notes with 50 and 500 work items in one release (issue #15). The query
counts must not depend on how much a release ships."""

from __future__ import annotations

SIZES = (50, 500)


def bench_releases(pm, team, client, api, measure):
    """Rows for the table, and notes (the query counts compared across the sizes)."""
    from datetime import timedelta

    from django.utils import timezone

    from delivery import services as delivery
    from projects import services
    from projects.models import WorkItem
    from requirements import services as requirements

    project = services.project_create(actor=pm, key="REL", name="发布基准")
    for user in team:
        services.member_add(project=project, user=user, role="member", actor=pm)
    columns = list(project.columns.order_by("order"))
    release = delivery.release_create(
        project=project,
        actor=pm,
        version="1.0.0",
        name="基准发布",
        critical_paths=["checkout_payment"],
    )
    # Two more releases around it, the first stage of the benched one running with guards.
    for version in ("0.9.0", "1.1.0"):
        delivery.release_create(project=project, actor=pm, version=version)
    for check in ("rollback_plan", "circuit_breaker", "monitoring", "load_test"):
        delivery.release_check(release=release, actor=pm, check=check, done=True)
    delivery.release_check(release=release, actor=pm, check="migration_reversible", done=True)
    first = release.stages.order_by("position").first()
    delivery.stage_guard_add(
        stage=first, actor=pm, metric="error_rate", operator="lte", threshold="0.5"
    )
    delivery.stage_guard_add(
        stage=first, actor=pm, metric="p99_ms", operator="lte", threshold="800"
    )
    delivery.release_advance(release=release, actor=pm)
    delivery.stage_metric_record(release=release, metric="error_rate", value="0.1")
    reqs = [
        requirements.requirement_create(project=project, actor=pm, title=f"基准需求 {n}")
        for n in range(20)
    ]
    rows, counts = [], {}
    now = timezone.now()
    for size in SIZES:
        existing = WorkItem.objects.filter(project=project).count()
        WorkItem.objects.bulk_create(
            WorkItem(
                project=project,
                number=n + 1,
                title=f"发布卡片 {n}",
                column=columns[n % len(columns)],
                rank=n * 1024,
                assignee=team[n % len(team)],
                story_points=(n % 5) + 1,
                created_at=now - timedelta(days=4),
                column_entered_at=now - timedelta(days=1),
                done_at=now if n % len(columns) == len(columns) - 1 else None,
            )
            for n in range(existing, size)
        )
        delivery.release_scope_set(
            release=release,
            actor=pm,
            work_items=list(WorkItem.objects.filter(project=project)),
            requirements=reqs,
        )
        scenarios = [
            ("release page", lambda: client.get("/projects/REL/releases/1.0.0/")),
            ("release list page", lambda: client.get("/projects/REL/releases/?show=all")),
            ("releases API list", lambda: api.get(f"/api/v1/releases/?project={project.pk}")),
            ("release API detail", lambda: api.get(f"/api/v1/releases/{release.pk}/")),
            ("release notes API", lambda: api.get(f"/api/v1/releases/{release.pk}/notes/")),
        ]
        for name, call in scenarios:
            row = measure(name, size, call)
            rows.append(row)
            counts.setdefault(name, []).append(row[4])
    notes = []
    for name, seen in counts.items():
        same = len(set(seen)) == 1
        notes.append(
            f"{name}: queries {' / '.join(map(str, seen))} at {' / '.join(map(str, SIZES))} "
            f"items — {'independent of size' if same else 'GROWS WITH SIZE'}"
        )
        if not same:
            raise SystemExit(f"{name}: the query count grows with the items ({seen})")
    return rows, notes
