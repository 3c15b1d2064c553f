"""Engineering KPIs the portal computes itself (DESIGN §4: velocity, throughput, cycle and
lead time, bug rate, on-time rate; plus the requirement delivery cycle in weeks).

A history is written through the real services at pinned moments (the clock seam): cards
moving across MALL's board, sprints started and closed, requirements triaged and shipped.
Each day's snapshot and KPI data points are then checked against numbers worked out by
hand. Times are Asia/Shanghai (MALL's time zone) unless said otherwise.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.html import Element, parse_html
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from kpis.models import KPI, KPIDataPoint, Source, Unit
from metrics import services as kpi_services
from metrics.engineering import ENGINEERING_KPIS, engineering_kpis_enable
from metrics.models import ProjectSnapshot
from metrics.snapshots import snapshot_project_day, snapshots_compute
from metrics.templatetags.metric_tags import kpi_value
from portal import clock
from portal.errors import ApplicationError
from portal.models import Activity
from requirements import services as req_services
from tests.conftest import api_as
from tests.projects.board_factories import (
    DOING,
    DONE,
    close_sprint,
    column,
    make_item,
    make_sprint,
    move,
    start_sprint,
)

pytestmark = pytest.mark.django_db

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
KPIS = reverse("metrics:kpis")
CODES = [
    "velocity",
    "throughput",
    "cycle_time_p50",
    "cycle_time_p85",
    "lead_time_p50",
    "bug_rate",
    "on_time_rate",
    "delivery_cycle",
]


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment in 2026, Shanghai time."""
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


def points(project, day: date) -> dict[str, str]:
    """KPI code → value on `day` for the project's computed KPIs, as people read it."""
    rows = KPIDataPoint.objects.filter(
        kpi__project=project, kpi__source=Source.COMPUTED, date=day
    ).select_related("kpi")
    return {p.kpi.code: f"{p.value.normalize():f}" for p in rows}


def all_points(project) -> list[tuple]:
    return list(
        KPIDataPoint.objects.filter(kpi__project=project)
        .order_by("kpi__code", "date")
        .values_list("pk", "kpi__code", "date", "value")
    )


def enable(project, actor, language="zh-hans") -> list[KPI]:
    return engineering_kpis_enable(project=project, actor=actor, language=language)


def ship(
    project,
    actor,
    title: str,
    *,
    triaged: datetime,
    done: datetime | None = None,
    target: date | None = None,
    created: datetime | None = None,
):
    """A requirement taken through the backlog as a PM does: created, triaged, planned,
    started and (when `done` is given) done, each at its own pinned moment."""
    with clock.frozen_at(created or triaged - timedelta(days=2)):
        requirement = req_services.requirement_create(
            project=project, actor=actor, title=title, target_date=target
        )
    with clock.frozen_at(triaged):
        requirement = req_services.requirement_triage(
            requirement=requirement, actor=actor, moscow="must", priority="P1"
        )
    with clock.frozen_at(triaged + timedelta(minutes=1)):
        requirement = req_services.requirement_update(
            requirement=requirement, actor=actor, status="planned"
        )
    with clock.frozen_at(triaged + timedelta(minutes=2)):
        requirement = req_services.requirement_update(
            requirement=requirement, actor=actor, status="in_progress"
        )
    if done is not None:
        with clock.frozen_at(done):
            requirement = req_services.requirement_update(
                requirement=requirement, actor=actor, status="done"
            )
    return requirement


# ---------------------------------------------------------------- the history


@pytest.fixture
def sprints(project, owner):
    """Four two-week sprints in June–July, each closed on its last day at 18:00 with
    5, 8, 13 and 21 points done (and a 3-point card left unfinished in each).

    Long before October, so their cards stay out of October's cycle-time windows.
    """
    done = column(project, DONE)
    closed = []
    for index, points_done in enumerate([5, 8, 13, 21]):
        start = date(2026, 6, 1) + timedelta(days=14 * index)
        sprint = make_sprint(project, owner, start, name=f"S{index + 1}")
        when = datetime.combine(start, datetime.min.time(), tzinfo=SH) + timedelta(hours=9)
        make_item(project, owner, sprint=sprint, story_points=points_done, column=done, when=when)
        make_item(project, owner, sprint=sprint, story_points=3, when=when)
        # started in the evening, once the previous sprint closed that day at 18:00
        start_sprint(sprint, owner, when=when + timedelta(hours=9, minutes=30))
        end = datetime.combine(sprint.end, datetime.min.time(), tzinfo=SH)
        closed.append(close_sprint(sprint, owner, when=end + timedelta(hours=18)))
    return closed


@pytest.fixture
def board(project, owner):
    """MALL's cards in late October:

    | card | type | created | started | done | cycle h | lead h | due |
    |---|---|---|---|---|---|---|---|
    | A | story | 20 09:00 | 21 09:00 | 23 09:00 | 48 | 72 | 23 (on time) |
    | B | story | 20 09:00 | 22 09:00 | 26 09:00 | 96 | 144 | 24 (late) |
    | C | bug | 27 10:00 | — | — | | | |
    """
    a = make_item(
        project, owner, "购物车结算", type="story", due_date=date(2026, 10, 23), when=at(10, 20)
    )
    b = make_item(
        project, owner, "会员积分", type="story", due_date=date(2026, 10, 24), when=at(10, 20)
    )
    move(a, DOING, owner, when=at(10, 21))
    move(b, DOING, owner, when=at(10, 22))
    move(a, DONE, owner, when=at(10, 23))
    move(b, DONE, owner, when=at(10, 26))
    make_item(project, owner, "支付回调丢单", type="bug", when=at(10, 27, 10))
    return project


@pytest.fixture
def deliveries(project, owner):
    """Requirements shipped around October:

    | req | triaged | done | weeks | target |
    |---|---|---|---|---|
    | R1 | 08-20 09:00 | 09-24 09:00 | 5.0 | |
    | R2 | 10-01 09:00 | 10-22 09:00 | 3.0 | 10-25 (on time) |
    | R3 | 10-05 09:00 | 10-19 09:00 | 2.0 | 10-19 (on time) |
    | R4 | 10-02 09:00 | 10-30 09:00 | 4.0 | 11-10 (not due in October) |
    """
    return [
        ship(project, owner, "老版本下线", triaged=at(8, 20), done=at(9, 24)),
        ship(
            project,
            owner,
            "购物车改版",
            triaged=at(10, 1),
            done=at(10, 22),
            target=date(2026, 10, 25),
        ),
        ship(
            project,
            owner,
            "会员积分",
            triaged=at(10, 5),
            done=at(10, 19),
            target=date(2026, 10, 19),
        ),
        ship(
            project,
            owner,
            "直播带货",
            triaged=at(10, 2),
            done=at(10, 30),
            target=date(2026, 11, 10),
        ),
    ]


# ---------------------------------------------------------------- the KPI definitions


def test_the_eight_engineering_kpis():
    by_code = {k.code: k for k in ENGINEERING_KPIS}

    assert [k.code for k in ENGINEERING_KPIS] == CODES
    assert {c: (by_code[c].unit, by_code[c].direction) for c in CODES} == {
        "velocity": (Unit.COUNT, "higher"),
        "throughput": (Unit.COUNT, "higher"),
        "cycle_time_p50": (Unit.DURATION, "lower"),
        "cycle_time_p85": (Unit.DURATION, "lower"),
        "lead_time_p50": (Unit.DURATION, "lower"),
        "bug_rate": (Unit.PERCENT, "lower"),
        "on_time_rate": (Unit.PERCENT, "higher"),
        "delivery_cycle": (Unit.WEEKS, "lower"),
    }
    assert all(k.zh and k.en and k.description_zh and k.description_en for k in ENGINEERING_KPIS)


# ---------------------------------------------------------------- enabling them


def test_enabling_adds_them_as_computed_project_kpis(project, member):
    created = enable(project, member)

    assert [k.code for k in created] == CODES
    kpis = {k.code: k for k in KPI.objects.filter(project=project)}
    assert set(kpis) == set(CODES)
    assert {k.source for k in kpis.values()} == {Source.COMPUTED}
    assert kpis["delivery_cycle"].name == "需求交付周期"
    assert kpis["delivery_cycle"].unit == Unit.WEEKS
    assert kpis["delivery_cycle"].target == D("4")
    assert kpis["on_time_rate"].target == D("90")
    assert kpis["velocity"].target is None
    assert all(k.currency == "" and k.created_by == member for k in kpis.values())
    assert Activity.objects.filter(verb="kpi.created", project=project).count() == 8


def test_enabling_in_english_names_them_in_english(project, member):
    enable(project, member, language="en")

    names = dict(KPI.objects.filter(project=project).values_list("code", "name"))
    assert names["delivery_cycle"] == "Requirement delivery cycle"
    assert names["velocity"] == "Velocity"


def test_enabling_twice_adds_nothing(project, member):
    enable(project, member)
    before = (list(KPI.objects.values_list("pk", "code")), Activity.objects.count())

    again = enable(project, member)

    assert again == []
    assert (list(KPI.objects.values_list("pk", "code")), Activity.objects.count()) == before


def test_a_code_the_project_already_uses_is_left_alone(board, sprints, project, member, staff):
    # MALL's team already pushes its own "velocity"; the company has one too
    own = kpi_services.kpi_create(
        actor=member, project=project, name="我们的速度", code="velocity", unit="count"
    )
    kpi_services.kpi_points_upsert(
        kpi=own, actor=member, rows=[{"date": "2026-10-28", "value": "30"}]
    )
    kpi_services.kpi_create(actor=staff, name="公司速度", code="velocity", unit="count")

    created = enable(project, member)
    snapshot_project_day(project, date(2026, 10, 28))

    assert [k.code for k in created] == [c for c in CODES if c != "velocity"]
    own.refresh_from_db()
    assert (own.name, own.source) == ("我们的速度", Source.MANUAL)
    # the hand-pushed value is not overwritten by the computed one (14)
    assert [(p.date, p.value) for p in own.points.all()] == [(date(2026, 10, 28), D("30"))]
    assert "velocity" not in points(project, date(2026, 10, 28))
    assert points(project, date(2026, 10, 28))["throughput"] == "2"


def test_enabling_fills_their_history_from_the_snapshots_already_computed(
    board, sprints, deliveries, project, member
):
    # Given three days already snapshotted before anyone enabled the KPIs
    for day in (26, 27, 28):
        snapshot_project_day(project, date(2026, 10, day))
    assert not KPIDataPoint.objects.exists()

    # When the team enables them
    enable(project, member)

    # Then each day has its points, from the stored snapshots
    assert sorted({d for _pk, _c, d, _v in all_points(project)}) == [
        date(2026, 10, 26),
        date(2026, 10, 27),
        date(2026, 10, 28),
    ]
    assert points(project, date(2026, 10, 28)) == EXPECTED_OCT_28
    # the bug (opened on the 27th) moves the bug rate from 0 % to 50 %
    assert points(project, date(2026, 10, 26))["bug_rate"] == "0"
    assert points(project, date(2026, 10, 28))["bug_rate"] == "50"


# ---------------------------------------------------------------- the numbers


# 28 October, worked out by hand from the fixtures' tables:
EXPECTED_OCT_28 = {
    "velocity": "14",  # (8 + 13 + 21) / 3: the last three sprints closed (S2–S4)
    "throughput": "2",  # A (23rd) and B (26th) done in 22–28 October
    "cycle_time_p50": "3",  # median of 48 h and 96 h = 72 h = 3 days
    "cycle_time_p85": "3.7",  # 48 + 0.85 × 48 = 88.8 h = 3.7 days
    "lead_time_p50": "4.5",  # median of 72 h and 144 h = 108 h
    "bug_rate": "50",  # one bug opened ÷ two stories done
    "on_time_rate": "75",  # cards: A of A, B; requirements: R2 and R3 of R2, R3
    "delivery_cycle": "2.5",  # R2 3.0 w and R3 2.0 w done in the 30 days
}


def test_a_days_snapshot_writes_every_engineering_kpi(board, sprints, deliveries, project, member):
    enable(project, member)

    snapshot = snapshot_project_day(project, date(2026, 10, 28))

    assert snapshot.velocity == pytest.approx(14.0)
    assert snapshot.requirements_done_30d == 2
    assert snapshot.delivery_p50_weeks == pytest.approx(2.5)
    assert snapshot.delivery_p85_weeks == pytest.approx(2.85)
    assert (snapshot.requirements_due_30d, snapshot.requirements_on_time_30d) == (2, 2)
    assert (snapshot.due_30d, snapshot.on_time_30d) == (2, 1)
    assert points(project, date(2026, 10, 28)) == EXPECTED_OCT_28


def test_a_requirement_triaged_on_the_first_and_done_three_weeks_later(project, owner):
    ship(project, owner, "购物车改版", triaged=at(10, 1), done=at(10, 22))

    snapshot = snapshot_project_day(project, date(2026, 10, 22))

    assert snapshot.requirements_done_30d == 1
    assert snapshot.delivery_p50_weeks == pytest.approx(3.0)
    assert snapshot.delivery_p85_weeks == pytest.approx(3.0)


def test_delivery_cycle_covers_the_requirements_done_in_the_last_30_days(
    deliveries, project, owner
):
    # A requirement still in progress and one rejected never count
    ship(project, owner, "还在做", triaged=at(10, 3))
    with clock.frozen_at(at(10, 4)):
        rejected = req_services.requirement_create(project=project, actor=owner, title="不做了")
        req_services.requirement_reject(requirement=rejected, actor=owner, reason="重复需求")

    oct_31 = snapshot_project_day(project, date(2026, 10, 31))
    oct_22 = snapshot_project_day(project, date(2026, 10, 22))
    oct_18 = snapshot_project_day(project, date(2026, 10, 18))

    # 31 Oct: window 2 Oct 00:00 – 1 Nov 00:00 holds R2 (3 w), R3 (2 w), R4 (4 w)
    assert oct_31.requirements_done_30d == 3
    assert oct_31.delivery_p50_weeks == pytest.approx(3.0)
    assert oct_31.delivery_p85_weeks == pytest.approx(3.7)  # 3 + 0.7 × (4 − 3)
    # 22 Oct: R1 (5 w, done 24 Sept) still in the window; R4 not done yet
    assert oct_22.requirements_done_30d == 3
    assert oct_22.delivery_p50_weeks == pytest.approx(3.0)
    assert oct_22.delivery_p85_weeks == pytest.approx(4.4)  # 3 + 0.7 × (5 − 3)
    # 18 Oct: only R1
    assert oct_18.requirements_done_30d == 1
    assert oct_18.delivery_p50_weeks == pytest.approx(5.0)


def test_no_requirement_done_means_no_delivery_cycle_point(project, owner, member):
    ship(project, owner, "还在做", triaged=at(10, 3))
    enable(project, member)

    snapshot = snapshot_project_day(project, date(2026, 10, 22))

    assert snapshot.requirements_done_30d == 0
    assert snapshot.delivery_p50_weeks is None
    assert "delivery_cycle" not in points(project, date(2026, 10, 22))
    assert "on_time_rate" not in points(project, date(2026, 10, 22))  # nothing was due


@pytest.fixture
def due_on_the_20th(project, owner):
    """Two requirements due 20 October: one done at 23:30 that evening (Shanghai), the
    other at 00:30 the next morning. In UTC both are done on the 20th."""
    return (
        ship(
            project,
            owner,
            "双十一预热页",
            triaged=at(10, 6, 23, 30),
            done=at(10, 20, 23, 30),
            target=date(2026, 10, 20),
        ),
        ship(
            project,
            owner,
            "优惠券叠加",
            triaged=at(10, 7, 0, 30),
            done=at(10, 21, 0, 30),
            target=date(2026, 10, 20),
        ),
    )


def test_done_by_the_end_of_the_target_date_in_the_projects_time_zone(
    due_on_the_20th, project, member
):
    enable(project, member)

    oct_20 = snapshot_project_day(project, date(2026, 10, 20))
    oct_21 = snapshot_project_day(project, date(2026, 10, 21))

    # 23:30 on the target date is on time; 00:30 the next day is not
    assert (oct_20.requirements_due_30d, oct_20.requirements_on_time_30d) == (2, 1)
    assert (oct_21.requirements_due_30d, oct_21.requirements_on_time_30d) == (2, 1)
    assert points(project, date(2026, 10, 20))["on_time_rate"] == "50"
    assert points(project, date(2026, 10, 21))["on_time_rate"] == "50"
    # both took exactly two weeks from triage
    assert points(project, date(2026, 10, 21))["delivery_cycle"] == "2"


def test_due_requirements_exclude_rejected_ones_and_count_open_ones_as_late(
    due_on_the_20th, project, owner
):
    with clock.frozen_at(at(10, 10)):
        dropped = req_services.requirement_create(
            project=project, actor=owner, title="砍掉的需求", target_date=date(2026, 10, 25)
        )
        req_services.requirement_reject(requirement=dropped, actor=owner, reason="不做了")
    ship(project, owner, "没赶上", triaged=at(10, 8), target=date(2026, 10, 26))
    ship(project, owner, "下个月的", triaged=at(10, 8), target=date(2026, 11, 5))
    ship(project, owner, "九月的", triaged=at(9, 1), done=at(9, 10), target=date(2026, 9, 15))

    oct_31 = snapshot_project_day(project, date(2026, 10, 31))
    nov_20 = snapshot_project_day(project, date(2026, 11, 20))

    # 31 Oct: due 1–31 Oct (the rejected one never counts): the two of the 20th and 没赶上
    assert (oct_31.requirements_due_30d, oct_31.requirements_on_time_30d) == (3, 1)
    # 20 Nov: the window (21 Oct – 20 Nov) holds 没赶上 and 下个月的, neither done
    assert (nov_20.requirements_due_30d, nov_20.requirements_on_time_30d) == (2, 0)


def test_velocity_is_the_mean_of_the_last_three_sprints_closed_by_that_day(
    sprints, project, member
):
    enable(project, member)

    by_day = {
        day: snapshot_project_day(project, day).velocity
        for day in (
            date(2026, 6, 10),  # nothing closed yet
            date(2026, 6, 15),  # S1 closed that evening
            date(2026, 6, 30),  # S1, S2
            date(2026, 7, 20),  # S1–S3
            date(2026, 7, 27),  # S2–S4: S1 no longer counts
        )
    }

    assert by_day[date(2026, 6, 10)] is None
    assert by_day[date(2026, 6, 15)] == pytest.approx(5.0)
    assert by_day[date(2026, 6, 30)] == pytest.approx(6.5)
    assert by_day[date(2026, 7, 20)] == pytest.approx(26 / 3)
    assert by_day[date(2026, 7, 27)] == pytest.approx(14.0)
    assert "velocity" not in points(project, date(2026, 6, 10))
    assert points(project, date(2026, 7, 20))["velocity"] == "8.67"
    assert points(project, date(2026, 7, 27))["velocity"] == "14"


@pytest.mark.parametrize(
    ("closed_on", "day", "expected"),
    [
        (date(2026, 6, 17), date(2026, 6, 16), None),  # closed two days late
        (date(2026, 6, 12), date(2026, 6, 13), 5.0),  # closed three days early
    ],
    ids=["closed-late", "closed-early"],
)
def test_velocity_counts_a_sprint_from_the_day_it_was_closed(
    project, owner, closed_on, day, expected
):
    sprint = make_sprint(project, owner, date(2026, 6, 1), name="S1")  # planned end: 15 June
    make_item(
        project, owner, sprint=sprint, story_points=5, column=column(project, DONE), when=at(6, 1)
    )
    start_sprint(sprint, owner, when=at(6, 1, 9, 5))
    close_sprint(
        sprint,
        owner,
        when=datetime.combine(closed_on, datetime.min.time(), tzinfo=SH) + timedelta(hours=18),
    )

    assert snapshot_project_day(project, day).velocity == expected


# ---------------------------------------------------------------- upserts


def test_running_a_day_twice_gives_the_same_rows(board, sprints, deliveries, project, member):
    enable(project, member)
    snapshot_project_day(project, date(2026, 10, 28))
    first = (all_points(project), list(ProjectSnapshot.objects.values_list("pk", "date")))

    snapshot_project_day(project, date(2026, 10, 28))

    assert (all_points(project), list(ProjectSnapshot.objects.values_list("pk", "date"))) == first
    assert len(first[0]) == 8


def test_the_daily_run_writes_the_points(board, sprints, deliveries, project, member):
    enable(project, member)

    snapshots_compute(day=date(2026, 10, 28), projects=[project])

    assert points(project, date(2026, 10, 28)) == EXPECTED_OCT_28


def test_kpis_not_enabled_get_no_points(board, sprints, deliveries, project):
    snapshot_project_day(project, date(2026, 10, 28))

    assert not KPIDataPoint.objects.exists()
    assert ProjectSnapshot.objects.get(project=project).delivery_p50_weeks == pytest.approx(2.5)


def test_a_recomputed_day_without_a_value_drops_the_old_point(project, owner, member):
    requirement = ship(project, owner, "购物车改版", triaged=at(10, 1), done=at(10, 22))
    enable(project, member)
    snapshot_project_day(project, date(2026, 10, 22))
    assert points(project, date(2026, 10, 22))["delivery_cycle"] == "3"

    # Reopened the next day, so it was never really delivered; the day is recomputed
    with clock.frozen_at(at(10, 23)):
        req_services.requirement_update(requirement=requirement, actor=owner, status="in_progress")
    snapshot = snapshot_project_day(project, date(2026, 10, 22))

    assert snapshot.delivery_p50_weeks is None
    assert "delivery_cycle" not in points(project, date(2026, 10, 22))


def test_snapshot_queries_do_not_grow_with_the_backlog(project, owner, member):
    enable(project, member)
    ship(project, owner, "第一个", triaged=at(10, 1), done=at(10, 20), target=date(2026, 10, 20))
    snapshot_project_day(project, date(2026, 10, 28))  # both measured runs are recomputes

    with CaptureQueriesContext(connection) as few:
        snapshot_project_day(project, date(2026, 10, 28))
    for n in range(15):
        ship(
            project,
            owner,
            f"需求 {n}",
            triaged=at(10, 1, 10 + n % 8),
            done=at(10, 21 + n % 5),
            target=date(2026, 10, 15 + n),
        )
    with CaptureQueriesContext(connection) as many:
        snapshot_project_day(project, date(2026, 10, 28))

    assert len(many) == len(few)
    assert ProjectSnapshot.objects.get(date=date(2026, 10, 28)).requirements_done_30d == 16


# ---------------------------------------------------------------- no hand-entered values


@pytest.fixture
def computed(project, member):
    enable(project, member)
    return KPI.objects.get(project=project, code="delivery_cycle")


def test_values_cannot_be_entered_for_a_computed_kpi(computed, member):
    before = all_points(computed.project)

    with pytest.raises(ApplicationError) as caught:
        kpi_services.kpi_points_upsert(
            kpi=computed, actor=member, rows=[{"date": "2026-10-28", "value": "1.5"}]
        )

    assert caught.value.field == "points"
    assert all_points(computed.project) == before


def test_the_push_api_refuses_a_computed_kpi_and_takes_a_manual_one(computed, project, member):
    manual = kpi_services.kpi_create(
        actor=member, project=project, name="退货率", code="return_rate", unit="percent"
    )
    rows = [{"date": "2026-10-28", "value": "1.5"}]

    refused = api_as(member).post(f"/api/v1/kpis/{computed.pk}/points/", rows, format="json")
    taken = api_as(member).post(f"/api/v1/kpis/{manual.pk}/points/", rows, format="json")

    assert refused.status_code == 400
    assert list(refused.json()) == ["points"]
    assert not computed.points.exists()
    assert taken.status_code == 200
    assert manual.points.count() == 1


def test_the_api_lists_them_as_computed(computed, project, member):
    body = api_as(member).get("/api/v1/kpis/", {"project": project.pk}).json()

    rows = {r["code"]: r for r in body["results"]}
    assert set(rows) == set(CODES)
    assert {r["source"] for r in rows.values()} == {"computed"}
    assert rows["delivery_cycle"]["unit"] == "weeks"


# ---------------------------------------------------------------- the KPI board


def parsed(response) -> Element:
    return parse_html(response.content.decode())


def find_all(within, tag: str | None = None, **attrs: str | None) -> list[Element]:
    """Elements whose attributes match (`data_kpi="gmv"` → data-kpi="gmv"; None: has it)."""
    wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
    found: list[Element] = []

    def walk(node) -> None:
        if isinstance(node, str):
            return
        node_attrs = dict(node.attributes)
        if (tag is None or node.name == tag) and all(
            (k in node_attrs) if v is None else node_attrs.get(k) == v for k, v in wanted.items()
        ):
            found.append(node)
        for child in node.children:
            walk(child)

    walk(within)
    return found


def text(node) -> str:
    if isinstance(node, str):
        return node
    return " ".join(t for t in (text(c) for c in node.children) if t).strip()


def tiles(response) -> dict[str, str]:
    """KPI code → the value its tile shows."""
    shown = {}
    for tile in find_all(parsed(response), "section", data_kpi=None):
        (value,) = find_all(tile, "div", data_value=None)
        shown[dict(tile.attributes)["data-kpi"]] = text(value)
    return shown


def post_actions(within) -> list[str]:
    """The `action` of every form that writes."""
    return [
        dict(i.attributes)["value"]
        for form in find_all(within, "form", method="post")
        for i in find_all(form, "input", name="action")
    ]


def board_url(key="MALL") -> str:
    return f"{KPIS}?project={key}"


@pytest.mark.parametrize("who", ["owner", "member"])
def test_a_project_member_turns_them_on_from_the_kpi_board(request, client, project, who):
    client.force_login(request.getfixturevalue(who))

    response = client.post(board_url(), {"action": "engineering", "project_key": "MALL"})

    assert response.status_code == 302
    assert response["Location"] == board_url()
    assert set(KPI.objects.filter(project=project).values_list("code", flat=True)) == set(CODES)
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]
    page = client.get(board_url())
    assert set(tiles(page)) == set(CODES)


def test_turning_them_on_again_says_so_and_adds_nothing(client, project, member):
    client.force_login(member)
    client.post(board_url(), {"action": "engineering", "project_key": "MALL"}, follow=True)
    before = list(KPI.objects.values_list("pk", flat=True))

    response = client.post(board_url(), {"action": "engineering", "project_key": "MALL"})

    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["info"]
    assert list(KPI.objects.values_list("pk", flat=True)) == before


def test_the_board_offers_the_button_to_editors_only(client, project, member, viewer):
    client.force_login(member)
    as_member = parsed(client.get(board_url()))
    client.force_login(viewer)
    as_viewer = parsed(client.get(board_url()))
    company = parsed(client.get(KPIS))

    assert "engineering" in post_actions(as_member)
    assert find_all(as_member, "button", data_action="engineering")
    assert "engineering" not in post_actions(as_viewer)
    assert "engineering" not in post_actions(company)


@pytest.mark.parametrize(
    ("who", "expected"),
    [("viewer", 302), ("outsider", 404), ("anonymous", "login")],
)
def test_others_cannot_turn_them_on(request, client, project, viewer, outsider, who, expected):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))

    response = client.post(board_url(), {"action": "engineering", "project_key": "MALL"})

    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:login"))
    else:
        assert response.status_code == expected
    if who == "viewer":
        assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    assert not KPI.objects.exists()
    assert not Activity.objects.filter(verb="kpi.created").exists()


def test_the_tiles_show_weeks_and_days(board, sprints, deliveries, client, project, member):
    enable(project, member)
    snapshot_project_day(project, date(2026, 10, 28))
    client.force_login(member)

    shown = tiles(client.get(board_url()))

    # In the member's language (zh-Hans): weeks and days in Chinese units.
    assert shown["delivery_cycle"] == "2.5周"
    assert shown["cycle_time_p50"] == "3天"
    assert shown["on_time_rate"] == "75%"
    assert shown["velocity"] == "14"


def test_a_computed_tile_refuses_a_typed_value(computed, client, project, member):
    client.force_login(member)

    response = client.post(
        board_url(),
        {
            "action": "point",
            "kpi": computed.pk,
            "project_key": "MALL",
            f"p{computed.pk}-date": "2026-10-28",
            f"p{computed.pk}-value": "1.5",
        },
        follow=True,
    )

    # Back on the board (like any refused value), saying why, nothing saved.
    assert response.status_code == 200
    with translation.override(member.language):
        refusal = gettext(
            "The portal computes this KPI from its own data; values cannot be entered."
        )
    assert refusal in response.content.decode()
    assert not computed.points.exists()


def test_a_csv_upload_to_a_computed_kpi_is_refused(computed, client, member):
    client.force_login(member)
    upload = SimpleUploadedFile("points.csv", b"date,value\n2026-10-28,1.5\n", "text/csv")

    response = client.post(
        board_url(),
        {"action": "csv", "kpi": computed.pk, "project_key": "MALL", "file": upload},
    )

    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    assert not computed.points.exists()


def test_a_computed_tile_offers_no_value_entry(computed, client, member):
    client.force_login(member)

    page = parsed(client.get(board_url()))

    (tile,) = find_all(page, "section", data_kpi="delivery_cycle")
    assert post_actions(tile) == []


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [
        ("zh-hans", D("3"), "3周"),
        ("zh-hans", D("2.5"), "2.5周"),
        ("zh-hans", D("3.14"), "3.1周"),
        ("en", D("3"), "3 weeks"),
        ("en", D("1"), "1 week"),
        ("en", D("3.14"), "3.1 weeks"),
    ],
)
def test_weeks_render_in_the_readers_language(language, value, shown):
    with translation.override(language):
        assert kpi_value(value, KPI(unit=Unit.WEEKS)) == shown
