"""The nightly snapshot task through the real broker: Redis carries it to a separate
Celery worker process, which writes the snapshots into the test database."""

from __future__ import annotations

import time
import zoneinfo
from datetime import date, datetime

import pytest

from metrics.models import ProjectSnapshot
from metrics.tasks import snapshots_compute_task
from portal import clock
from projects import services
from tests.projects.factories import make_project

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = date(2026, 3, 10)


def wait_for_snapshots(count: int, timeout: float = 20) -> list[ProjectSnapshot]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = list(ProjectSnapshot.objects.filter(date=DAY).select_related("project"))
        if len(rows) >= count:
            return rows
        time.sleep(0.1)
    return list(ProjectSnapshot.objects.filter(date=DAY).select_related("project"))


@pytest.fixture
def two_projects(owner):
    mall = make_project(owner=owner, key="MALL", name="母婴电商 App 2.0")
    make_project(owner=owner, key="OPS", name="运维平台", timezone_name="UTC")
    _todo, progress, _review, _testing, done = mall.columns.order_by("order")
    with clock.frozen_at(datetime(2026, 3, 8, 9, tzinfo=SH)):
        item = services.work_item_create(project=mall, actor=owner, title="购物车结算")
        services.work_item_create(project=mall, actor=owner, title="会员积分")
    with clock.frozen_at(datetime(2026, 3, 8, 10, tzinfo=SH)):
        services.work_item_move(item=item, column=progress, actor=owner)
    with clock.frozen_at(datetime(2026, 3, 9, 10, tzinfo=SH)):
        services.work_item_move(item=item, column=done, actor=owner)


def test_the_worker_computes_the_snapshots_sent_through_redis(
    two_projects, celery_via_redis, celery_worker_process
):
    # When the task is sent to the broker (not run here: eagerness is off)
    result = snapshots_compute_task.delay(DAY.isoformat())
    assert result.id
    assert not ProjectSnapshot.objects.exists()

    # Then the worker writes one snapshot per project within seconds
    rows = {row.project.key: row for row in wait_for_snapshots(2)}
    assert set(rows) == {"MALL", "OPS"}, "the worker never wrote the snapshots"
    mall = rows["MALL"]
    assert (mall.todo, mall.in_progress, mall.done) == (1, 0, 1)
    assert mall.throughput_7d == 1
    assert mall.cycle_p50_hours == pytest.approx(24.0)
    assert mall.lead_p50_hours == pytest.approx(25.0)
    assert (rows["OPS"].todo, rows["OPS"].done) == (0, 0)


def test_the_task_delivered_twice_still_leaves_one_row_per_project(
    two_projects, celery_via_redis, celery_worker_process
):
    snapshots_compute_task.delay(DAY.isoformat())
    assert len(wait_for_snapshots(2)) == 2
    first = ProjectSnapshot.objects.get(project__key="MALL", date=DAY).computed_at

    # When the same task arrives again (a retry, or beat firing twice)
    snapshots_compute_task.delay(DAY.isoformat())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if ProjectSnapshot.objects.get(project__key="MALL", date=DAY).computed_at > first:
            break
        time.sleep(0.1)

    # Then the rows were refreshed in place, not duplicated
    assert ProjectSnapshot.objects.get(project__key="MALL", date=DAY).computed_at > first
    assert ProjectSnapshot.objects.count() == 2
    assert ProjectSnapshot.objects.get(project__key="MALL", date=DAY).done == 1
