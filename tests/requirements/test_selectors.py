"""Backlog reads: the filters and sorts of the backlog page, the MoSCoW-by-phase summary,
the Kano scatter, the triage queue and work-item progress, at a fixed query cost."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics import services as metrics_services
from portal import clock
from requirements import selectors, services
from requirements.models import Requirement
from tests.projects.board_factories import DONE, move
from tests.projects.factories import make_project
from tests.requirements.factories import make_requirement, triaged

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def keys(project, **filters) -> list[str]:
    return [r.key for r in selectors.requirement_backlog(project=project, filters=filters)]


@pytest.fixture
def backlog(project, owner):
    """A small backlog of MALL, one requirement of each kind, in this rank order:

    R1 微信支付      new,     no MoSCoW, no Kano, no priority, no phase
    R2 优惠券叠加     triaged, must,  performance, P0, phase 1, tags 大促/营销
    R3 直播带货       planned, should, attractive, P2, phase 2, tag 直播
    R4 会员积分       done,    could, indifferent, P1, phase 1
    R5 紫色主题       rejected, wont, reverse,     P3, no phase
    R6 客服机器人     in_progress, must, must_be,   P1, phase 2, requester 客服部
    """
    make_requirement(project, title="微信支付", description="接入微信支付分")
    triaged(
        project,
        title="优惠券叠加",
        moscow="must",
        kano="performance",
        priority="P0",
        phase=1,
        tags="大促，营销",
    )
    triaged(
        project,
        title="直播带货",
        moscow="should",
        kano="attractive",
        priority="P2",
        phase=2,
        tags="直播",
        status="planned",
    )
    triaged(
        project,
        title="会员积分",
        moscow="could",
        kano="indifferent",
        priority="P1",
        phase=1,
        status="done",
    )
    make_requirement(
        project,
        title="紫色主题",
        moscow="wont",
        kano="reverse",
        priority="P3",
        status="rejected",
        rejection_reason="不符合品牌",
    )
    triaged(
        project,
        title="客服机器人",
        moscow="must",
        kano="must_be",
        priority="P1",
        phase=2,
        status="in_progress",
        requester="客服部",
    )
    # Noise from another project that no filter may bring in
    other = make_project(owner=owner, key="POS")
    triaged(other, title="微信支付", priority="P0", tags="大促", phase=1)


# ---------------------------------------------------------------- filters


def test_the_unfiltered_backlog_is_the_project_in_rank_order(project, backlog):
    assert keys(project) == [f"MALL-R{n}" for n in range(1, 7)]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "new"}, [1]),
        ({"status": ["triaged", "planned"]}, [2, 3]),
        ({"moscow": ["must"]}, [2, 6]),
        ({"moscow": ["must", "could"]}, [2, 4, 6]),
        ({"moscow": [""]}, [1]),
        ({"moscow": ["", "wont"]}, [1, 5]),
        ({"kano": [""]}, [1]),
        ({"kano": ["attractive", "must_be"]}, [3, 6]),
        ({"priority": ["P0", "P1"]}, [2, 4, 6]),
        ({"priority": [""]}, [1]),
        ({"priority": ["", "P3"]}, [1, 5]),
        ({"phase": 1}, [2, 4]),
        ({"phase": 2}, [3, 6]),
        ({"phase": 0}, [1, 5]),
        ({"phase": 3}, []),
        ({"open": True}, [1, 2, 3, 6]),
        ({"open": True, "moscow": ["must"], "phase": 2}, [6]),
        ({"status": [], "moscow": None, "phase": ""}, [1, 2, 3, 4, 5, 6]),
    ],
)
def test_backlog_filters(project, backlog, filters, expected):
    assert keys(project, **filters) == [f"MALL-R{n}" for n in expected]


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("大促", [2]), ("营销", [2]), ("直播", [3]), (" 直播 ", [3]), ("大", []), ("促", [])],
)
def test_tag_filter_matches_whole_chinese_tags(project, backlog, tag, expected):
    assert keys(project, tag=tag) == [f"MALL-R{n}" for n in expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("优惠券", [2]),
        ("微信支付分", [1]),  # in the description
        ("客服部", [6]),  # the requester
        ("MALL-R3", [3]),
        ("mall-r3", [3]),
        ("MALL-R5", [5]),
        ("4", [4]),
        ("MALL-R99", []),
        ("  直播  ", [3]),
    ],
)
def test_text_search_looks_in_title_description_requester_and_key(project, backlog, text, expected):
    assert keys(project, q=text) == [f"MALL-R{n}" for n in expected]


def test_key_search_finds_that_one_requirement_not_those_starting_with_its_digits(project):
    for n in range(1, 13):
        make_requirement(project, title=f"需求{'一二三四五六七八九十'[n % 10]}")
    assert keys(project, q="MALL-R1") == ["MALL-R1"]
    assert keys(project, q="MALL-R12") == ["MALL-R12"]


# ---------------------------------------------------------------- sorts


@pytest.fixture
def scored(project):
    """R1 no scores; R2 RICE 100, WSJF 2; R3 RICE 800, no WSJF; R4 RICE 100, WSJF 8.67; R5 only P1."""
    make_requirement(project, title="未评分")
    make_requirement(
        project,
        reach=500,
        impact=D("1"),
        confidence=40,
        effort=D("2"),
        business_value=3,
        time_criticality=2,
        risk_reduction=1,
        job_size=3,
        priority="P2",
    )
    make_requirement(
        project, reach=1000, impact=D("2"), confidence=80, effort=D("2"), priority="P0"
    )
    make_requirement(
        project,
        reach=100,
        impact=D("1"),
        confidence=100,
        effort=D("1"),
        business_value=13,
        time_criticality=8,
        risk_reduction=5,
        job_size=3,
    )
    make_requirement(project, title="P1", priority="P1")


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("rank", [1, 2, 3, 4, 5]),
        ("", [1, 2, 3, 4, 5]),
        ("nonsense", [1, 2, 3, 4, 5]),
        # Highest first, equal scores by rank, unscored last
        ("rice", [3, 2, 4, 1, 5]),
        ("wsjf", [4, 2, 1, 3, 5]),
        # P0 first, no priority last
        ("priority", [3, 5, 2, 1, 4]),
        ("key", [1, 2, 3, 4, 5]),
    ],
)
def test_backlog_sorts(project, scored, sort, expected):
    assert keys(project, sort=sort) == [f"MALL-R{n}" for n in expected]


def test_sorting_by_score_follows_the_rank_on_ties(project, owner, scored):
    # Moving R4 to the top: R2 and R4 both have RICE 100, so R4 now comes first of the two
    services.requirement_move(
        requirement=Requirement.objects.get(number=4), actor=owner, after=None, before=None
    )
    assert keys(project, sort="rice") == ["MALL-R3", "MALL-R4", "MALL-R2", "MALL-R1", "MALL-R5"]


# ---------------------------------------------------------------- MoSCoW by phase


def test_moscow_by_phase_counts_effort_and_flags_a_must_share_over_60_percent(project):
    # Phase 1: Must 7 of 10 weeks → 70 %, over the guidance
    make_requirement(project, moscow="must", phase=1, effort=D("4"))
    make_requirement(project, moscow="must", phase=1, effort=D("3"))
    make_requirement(project, moscow="should", phase=1, effort=D("2"))
    make_requirement(project, moscow="could", phase=1, effort=D("1"))
    make_requirement(project, moscow="wont", phase=1, effort=D("50"))
    # Phase 2: Must exactly 60 % → fine; a rejected Must does not count
    make_requirement(project, moscow="must", phase=2, effort=D("6"))
    make_requirement(project, moscow="should", phase=2, effort=D("4"))
    make_requirement(
        project, moscow="must", phase=2, effort=D("30"), status="rejected", rejection_reason="砍掉"
    )
    # No phase yet, not triaged, no effort
    make_requirement(project)

    phases = {p["phase"]: p for p in selectors.moscow_by_phase(project=project)}

    assert list(phases) == [1, 2, None]
    one, two, none = phases[1], phases[2], phases[None]
    assert one["counts"] == {"must": 2, "should": 1, "could": 1, "wont": 1, "": 0}
    assert one["effort"]["must"] == D("7")
    assert one["must_share"] == D("0.700")
    assert one["over_limit"] is True
    assert one["total"] == 5
    assert two["counts"]["must"] == 1
    assert two["must_share"] == D("0.600")
    assert two["over_limit"] is False
    assert two["total"] == 2
    assert none["counts"][""] == 1
    assert none["must_share"] is None
    assert none["over_limit"] is False


def test_a_must_share_just_over_60_percent_is_flagged(project):
    make_requirement(project, moscow="must", phase=1, effort=D("6.01"))
    make_requirement(project, moscow="should", phase=1, effort=D("4"))

    (phase,) = selectors.moscow_by_phase(project=project)

    assert phase["over_limit"] is True


def test_moscow_by_phase_of_an_empty_backlog(project):
    assert selectors.moscow_by_phase(project=project) == []


# ---------------------------------------------------------------- Kano scatter


def test_kano_scatter_has_one_point_per_surveyed_requirement_in_rank_order(project, owner, member):
    first = make_requirement(project, title="一键复购")
    unsurveyed = make_requirement(project, title="无人问")
    only_reverse = make_requirement(project, title="弹窗广告")
    second = make_requirement(project, title="退货上门取件", position="top")
    other_project = make_requirement(make_project(owner=owner, key="POS"), title="别处")

    for requirement, functional, dysfunctional, who in [
        (first, "like", "neutral", owner),  # A
        (first, "like", "dislike", member),  # O
        (second, "expect", "dislike", owner),  # M
        (only_reverse, "dislike", "like", owner),  # R
        (other_project, "like", "dislike", owner),
    ]:
        services.kano_response_record(
            requirement=requirement, actor=who, functional=functional, dysfunctional=dysfunctional
        )

    points = selectors.kano_scatter(project=project)

    assert [p["key"] for p in points] == [second.key, first.key]
    assert points[0] == {
        "id": second.pk,
        "number": second.number,
        "key": "MALL-R4",
        "title": "退货上门取件",
        "better": 0.0,
        "worse": -1.0,
        "category": "must_be",
        "responses": 1,
    }
    assert (points[1]["better"], points[1]["worse"], points[1]["category"]) == (
        1.0,
        -0.5,
        "performance",
    )
    assert unsurveyed.pk not in {p["id"] for p in points}


# ---------------------------------------------------------------- triage queue


def test_triage_queue_lists_new_requirements_oldest_first(project, owner):
    with clock.frozen_at(datetime(2026, 3, 5, 9, tzinfo=SHANGHAI)):
        newest = make_requirement(project, title="最新")
    with clock.frozen_at(datetime(2026, 3, 1, 9, tzinfo=SHANGHAI)):
        oldest = make_requirement(project, title="最早")
    with clock.frozen_at(datetime(2026, 3, 3, 9, tzinfo=SHANGHAI)):
        middle = make_requirement(project, title="中间")
        done = triaged(project, title="已分诊")
        rejected = make_requirement(project, status="rejected", rejection_reason="重复")
    make_requirement(make_project(owner=owner, key="POS"), title="别的项目")

    queue = list(selectors.triage_queue(project=project))

    assert queue == [oldest, middle, newest]
    assert done not in queue
    assert rejected not in queue


# ---------------------------------------------------------------- work item progress


def test_work_item_progress_counts_done_and_all_stories_per_requirement(project, owner):
    split = triaged(project, title="拼团")
    single = triaged(project, title="发票")
    untouched = triaged(project, title="未拆分")
    items = services.requirement_promote(
        requirement=split, actor=owner, titles=["下单", "分享", "成团通知"]
    )
    services.requirement_promote(requirement=single, actor=owner)
    move(items[0], DONE, owner)
    move(items[2], DONE, owner)

    progress = selectors.work_item_progress([split.pk, single.pk, untouched.pk])

    assert progress == {split.pk: (2, 3), single.pk: (0, 1)}


# ---------------------------------------------------------------- query cost


def _render_backlog_page(project) -> int:
    """Everything the backlog page reads for its first page of rows; returns the row count."""
    rows = list(selectors.requirement_backlog(project=project, filters={"sort": "rice"})[:50])
    ids = [r.pk for r in rows]
    surveys = selectors.kano_surveys(ids)
    progress = selectors.work_item_progress(ids)
    for r in rows:
        # What each row shows: key, phase, the linked KPIs, the survey verdict, progress
        _ = (r.key, r.phase_label, r.get_status_display())
        _ = [(link.kpi.name, link.expected_change) for link in r.kpi_links.all()]
        _ = surveys.get(r.pk), progress.get(r.pk)
    return len(rows)


def _fill(project, owner, kpi, count: int) -> None:
    for n in range(count):
        requirement = triaged(
            project,
            title=f"需求 {n}",
            reach=n,
            impact=D("1"),
            confidence=50,
            effort=D("1"),
            tags="大促",
        )
        services.requirement_kpi_link(
            requirement=requirement, actor=owner, kpi=kpi, expected_change=1
        )
        services.kano_response_record(
            requirement=requirement, actor=owner, functional="like", dysfunctional="dislike"
        )
        if n % 2:
            services.requirement_promote(requirement=requirement, actor=owner)


def test_the_backlog_page_costs_the_same_queries_for_5_or_50_requirements(project, owner):
    gmv = metrics_services.kpi_create(
        actor=owner, project=project, name="GMV", code="gmv", unit="money", currency="CNY"
    )
    _fill(project, owner, gmv, 5)
    with CaptureQueriesContext(connection) as small:
        assert _render_backlog_page(project) == 5

    _fill(project, owner, gmv, 45)
    with CaptureQueriesContext(connection) as large:
        assert _render_backlog_page(project) == 50

    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(small.captured_queries) <= 4
