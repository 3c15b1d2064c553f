"""Daily delivery snapshots (DESIGN §3 "computed snapshots", §4 formulas).

A small history is written through the real services at chosen moments (the clock seam),
then each day's snapshot is checked against numbers worked out by hand. Times are
Asia/Shanghai (the project's zone) unless said otherwise.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.models import ProjectSnapshot
from metrics.snapshots import (
    project_snapshot_values,
    snapshot_project_day,
    snapshots_backfill,
    snapshots_compute,
)
from portal import clock
from projects import services
from projects.models import ColumnChange, WorkItem
from risks import services as risk_services
from tests.projects.factories import WorkItemFactory, make_project

pytestmark = pytest.mark.django_db

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
UTC = zoneinfo.ZoneInfo("UTC")


def at(day: int, hour: int, minute: int = 0, tz=SH) -> datetime:
    """A moment in March 2026 (Shanghai time unless told)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=tz)


def board(project):
    """The default columns: to do, in progress, in review, testing, done."""
    todo, progress, review, _testing, done = project.columns.order_by("order")
    return {"todo": todo, "progress": progress, "review": review, "done": done}


def move(item, column, when):
    with clock.frozen_at(when):
        return services.work_item_move(item=item, column=column, actor=item.project.owner)


def snapshot(project, day: date) -> dict:
    return {
        field: getattr(snapshot_project_day(project, day), field)
        for field in project_snapshot_values(project, day)
    }


@pytest.fixture
def history(project):
    """MALL's first March week (Shanghai time):

    | item | type | created | started | done | cycle h | lead h | due |
    |---|---|---|---|---|---|---|---|
    | A | story | 02 09:00 | 03 09:00 | 05 09:00 | 48 | 72 | |
    | B | story | 02 09:00 | 05 09:00 | 09 21:00 | 108 | 180 | |
    | C | task | 03 10:00 | 03 12:00 | 06 12:00 | 72 | 74 | 06 (on time) |
    | D | task | 02 09:00 | 03 09:00 | 07 09:00 | 96 | 120 | 05 (late) |
    | E | bug | 06 15:00 | 08 10:00 (in review) | — | | | |
    | F | story | 08 11:00 | — | — | | | |

    Risks: R1 (4 × 5 = 20) opened 03 10:00 and closed 08 16:00; R2 (2 × 3 = 6) opened 04 11:00.
    """
    c = board(project)
    a = WorkItemFactory(project=project, when=at(2, 9), title="购物车结算", type="story")
    b = WorkItemFactory(project=project, when=at(2, 9), title="会员积分", type="story")
    d = WorkItemFactory(
        project=project, when=at(2, 9), title="订单导出", type="task", due_date=date(2026, 3, 5)
    )
    move(a, c["progress"], at(3, 9))
    move(d, c["progress"], at(3, 9))
    cc = WorkItemFactory(
        project=project, when=at(3, 10), title="优惠券校验", type="task", due_date=date(2026, 3, 6)
    )
    move(cc, c["progress"], at(3, 12))
    move(a, c["done"], at(5, 9))
    move(b, c["progress"], at(5, 9))
    move(cc, c["done"], at(6, 12))
    e = WorkItemFactory(project=project, when=at(6, 15), title="支付回调丢单", type="bug")
    move(d, c["done"], at(7, 9))
    move(e, c["review"], at(8, 10))
    WorkItemFactory(project=project, when=at(8, 11), title="直播带货入口", type="story")
    move(b, c["done"], at(9, 21))
    with clock.frozen_at(at(3, 10)):
        r1 = risk_services.risk_create(
            project=project,
            actor=project.owner,
            title="大促流量击穿",
            category="technical",
            probability=4,
            impact=5,
        )
    with clock.frozen_at(at(4, 11)):
        risk_services.risk_create(
            project=project,
            actor=project.owner,
            title="物流接口变更",
            category="third_party",
            probability=2,
            impact=3,
        )
    with clock.frozen_at(at(8, 16)):
        risk_services.risk_update(risk=r1, actor=project.owner, status="closed")
    return project


# ---------------------------------------------------------------- exact values per day


def test_a_past_day_shows_the_flow_at_that_days_end_not_todays_board(history):
    # Given the history above; today every item but E and F is done
    # When the snapshots of 4 and 6 March are computed (after the fact)
    day4 = snapshot(history, date(2026, 3, 4))
    day6 = snapshot(history, date(2026, 3, 6))

    # Then each counts the cards where they stood at that day's end (F did not exist yet)
    assert (day4["todo"], day4["in_progress"], day4["done"]) == (1, 3, 0)  # B | A C D
    assert (day6["todo"], day6["in_progress"], day6["done"]) == (1, 2, 2)  # E | B D | A C
    assert WorkItem.objects.filter(project=history, done_at__isnull=False).count() == 4


def test_end_of_week_snapshot_has_hand_computed_delivery_metrics(history):
    # When 9 March is snapshotted (window for "7 days": 3 March 00:00 – 10 March 00:00)
    values = snapshot(history, date(2026, 3, 9))

    # Then: the board at 9 March's end
    assert (values["todo"], values["in_progress"], values["done"]) == (1, 1, 4)
    # A, B, C, D were done in the week; two of them stories; one bug (E) was opened
    assert values["throughput_7d"] == 4
    assert values["stories_done_7d"] == 2
    assert values["bugs_opened_7d"] == 1
    # cycle hours 48, 72, 96, 108 → P50 = 72 + .5 × 24, P85 = 96 + .55 × 12 (PERCENTILE.INC)
    assert values["cycle_p50_hours"] == pytest.approx(84.0)
    assert values["cycle_p85_hours"] == pytest.approx(102.6)
    # lead hours 72, 74, 120, 180 → P50 = 74 + .5 × 46, P85 = 120 + .55 × 60
    assert values["lead_p50_hours"] == pytest.approx(97.0)
    assert values["lead_p85_hours"] == pytest.approx(153.0)
    # C (due 6th, done 6th) and D (due 5th, done 7th) were due: one on time
    assert (values["due_30d"], values["on_time_30d"]) == (2, 1)
    # R1 was closed on the 8th: only R2's 2 × 3 is still exposed
    assert values["risk_exposure"] == 6
    row = ProjectSnapshot.objects.get(project=history, date=date(2026, 3, 9))
    assert row.bug_rate == pytest.approx(50)  # percent, as the KPI stores it
    assert row.on_time_rate == pytest.approx(50)


def test_mid_week_snapshot_counts_only_what_had_happened_by_then(history):
    values = snapshot(history, date(2026, 3, 6))

    # A (5th) and C (6th) were done; B and D not yet
    assert values["throughput_7d"] == 2
    assert values["stories_done_7d"] == 1
    # cycle 48, 72 → P50 60, P85 48 + .85 × 24; lead 72, 74 → 73, 72 + .85 × 2
    assert values["cycle_p50_hours"] == pytest.approx(60.0)
    assert values["cycle_p85_hours"] == pytest.approx(68.4)
    assert values["lead_p50_hours"] == pytest.approx(73.0)
    assert values["lead_p85_hours"] == pytest.approx(73.7)
    assert (values["due_30d"], values["on_time_30d"]) == (2, 1)


def test_risk_exposure_follows_the_register_day_by_day(history):
    exposure = {d: snapshot(history, date(2026, 3, d))["risk_exposure"] for d in (2, 3, 4, 8, 9)}
    # nothing yet; R1 (20); R1 + R2 (26); R1 closed on the 8th at 16:00 → R2 only (6)
    assert exposure == {2: 0, 3: 20, 4: 26, 8: 6, 9: 6}


def test_a_day_before_anything_happened_is_all_zero(history):
    values = snapshot(history, date(2026, 3, 1))
    assert values["todo"] == values["in_progress"] == values["done"] == 0
    assert values["throughput_7d"] == 0
    assert values["cycle_p50_hours"] is None
    assert values["lead_p85_hours"] is None


# ---------------------------------------------------------------- idempotence and backfill


def test_computing_a_day_twice_leaves_one_row_with_the_same_values(history):
    day = date(2026, 3, 9)
    first = snapshot(history, day)
    second = snapshot(history, day)

    assert ProjectSnapshot.objects.filter(project=history, date=day).count() == 1
    assert second == first


def test_the_hourly_rerun_of_today_updates_todays_row_in_place(history):
    # Given today's snapshot taken at 10:00, then F is started at 11:00
    with clock.frozen_at(at(10, 10)):
        snapshots_compute()
    move(
        WorkItem.objects.get(project=history, title="直播带货入口"),
        board(history)["progress"],
        at(10, 11),
    )

    # When the next hourly run comes
    with clock.frozen_at(at(10, 12)):
        assert snapshots_compute() == 1

    # Then there is still one row for the day, now with F in progress
    rows = ProjectSnapshot.objects.filter(project=history)
    assert rows.count() == 1
    assert (rows[0].date, rows[0].todo, rows[0].in_progress) == (date(2026, 3, 10), 0, 2)


def test_backfill_gives_n_rows_per_project_ending_today(history, owner):
    other = make_project(owner=owner, key="OPS", name="运维平台", timezone_name="UTC")
    archived = make_project(owner=owner, key="OLD", name="旧商城")
    archived.archived = True
    archived.save(update_fields=["archived"])

    # When 7 days are backfilled, twice (the command is safe to re-run)
    with clock.frozen_at(at(10, 12)):
        assert snapshots_backfill(days=7) == 14
        snapshots_backfill(days=7)

    # Then each active project has exactly the 7 days 4–10 March; the archived one none
    for project in (history, other):
        days = list(
            ProjectSnapshot.objects.filter(project=project)
            .order_by("date")
            .values_list("date", flat=True)
        )
        assert days == [date(2026, 3, d) for d in range(4, 11)]
    assert not ProjectSnapshot.objects.filter(project=archived).exists()
    # and the backfilled days agree with the history
    day9 = ProjectSnapshot.objects.get(project=history, date=date(2026, 3, 9))
    assert (day9.done, day9.throughput_7d, day9.risk_exposure) == (4, 4, 6)


def test_backfill_command_for_one_project(history, owner):
    make_project(owner=owner, key="OPS", name="运维平台")
    from io import StringIO

    out = StringIO()
    with clock.frozen_at(at(10, 12)):
        call_command("metrics_backfill", "--days", "5", "--project", "mall", stdout=out)

    assert "5 project-days computed." in out.getvalue()
    assert ProjectSnapshot.objects.filter(project=history).count() == 5
    assert ProjectSnapshot.objects.count() == 5


# ---------------------------------------------------------------- time zones


def _done_at_1730_utc(project):
    c = board(project)
    item = WorkItemFactory(
        project=project, when=datetime(2026, 3, 10, 8, tzinfo=UTC), title="首页改版"
    )
    move(item, c["progress"], datetime(2026, 3, 10, 9, tzinfo=UTC))
    move(item, c["done"], datetime(2026, 3, 10, 17, 30, tzinfo=UTC))
    return item


@pytest.mark.parametrize(
    ("zone", "done_day"),
    [("Asia/Shanghai", date(2026, 3, 11)), ("UTC", date(2026, 3, 10))],
)
def test_an_item_done_at_1730_utc_counts_on_the_projects_local_day(owner, zone, done_day):
    # Given an item done on 10 March at 17:30 UTC (11 March 01:30 in Shanghai)
    project = make_project(owner=owner, key="TZ", timezone_name=zone)
    _done_at_1730_utc(project)

    # When the 10th and the 11th are snapshotted
    days = {d: snapshot(project, d) for d in (date(2026, 3, 10), date(2026, 3, 11))}

    # Then it is done on the project's local day, not before
    for day, values in days.items():
        expected = 1 if day >= done_day else 0
        assert (values["done"], values["throughput_7d"]) == (expected, expected), day
        assert values["in_progress"] == 1 - expected


def test_the_nightly_run_snapshots_each_project_on_its_own_today(owner):
    shanghai = make_project(owner=owner, key="SH", timezone_name="Asia/Shanghai")
    london = make_project(owner=owner, key="UK", timezone_name="UTC")

    with clock.frozen_at(datetime(2026, 3, 10, 17, 30, tzinfo=UTC)):
        assert snapshots_compute() == 2

    assert ProjectSnapshot.objects.get(project=shanghai).date == date(2026, 3, 11)
    assert ProjectSnapshot.objects.get(project=london).date == date(2026, 3, 10)


def test_on_time_means_done_by_the_end_of_the_due_date_in_the_projects_zone(project):
    c = board(project)
    late = WorkItemFactory(
        project=project, when=at(9, 10), title="发票抬头", type="task", due_date=date(2026, 3, 10)
    )
    move(late, c["progress"], at(9, 11))
    move(late, c["done"], at(11, 2))  # 10 March 18:00 UTC, but the 11th in Shanghai

    values = snapshot(project, date(2026, 3, 11))

    assert values["due_30d"] == 1
    assert values["on_time_30d"] == 0


# ---------------------------------------------------------------- cost


def _bulk_history(project, count: int) -> None:
    """`count` items over the month before 10 March: a third still to do, a third in
    progress, a third done; each with its column history."""
    c = board(project)
    start = at(1, 9)
    items = []
    for n in range(count):
        created = start + timedelta(hours=n % 200)
        state = n % 3
        items.append(
            WorkItem(
                project=project,
                number=n + 1,
                type="bug" if n % 5 == 0 else "story",
                title=f"批量 {n}",
                column=(c["todo"], c["progress"], c["done"])[state],
                rank=n * 1024,
                created_at=created,
                column_entered_at=created,
                started_at=created + timedelta(hours=2) if state else None,
                done_at=created + timedelta(hours=30) if state == 2 else None,
                due_date=date(2026, 3, 8) if n % 4 == 0 else None,
            )
        )
    items = WorkItem.objects.bulk_create(items, batch_size=500)
    changes = []
    for item in items:
        changes.append(
            ColumnChange(item=item, to_column=c["todo"], to_category="todo", at=item.created_at)
        )
        if item.started_at:
            changes.append(
                ColumnChange(
                    item=item,
                    from_column=c["todo"],
                    to_column=c["progress"],
                    to_category="in_progress",
                    at=item.started_at,
                )
            )
        if item.done_at:
            changes.append(
                ColumnChange(
                    item=item,
                    from_column=c["progress"],
                    to_column=c["done"],
                    to_category="done",
                    at=item.done_at,
                )
            )
    ColumnChange.objects.bulk_create(changes, batch_size=1000)


def test_a_snapshot_costs_the_same_queries_for_10_and_1000_items(owner):
    small = make_project(owner=owner, key="SMALL")
    big = make_project(owner=owner, key="BIG")
    _bulk_history(small, 10)
    _bulk_history(big, 1000)
    day = date(2026, 3, 10)

    counts = {}
    for project in (small, big):
        with CaptureQueriesContext(connection) as ctx:
            row = snapshot_project_day(project, day)
        # Savepoints are the test's transaction showing through, not work.
        counts[project.key] = sum(
            not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
            for q in ctx.captured_queries
        )
        assert (
            row.todo + row.in_progress + row.done
            == WorkItem.objects.filter(project=project).count()
        )

    # Delivery counts, percentiles, exposure, velocity, requirement delivery and the
    # computed KPIs' lookup: a fixed number, whatever the size.
    assert counts["SMALL"] == counts["BIG"] <= 10, counts
    assert ProjectSnapshot.objects.get(project=big).done == 333
