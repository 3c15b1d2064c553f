"""The requirements API (DESIGN §5): create, read, change and delete requirements; field
errors that write nothing (§7); the backlog's filters and orderings; the Kano survey;
reordering; bulk edits; comments; query budgets and the OpenAPI schema.

Who may call which endpoint is in test_api_auth.py.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from portal.models import Activity, Event
from projects.models import WorkItem
from projects.services import work_item_create, work_item_move
from requirements import services
from requirements.models import (
    KanoResponse,
    Requirement,
    RequirementComment,
    RequirementKPI,
    WorkItemLink,
)
from requirements.services import work_item_link
from tests.conftest import api_as
from tests.metrics.factories import KPIFactory
from tests.projects.factories import add_member, make_project
from tests.requirements.factories import make_requirement

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- helpers


def list_url() -> str:
    return reverse("api:requirement-list")


def detail_url(requirement) -> str:
    return reverse("api:requirement-detail", args=[requirement.pk])


def kano_url(requirement) -> str:
    return reverse("api:requirement-kano-responses", args=[requirement.pk])


def comments_url(requirement) -> str:
    return reverse("api:requirement-comments", args=[requirement.pk])


def reorder_url() -> str:
    return reverse("api:requirement-reorder")


def bulk_url() -> str:
    return reverse("api:requirement-bulk")


def finish(item, actor):
    """Drag a work item into the project's done column."""
    done = item.project.columns.filter(category="done").order_by("order").first()
    return work_item_move(item=item, column=done, actor=actor)


def keys(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["key"] for row in response.json()["results"]]


def backlog_order(client, project) -> list[str]:
    return keys(client.get(list_url(), {"project": project.pk, "ordering": "rank"}))


def written() -> dict[str, object]:
    """Everything a requirements endpoint could write, to compare before and after."""
    return {
        "requirements": list(
            Requirement.objects.order_by("pk").values_list(
                "pk",
                "project_id",
                "title",
                "status",
                "rejection_reason",
                "moscow",
                "kano",
                "priority",
                "phase",
                "tags",
                "reach",
                "impact",
                "confidence",
                "effort",
                "business_value",
                "time_criticality",
                "risk_reduction",
                "job_size",
                "rice_score",
                "wsjf_score",
                "rank",
            )
        ),
        "kpi_links": list(
            RequirementKPI.objects.order_by("pk").values_list(
                "requirement_id", "kpi_id", "expected_change", "note"
            )
        ),
        "answers": list(
            KanoResponse.objects.order_by("pk").values_list(
                "requirement_id", "respondent_id", "respondent_name", "functional", "dysfunctional"
            )
        ),
        "comments": RequirementComment.objects.count(),
        "activity": Activity.objects.count(),
        "events": Event.objects.count(),
    }


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def other_project(owner):
    """支付中台, another project of the same owner."""
    return make_project(owner=owner, key="PAY", name="支付中台")


@pytest.fixture
def kpi(project, owner):
    """MALL's 下单转化率 (percent)."""
    return KPIFactory(actor=owner, project=project, name="下单转化率", code="conversion_rate")


@pytest.fixture
def company_kpi(staff):
    """Company-wide GMV in CNY."""
    return KPIFactory(actor=staff, name="GMV", code="gmv", unit="money", currency="CNY")


@pytest.fixture
def foreign_kpi(other_project, owner):
    """PAY's own KPI, which MALL's requirements may not target."""
    return KPIFactory(
        actor=owner, project=other_project, name="支付成功率", code="pay_success_rate"
    )


@pytest.fixture
def requirement(project, member, viewer):
    """MALL-R1, new and untriaged; the member and viewer exist too."""
    return make_requirement(
        project, title="商品详情页支持短视频", requester="运营-小张", source_department="operations"
    )


def new_body(project, **overrides):
    return {"project": project.pk, "title": "购物车凑单推荐", **overrides}


# ---------------------------------------------------------------- create


def test_create_answers_201_with_key_status_and_scores(project, member):
    before = Activity.objects.count()

    response = api_as(member).post(
        list_url(),
        new_body(
            project,
            description="满 199 减 20 时提示**还差多少**",
            source_department="marketing",
            requester="市场部-刘洋",
            tags=["大促", "购物车"],
            reach=2000,
            impact="2",
            confidence=80,
            effort="4",
            business_value=8,
            time_criticality=5,
            risk_reduction=3,
            job_size=2,
        ),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["key"] == "MALL-R1"
    assert body["status"] == "new"
    assert (body["moscow"], body["kano"], body["priority"]) == ("", "", "")
    # RICE = 2000 × 2 × 80 % ÷ 4; WSJF = (8 + 5 + 3) ÷ 2
    assert Decimal(body["rice_score"]) == Decimal("800")
    assert Decimal(body["wsjf_score"]) == Decimal("8")
    assert body["tags"] == ["大促", "购物车"]
    assert body["created_by"]["username"] == "member"
    assert body["kano_survey"]["responses"] == 0
    assert body["work_items"] == {"done": 0, "total": 0}
    saved = Requirement.objects.get(pk=body["id"])
    assert (saved.project, saved.number, saved.created_by) == (project, 1, member)
    assert Activity.objects.count() == before + 1
    assert Activity.objects.filter(verb="requirement.created").exists()


def test_create_puts_the_requirement_at_the_bottom_of_the_backlog(project, member):
    make_requirement(project, title="商品详情页支持短视频")
    make_requirement(project, title="会员积分抵现")
    client = api_as(member)

    response = client.post(list_url(), new_body(project), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["key"] == "MALL-R3"
    assert body["rank"] > max(
        Requirement.objects.exclude(pk=body["id"]).values_list("rank", flat=True)
    )
    assert backlog_order(client, project) == ["MALL-R1", "MALL-R2", "MALL-R3"]


def test_create_without_every_scoring_input_leaves_the_score_empty(project, member):
    response = api_as(member).post(
        list_url(), new_body(project, reach=500, impact="1", business_value=3), format="json"
    )

    assert response.status_code == 201
    assert (response.json()["rice_score"], response.json()["wsjf_score"]) == (None, None)


def test_create_with_target_kpis_links_them(project, member, kpi, company_kpi):
    response = api_as(member).post(
        list_url(),
        new_body(
            project,
            target_kpis=[
                {"kpi": kpi.pk, "expected_change": "1.5", "note": "凑单提升转化"},
                {"kpi": company_kpi.pk, "expected_change": "50000"},
            ],
        ),
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert [
        (link["code"], Decimal(link["expected_change"]), link["note"])
        for link in response.json()["target_kpis"]
    ] == [("conversion_rate", Decimal("1.5"), "凑单提升转化"), ("gmv", Decimal("50000"), "")]
    assert RequirementKPI.objects.filter(requirement_id=response.json()["id"]).count() == 2


def test_create_p0_emits_the_requirement_p0_event(project, member):
    response = api_as(member).post(
        list_url(),
        new_body(project, status="triaged", moscow="must", priority="P0"),
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert Event.objects.filter(name="requirement.p0").count() == 1


# ---------------------------------------------------------------- retrieve


def test_retrieve_shows_the_survey_verdict_work_items_and_target_kpis(
    project, owner, member, viewer, kpi, company_kpi
):
    requirement = make_requirement(
        project,
        title="会员积分抵现",
        kano="attractive",
        kpi_links=[
            {"kpi": kpi.pk, "expected_change": Decimal("2")},
            {"kpi": company_kpi.pk, "expected_change": Decimal("-5000"), "note": "少发券"},
        ],
    )
    # Four answers: like/dislike and like/dislike (O), like/neutral (A), expect/dislike (M)
    for user, functional, dysfunctional in [
        (owner, "like", "dislike"),
        (member, "like", "dislike"),
        (viewer, "like", "neutral"),
    ]:
        services.kano_response_record(
            requirement=requirement, actor=user, functional=functional, dysfunctional=dysfunctional
        )
    services.kano_response_record(
        requirement=requirement,
        actor=owner,
        functional="expect",
        dysfunctional="dislike",
        respondent_name="用户访谈-赵女士",
    )
    # Two stories from it, one of them done
    first = work_item_create(project=project, actor=member, title="积分抵现接口")
    second = work_item_create(project=project, actor=member, title="积分抵现页面")
    for item in (first, second):
        work_item_link(requirement=requirement, work_item=item)
    finish(first, member)

    response = api_as(viewer).get(detail_url(requirement))

    assert response.status_code == 200
    body = response.json()
    assert body["key"] == "MALL-R1"
    assert body["kano_survey"] == {
        "category": "performance",
        "counts": {"A": 1, "O": 2, "M": 1, "I": 0, "R": 0, "Q": 0},
        "better": 0.75,
        "worse": -0.75,
        "responses": 4,
    }
    # The survey's verdict is shown beside the PM's call, never over it
    assert body["kano"] == "attractive"
    assert body["work_items"] == {"done": 1, "total": 2}
    assert [
        {k: link[k] for k in ("kpi", "code", "name", "unit", "note")}
        | {"expected_change": Decimal(link["expected_change"])}
        for link in body["target_kpis"]
    ] == [
        {
            "kpi": kpi.pk,
            "code": "conversion_rate",
            "name": "下单转化率",
            "unit": "percent",
            "note": "",
            "expected_change": Decimal("2"),
        },
        {
            "kpi": company_kpi.pk,
            "code": "gmv",
            "name": "GMV",
            "unit": "money",
            "note": "少发券",
            "expected_change": Decimal("-5000"),
        },
    ]


def test_retrieve_without_answers_has_an_empty_survey(requirement, member):
    body = api_as(member).get(detail_url(requirement)).json()

    assert body["kano_survey"] == {
        "category": None,
        "counts": {"A": 0, "O": 0, "M": 0, "I": 0, "R": 0, "Q": 0},
        "better": None,
        "worse": None,
        "responses": 0,
    }
    assert body["target_kpis"] == []
    assert body["work_items"] == {"done": 0, "total": 0}


# ---------------------------------------------------------------- update and status


def test_patch_triages_a_new_requirement(requirement, member):
    response = api_as(member).patch(
        detail_url(requirement),
        {"status": "triaged", "moscow": "must", "priority": "P1", "kano": "performance"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["moscow"], body["priority"], body["kano"]) == (
        "triaged",
        "must",
        "P1",
        "performance",
    )
    assert body["triaged_at"] is not None
    fresh = Requirement.objects.get(pk=requirement.pk)
    assert (fresh.status, fresh.moscow, fresh.priority) == ("triaged", "must", "P1")
    assert Activity.objects.filter(verb="requirement.triaged").count() == 1


def test_patch_walks_the_status_to_done_and_back(requirement, member):
    client = api_as(member)
    url = detail_url(requirement)
    client.patch(url, {"status": "triaged", "moscow": "should", "priority": "P2"}, format="json")

    for status in ("planned", "in_progress", "done"):
        response = client.patch(url, {"status": status}, format="json")
        assert response.status_code == 200, (status, response.json())
    assert response.json()["done_at"] is not None

    reopened = client.patch(url, {"status": "in_progress"}, format="json")

    assert reopened.status_code == 200
    assert (reopened.json()["status"], reopened.json()["done_at"]) == ("in_progress", None)


def test_patch_to_a_status_it_cannot_reach_is_a_status_error(requirement, member):
    before = written()

    response = api_as(member).patch(detail_url(requirement), {"status": "done"}, format="json")

    assert response.status_code == 400
    assert response.json()["status"]
    assert written() == before


def test_rejecting_without_a_reason_is_a_rejection_reason_error(requirement, member):
    before = written()

    response = api_as(member).patch(detail_url(requirement), {"status": "rejected"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["rejection_reason"]
    assert response.json()["rejection_reason"]
    assert written() == before
    assert Requirement.objects.get(pk=requirement.pk).status == "new"


def test_rejecting_with_a_reason_and_reopening(requirement, member):
    client = api_as(member)

    rejected = client.patch(
        detail_url(requirement),
        {"status": "rejected", "rejection_reason": "与现有直播功能重复"},
        format="json",
    )

    assert rejected.status_code == 200, rejected.json()
    assert (rejected.json()["status"], rejected.json()["rejection_reason"]) == (
        "rejected",
        "与现有直播功能重复",
    )
    assert Activity.objects.filter(verb="requirement.rejected").count() == 1

    reopened = client.patch(detail_url(requirement), {"status": "new"}, format="json")

    assert reopened.status_code == 200
    assert (reopened.json()["status"], reopened.json()["rejection_reason"]) == ("new", "")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": "triaged", "priority": "P1"}, "moscow"),
        ({"status": "triaged"}, "moscow"),
        ({"status": "triaged", "moscow": "must"}, "priority"),
        ({"status": "planned", "priority": "P1"}, "moscow"),
    ],
)
def test_triaging_without_moscow_or_priority_is_a_field_error(requirement, member, changes, field):
    before = written()

    response = api_as(member).patch(detail_url(requirement), changes, format="json")

    assert response.status_code == 400
    assert response.json()[field], response.json()
    assert written() == before


def test_patch_to_p0_emits_the_event_once(requirement, member):
    client = api_as(member)
    client.patch(
        detail_url(requirement),
        {"status": "triaged", "moscow": "must", "priority": "P0"},
        format="json",
    )
    client.patch(detail_url(requirement), {"title": "商品详情页短视频(大促前上线)"}, format="json")

    assert Event.objects.filter(name="requirement.p0").count() == 1


def test_patch_target_kpis_replaces_the_list(project, requirement, member, kpi, company_kpi):
    services.requirement_kpi_link(
        requirement=requirement, actor=member, kpi=kpi, expected_change=Decimal("1")
    )

    response = api_as(member).patch(
        detail_url(requirement),
        {"target_kpis": [{"kpi": company_kpi.pk, "expected_change": "20000"}]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert [link["code"] for link in response.json()["target_kpis"]] == ["gmv"]
    assert list(requirement.kpi_links.values_list("kpi__code", flat=True)) == ["gmv"]


def test_patch_tags_and_scores_recomputes_them(requirement, member):
    response = api_as(member).patch(
        detail_url(requirement),
        {
            "tags": ["双十一", "视频", "双十一"],
            "reach": 10000,
            "impact": "0.5",
            "confidence": 50,
            "effort": "2.5",
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["tags"] == ["双十一", "视频"]
    # 10000 × 0.5 × 50 % ÷ 2.5
    assert Decimal(response.json()["rice_score"]) == Decimal("1000")


# ---------------------------------------------------------------- delete


def test_owner_deletes_a_requirement_and_its_work_items_stay(project, requirement, owner, member):
    item = work_item_create(project=project, actor=member, title="短视频播放器")
    work_item_link(requirement=requirement, work_item=item)

    response = api_as(owner).delete(detail_url(requirement))

    assert response.status_code == 204
    assert not Requirement.objects.filter(pk=requirement.pk).exists()
    # The story stays on the board, no longer tied to anything.
    assert WorkItem.objects.filter(pk=item.pk).exists()
    assert not WorkItemLink.objects.filter(work_item=item).exists()
    assert Activity.objects.filter(verb="requirement.deleted").count() == 1


def test_member_cannot_delete_and_the_row_stays(requirement, member):
    before = written()

    response = api_as(member).delete(detail_url(requirement))

    assert response.status_code == 403
    assert Requirement.objects.filter(pk=requirement.pk).exists()
    assert written() == before


# ---------------------------------------------------------------- bad input writes nothing

BAD_VALUES = [
    ("moscow", "maybe"),
    ("kano", "delighter"),
    ("priority", "P4"),
    ("impact", "0.7"),
    ("effort", 0),
    ("effort", "-2"),
    ("confidence", 101),
    ("confidence", -1),
    ("business_value", 4),
    ("time_criticality", 21),
    ("job_size", 0),
    ("phase", 0),
    ("status", "archived"),
    ("title", ""),
]


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_bad_create_input_is_a_field_error_and_writes_nothing(project, member, field, value):
    before = written()

    response = api_as(member).post(list_url(), new_body(project, **{field: value}), format="json")

    assert response.status_code == 400
    assert response.json().get(field), response.json()
    assert written() == before


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_bad_update_input_is_a_field_error_and_changes_nothing(requirement, member, field, value):
    before = written()

    response = api_as(member).patch(
        detail_url(requirement), {"requester": "改了", field: value}, format="json"
    )

    assert response.status_code == 400
    assert response.json().get(field), response.json()
    assert written() == before
    assert Requirement.objects.get(pk=requirement.pk).requester == "运营-小张"


def test_bad_impact_error_names_the_allowed_values(project, member):
    response = api_as(member).post(list_url(), new_body(project, impact="0.7"), format="json")

    assert response.status_code == 400
    message = " ".join(response.json()["impact"])
    assert "Decimal(" not in message
    assert "0.25" in message


def test_a_kpi_of_another_project_is_refused_on_create_and_writes_nothing(
    project, member, foreign_kpi
):
    before = written()

    response = api_as(member).post(
        list_url(),
        new_body(project, target_kpis=[{"kpi": foreign_kpi.pk, "expected_change": "1"}]),
        format="json",
    )

    assert response.status_code == 400
    assert written() == before


def test_a_kpi_of_another_project_is_refused_on_update_and_changes_nothing(
    requirement, member, kpi, foreign_kpi
):
    services.requirement_kpi_link(
        requirement=requirement, actor=member, kpi=kpi, expected_change=Decimal("1")
    )
    before = written()

    response = api_as(member).patch(
        detail_url(requirement),
        {
            "title": "改过的标题",
            "priority": "P1",
            "target_kpis": [{"kpi": foreign_kpi.pk, "expected_change": "3"}],
        },
        format="json",
    )

    assert response.status_code == 400
    assert written() == before
    fresh = Requirement.objects.get(pk=requirement.pk)
    assert (fresh.title, fresh.priority) == ("商品详情页支持短视频", "")


def test_a_kpi_of_another_project_is_an_error_on_target_kpis(project, member, foreign_kpi):
    response = api_as(member).post(
        list_url(),
        new_body(project, target_kpis=[{"kpi": foreign_kpi.pk, "expected_change": "1"}]),
        format="json",
    )

    assert response.status_code == 400
    assert "target_kpis" in response.json(), response.json()


def test_a_missing_kpi_is_refused_and_writes_nothing(project, member):
    before = written()

    response = api_as(member).post(
        list_url(),
        new_body(project, target_kpis=[{"kpi": 987654, "expected_change": "1"}]),
        format="json",
    )

    assert response.status_code == 400
    assert written() == before


def test_patch_cannot_move_a_requirement_to_another_project(
    project, other_project, requirement, member
):
    add_member(other_project, member)
    before = written()

    response = api_as(member).patch(
        detail_url(requirement), {"project": other_project.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["project"]
    assert written() == before
    assert Requirement.objects.get(pk=requirement.pk).project == project


# ---------------------------------------------------------------- filters and ordering


@pytest.fixture
def backlog(project, other_project, owner, member):
    """Six MALL requirements in rank order R1…R6, and PAY requirements that never show
    under ?project=MALL (the member belongs to both projects)."""
    add_member(other_project, member)
    make_requirement(project, title="商品详情页支持短视频", tags=["大促"], phase=1)
    make_requirement(
        project,
        title="购物车凑单推荐",
        status="triaged",
        moscow="must",
        priority="P1",
        kano="attractive",
        phase=1,
        tags=["购物车", "大促"],
        reach=1000,
        impact=Decimal("1"),
        confidence=50,
        effort=Decimal("1"),
        business_value=5,
        time_criticality=3,
        risk_reduction=2,
        job_size=1,
    )
    make_requirement(
        project,
        title="会员积分抵现",
        status="planned",
        moscow="should",
        priority="P0",
        kano="performance",
        phase=2,
        reach=2000,
        impact=Decimal("2"),
        confidence=80,
        effort=Decimal("4"),
        business_value=8,
        time_criticality=5,
        risk_reduction=3,
        job_size=2,
    )
    make_requirement(
        project,
        title="订单导出 Excel",
        description="财务对账用",
        status="done",
        moscow="could",
        priority="P2",
        kano="indifferent",
        phase=2,
        reach=100,
        impact=Decimal("0.5"),
        confidence=100,
        effort=Decimal("2"),
    )
    make_requirement(
        project,
        title="小程序直播带货",
        status="rejected",
        rejection_reason="不在本期范围",
        moscow="wont",
        priority="P3",
        business_value=1,
        time_criticality=1,
        risk_reduction=1,
        job_size=3,
    )
    make_requirement(
        project,
        title="支付失败自动重试",
        status="in_progress",
        moscow="must",
        priority="P0",
        phase=1,
        tags=["支付"],
        reach=300,
        impact=Decimal("3"),
        confidence=100,
        effort=Decimal("1"),
        business_value=20,
        time_criticality=13,
        risk_reduction=8,
        job_size=5,
    )
    for title in ("凑单算法", "大促压测", "对账"):
        make_requirement(other_project, title=title, tags=["大促"])


FILTER_CASES = [
    ({}, ["MALL-R1", "MALL-R2", "MALL-R3", "MALL-R4", "MALL-R5", "MALL-R6"]),
    ({"status": "new"}, ["MALL-R1"]),
    ({"status": ["new", "triaged"]}, ["MALL-R1", "MALL-R2"]),
    ({"moscow": "must"}, ["MALL-R2", "MALL-R6"]),
    ({"moscow": ["should", "could"]}, ["MALL-R3", "MALL-R4"]),
    ({"kano": "attractive"}, ["MALL-R2"]),
    ({"priority": "P0"}, ["MALL-R3", "MALL-R6"]),
    ({"priority": "P0", "status": "planned"}, ["MALL-R3"]),
    ({"phase": 2}, ["MALL-R3", "MALL-R4"]),
    ({"tag": "大促"}, ["MALL-R1", "MALL-R2"]),
    ({"tag": "支付"}, ["MALL-R6"]),
    ({"tag": "大"}, []),  # a whole tag, not part of one
    ({"q": "凑单"}, ["MALL-R2"]),
    ({"q": "对账"}, ["MALL-R4"]),  # the description too
    ({"q": "MALL-R3"}, ["MALL-R3"]),
    ({"q": "mall-r3"}, ["MALL-R3"]),
    ({"open": "true"}, ["MALL-R1", "MALL-R2", "MALL-R3", "MALL-R6"]),
    ({"open": "true", "moscow": "must"}, ["MALL-R2", "MALL-R6"]),
]


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES)
def test_list_filters(project, backlog, member, query, expected):
    response = api_as(member).get(list_url(), {"project": project.pk, **query})

    assert keys(response) == expected
    assert response.json()["count"] == len(expected)


ORDERING_CASES = [
    ("rank", ["MALL-R1", "MALL-R2", "MALL-R3", "MALL-R4", "MALL-R5", "MALL-R6"]),
    # 900, 800, 500, 25, then the unscored in backlog order
    ("-rice_score", ["MALL-R6", "MALL-R3", "MALL-R2", "MALL-R4", "MALL-R1", "MALL-R5"]),
    # 10, 8.2, 8, 1, then the unscored in backlog order
    ("-wsjf_score", ["MALL-R2", "MALL-R6", "MALL-R3", "MALL-R5", "MALL-R1", "MALL-R4"]),
    # P0 (in backlog order), P1, P2, P3, then not prioritised yet
    ("priority", ["MALL-R3", "MALL-R6", "MALL-R2", "MALL-R4", "MALL-R5", "MALL-R1"]),
]


@pytest.mark.parametrize(("ordering", "expected"), ORDERING_CASES)
def test_list_ordering(project, backlog, member, ordering, expected):
    response = api_as(member).get(list_url(), {"project": project.pk, "ordering": ordering})

    assert keys(response) == expected


def test_list_scores_are_the_formulas(project, backlog, member):
    rows = api_as(member).get(list_url(), {"project": project.pk}).json()["results"]

    scores = {
        row["key"]: (
            row["rice_score"] and Decimal(row["rice_score"]),
            row["wsjf_score"] and Decimal(row["wsjf_score"]),
        )
        for row in rows
    }
    assert scores == {
        "MALL-R1": (None, None),
        "MALL-R2": (Decimal("500"), Decimal("10")),
        "MALL-R3": (Decimal("800"), Decimal("8")),
        "MALL-R4": (Decimal("25"), None),
        "MALL-R5": (None, Decimal("1")),
        "MALL-R6": (Decimal("900"), Decimal("8.2")),
    }


def test_list_without_project_shows_every_project_of_the_caller(project, backlog, member):
    response = api_as(member).get(list_url(), {"tag": "大促"})

    assert sorted(keys(response)) == ["MALL-R1", "MALL-R2", "PAY-R1", "PAY-R2", "PAY-R3"]


def test_key_search_without_project_finds_only_that_key(project, backlog, member):
    response = api_as(member).get(list_url(), {"q": "MALL-R3"})

    assert keys(response) == ["MALL-R3"]


def test_list_project_filter_not_a_number_is_400_and_foreign_404(
    project, other_project, member, outsider
):
    bad = api_as(member).get(list_url(), {"project": "MALL"})
    foreign = api_as(outsider).get(list_url(), {"project": project.pk})
    missing = api_as(outsider).get(list_url(), {"project": project.pk + 1000})

    assert bad.status_code == 400
    assert bad.json()["project"]
    assert foreign.status_code == 404
    # An outsider cannot tell MALL from a project that does not exist
    assert (missing.status_code, missing.json()) == (foreign.status_code, foreign.json())


def test_list_unknown_choice_in_a_filter_is_400_on_that_filter(project, member):
    response = api_as(member).get(list_url(), {"project": project.pk, "status": "archived"})

    assert response.status_code == 400
    assert response.json()["status"]


def test_list_is_paginated(project, member):
    for n in range(3):
        make_requirement(project, title=f"需求 {n}")

    response = api_as(member).get(list_url(), {"project": project.pk, "page_size": 2})

    body = response.json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]
    assert body["previous"] is None
    second = api_as(member).get(list_url(), {"project": project.pk, "page_size": 2, "page": 2})
    assert keys(second) == ["MALL-R3"]


# ---------------------------------------------------------------- Kano survey


def test_kano_responses_get_lists_answers_with_the_verdict(requirement, owner, member, viewer):
    for user, functional, dysfunctional in [
        (owner, "expect", "dislike"),
        (member, "neutral", "dislike"),
        (viewer, "like", "dislike"),
    ]:
        services.kano_response_record(
            requirement=requirement, actor=user, functional=functional, dysfunctional=dysfunctional
        )

    response = api_as(viewer).get(kano_url(requirement))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [(r["respondent"]["username"], r["kano_class"]) for r in body["results"]] == [
        ("owner", "M"),
        ("member", "M"),
        ("viewer", "O"),
    ]
    assert body["kano_survey"]["category"] == "must_be"
    assert body["kano_survey"]["counts"] == {"A": 0, "O": 1, "M": 2, "I": 0, "R": 0, "Q": 0}
    assert body["kano_survey"]["responses"] == 3
    assert (body["kano_survey"]["better"], body["kano_survey"]["worse"]) == (0.333, -1.0)


def test_kano_responses_are_paginated(requirement, member):
    for n in range(3):
        services.kano_response_record(
            requirement=requirement,
            actor=member,
            functional="like",
            dysfunctional="neutral",
            respondent_name=f"访谈用户 {n}",
        )

    response = api_as(member).get(kano_url(requirement), {"page_size": 2})

    body = response.json()
    assert (body["count"], len(body["results"])) == (3, 2)
    assert body["next"]
    assert body["kano_survey"]["responses"] == 3


def test_posting_your_answer_again_replaces_it(requirement, member):
    client = api_as(member)

    first = client.post(
        kano_url(requirement), {"functional": "like", "dysfunctional": "neutral"}, format="json"
    )
    second = client.post(
        kano_url(requirement), {"functional": "expect", "dysfunctional": "dislike"}, format="json"
    )

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["kano_class"] == "A"
    assert second.json()["kano_class"] == "M"
    assert second.json()["respondent"]["username"] == "member"
    assert second.json()["kano_survey"]["responses"] == 1
    assert second.json()["kano_survey"]["category"] == "must_be"
    answers = KanoResponse.objects.filter(requirement=requirement)
    assert list(answers.values_list("respondent__username", "functional", "dysfunctional")) == [
        ("member", "expect", "dislike")
    ]
    # The PM's own Kano call is untouched
    assert Requirement.objects.get(pk=requirement.pk).kano == ""


def test_member_records_an_answer_collected_outside_the_portal(requirement, member):
    client = api_as(member)
    client.post(
        kano_url(requirement), {"functional": "like", "dysfunctional": "dislike"}, format="json"
    )

    response = client.post(
        kano_url(requirement),
        {"functional": "like", "dysfunctional": "neutral", "respondent_name": "宝妈用户-孙女士"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert (response.json()["respondent"], response.json()["respondent_name"]) == (
        None,
        "宝妈用户-孙女士",
    )
    assert response.json()["kano_survey"]["responses"] == 2
    external = KanoResponse.objects.get(respondent_name="宝妈用户-孙女士")
    assert (external.respondent, external.recorded_by) == (None, member)
    # the member's own answer is still there
    assert KanoResponse.objects.filter(requirement=requirement, respondent=member).count() == 1


def test_an_invalid_answer_is_a_field_error_and_writes_nothing(requirement, member):
    before = written()

    response = api_as(member).post(
        kano_url(requirement), {"functional": "love", "dysfunctional": "dislike"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["functional"]
    assert written() == before


def test_a_viewer_answers_the_survey_for_themself(requirement, viewer):
    response = api_as(viewer).post(
        kano_url(requirement), {"functional": "like", "dysfunctional": "dislike"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["respondent"]["username"] == "viewer"
    assert KanoResponse.objects.filter(requirement=requirement, respondent=viewer).count() == 1


def test_a_viewer_cannot_record_answers_for_others(requirement, viewer):
    before = written()

    response = api_as(viewer).post(
        kano_url(requirement),
        {"functional": "like", "dysfunctional": "dislike", "respondent_name": "路人甲"},
        format="json",
    )

    assert response.status_code == 403
    assert written() == before


def test_an_outsider_cannot_answer(requirement, outsider):
    before = written()

    response = api_as(outsider).post(
        kano_url(requirement), {"functional": "like", "dysfunctional": "dislike"}, format="json"
    )

    assert response.status_code == 404
    assert written() == before


# ---------------------------------------------------------------- reorder


@pytest.fixture
def five(project, member):
    """MALL-R1…R5 in that order."""
    return [make_requirement(project, title=f"需求 {n}") for n in range(1, 6)]


def test_move_below_another(project, five, member):
    client = api_as(member)
    r1, _r2, _r3, _r4, r5 = five

    response = client.post(reorder_url(), {"requirement": r5.pk, "after": r1.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert [row["id"] for row in response.json()["results"]] == [r5.pk]
    assert backlog_order(client, project) == ["MALL-R1", "MALL-R5", "MALL-R2", "MALL-R3", "MALL-R4"]


def test_move_above_another(project, five, member):
    client = api_as(member)
    r1, _r2, _r3, r4, _r5 = five

    response = client.post(reorder_url(), {"requirement": r1.pk, "before": r4.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert backlog_order(client, project) == ["MALL-R2", "MALL-R3", "MALL-R1", "MALL-R4", "MALL-R5"]


def test_move_to_the_top(project, five, member):
    client = api_as(member)

    response = client.post(reorder_url(), {"requirement": five[3].pk}, format="json")

    assert response.status_code == 200, response.json()
    assert backlog_order(client, project) == ["MALL-R4", "MALL-R1", "MALL-R2", "MALL-R3", "MALL-R5"]


def test_move_to_the_bottom_below_the_last(project, five, member):
    client = api_as(member)

    response = client.post(
        reorder_url(), {"requirement": five[0].pk, "after": five[4].pk}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert backlog_order(client, project) == ["MALL-R2", "MALL-R3", "MALL-R4", "MALL-R5", "MALL-R1"]


def test_many_moves_between_the_same_neighbours_keep_the_order(project, five, member):
    """Halving the gap again and again runs out of room; the backlog renumbers itself."""
    client = api_as(member)
    r1, _r2, r3, r4, r5 = five

    for mover in [r3, r4, r5] * 5:
        response = client.post(
            reorder_url(), {"requirement": mover.pk, "after": r1.pk}, format="json"
        )
        assert response.status_code == 200

    # each one moved last lands right below R1
    assert backlog_order(client, project) == ["MALL-R1", "MALL-R5", "MALL-R4", "MALL-R3", "MALL-R2"]


def test_ids_are_put_in_that_order_within_their_slots(project, five, member):
    client = api_as(member)
    _r1, r2, _r3, r4, r5 = five

    response = client.post(
        reorder_url(), {"project": project.pk, "ids": [r5.pk, r4.pk, r2.pk]}, format="json"
    )

    assert response.status_code == 200, response.json()
    # R2, R4 and R5 swap among the slots they held; R1 and R3 stay put
    assert backlog_order(client, project) == ["MALL-R1", "MALL-R5", "MALL-R3", "MALL-R4", "MALL-R2"]
    assert [row["id"] for row in response.json()["results"]] == [r5.pk, r4.pk, r2.pk]
    assert Activity.objects.filter(verb="requirement.reordered").count() == 1


def test_reorder_with_a_deleted_id_is_an_ids_error_and_nothing_moves(project, five, owner, member):
    client = api_as(member)
    stale = five[2].pk
    services.requirement_delete(requirement=five[2], actor=owner)
    order = backlog_order(client, project)
    before = written()

    response = client.post(
        reorder_url(),
        {"project": project.pk, "ids": [five[4].pk, stale, five[0].pk]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["ids"]
    assert written() == before
    assert backlog_order(client, project) == order


def test_reorder_with_an_id_of_another_project_is_an_ids_error(
    project, other_project, five, member
):
    add_member(other_project, member)
    foreign = make_requirement(other_project, title="支付路由")
    client = api_as(member)
    before = written()

    response = client.post(
        reorder_url(), {"project": project.pk, "ids": [five[4].pk, foreign.pk]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["ids"]
    assert written() == before


def test_reorder_with_a_repeated_id_is_an_ids_error(project, five, member):
    before = written()

    response = api_as(member).post(
        reorder_url(), {"project": project.pk, "ids": [five[1].pk, five[1].pk]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["ids"]
    assert written() == before


def test_reorder_with_both_ids_and_requirement_is_400(project, five, member):
    before = written()

    response = api_as(member).post(
        reorder_url(),
        {"project": project.pk, "ids": [five[1].pk, five[0].pk], "requirement": five[2].pk},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["ids"]
    assert written() == before


def test_reorder_with_neither_is_400_and_ids_need_a_project(project, five, member):
    client = api_as(member)

    empty = client.post(reorder_url(), {}, format="json")
    no_project = client.post(reorder_url(), {"ids": [five[1].pk, five[0].pk]}, format="json")

    assert empty.status_code == 400
    assert empty.json()["ids"]
    assert no_project.status_code == 400
    assert no_project.json()["project"]


def test_move_next_to_a_requirement_of_another_project_is_400(project, other_project, five, member):
    add_member(other_project, member)
    foreign = make_requirement(other_project, title="支付路由")
    before = written()

    response = api_as(member).post(
        reorder_url(), {"requirement": five[0].pk, "after": foreign.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["after"]
    assert written() == before


def test_move_an_unknown_requirement_is_400(project, five, member):
    response = api_as(member).post(reorder_url(), {"requirement": 987654}, format="json")

    assert response.status_code == 400
    assert response.json()["requirement"]


def test_viewer_cannot_reorder(project, five, viewer):
    client = api_as(viewer)
    order = backlog_order(client, project)

    by_ids = client.post(
        reorder_url(), {"project": project.pk, "ids": [five[1].pk, five[0].pk]}, format="json"
    )
    one = client.post(reorder_url(), {"requirement": five[4].pk}, format="json")

    assert (by_ids.status_code, one.status_code) == (403, 403)
    assert backlog_order(client, project) == order


def test_reorder_in_an_outsiders_project_is_404(project, five, outsider, member):
    before = written()

    response = api_as(outsider).post(
        reorder_url(), {"project": project.pk, "ids": [five[1].pk, five[0].pk]}, format="json"
    )

    assert response.status_code == 404
    assert written() == before


# ---------------------------------------------------------------- bulk


def test_bulk_changes_every_listed_requirement(project, five, member):
    ids = [five[0].pk, five[2].pk, five[4].pk]

    response = api_as(member).post(
        bulk_url(),
        {"project": project.pk, "ids": ids, "changes": {"moscow": "must"}},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert sorted(response.json()["updated"]) == sorted(ids)
    assert dict(Requirement.objects.values_list("number", "moscow")) == {
        1: "must",
        2: "",
        3: "must",
        4: "",
        5: "must",
    }
    assert Activity.objects.filter(verb="requirement.updated").count() == 3


def test_bulk_add_tags_keeps_each_requirements_own(project, member):
    first = make_requirement(project, title="需求 A", tags=["大促"])
    second = make_requirement(project, title="需求 B")

    response = api_as(member).post(
        bulk_url(),
        {"project": project.pk, "ids": [first.pk, second.pk], "changes": {"add_tags": ["双十一"]}},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert Requirement.objects.get(pk=first.pk).tags == ["大促", "双十一"]
    assert Requirement.objects.get(pk=second.pk).tags == ["双十一"]


def test_bulk_is_all_or_nothing(project, five, owner, member):
    # Three can be triaged; MALL-R4 has no priority yet
    for requirement in five[:3]:
        services.requirement_update(
            requirement=requirement, actor=owner, moscow="should", priority="P2"
        )
    services.requirement_update(requirement=five[3], actor=owner, moscow="should")
    before = written()

    response = api_as(member).post(
        bulk_url(),
        {"project": project.pk, "ids": [r.pk for r in five[:4]], "changes": {"status": "triaged"}},
        format="json",
    )

    assert response.status_code == 400
    message = " ".join(response.json()["priority"])
    assert "MALL-R4" in message
    assert written() == before
    assert set(Requirement.objects.values_list("status", flat=True)) == {"new"}


def test_bulk_with_an_id_of_another_project_changes_nothing(project, other_project, five, member):
    add_member(other_project, member)
    foreign = make_requirement(other_project, title="支付路由")
    before = written()

    response = api_as(member).post(
        bulk_url(),
        {"project": project.pk, "ids": [five[0].pk, foreign.pk], "changes": {"priority": "P1"}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["ids"]
    assert written() == before


@pytest.mark.parametrize("changes", [{"moscow": "maybe"}, {"title": "全部改名"}, {}, {"phase": 0}])
def test_bulk_bad_changes_are_400_and_change_nothing(project, five, member, changes):
    before = written()

    response = api_as(member).post(
        bulk_url(),
        {"project": project.pk, "ids": [five[0].pk, five[1].pk], "changes": changes},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()
    assert written() == before


# ---------------------------------------------------------------- comments


def test_comments_post_then_get_oldest_first(requirement, owner, member):
    client = api_as(member)

    created = client.post(comments_url(requirement), {"body": "需要**埋点**吗？"}, format="json")
    api_as(owner).post(comments_url(requirement), {"body": "需要，跟转化率挂钩"}, format="json")
    listed = client.get(comments_url(requirement))

    assert created.status_code == 201, created.json()
    assert created.json()["author"]["username"] == "member"
    assert listed.status_code == 200
    assert listed.json()["count"] == 2
    assert [(c["author"]["username"], c["body"]) for c in listed.json()["results"]] == [
        ("member", "需要**埋点**吗？"),
        ("owner", "需要，跟转化率挂钩"),
    ]
    assert Activity.objects.filter(verb="requirement.commented").count() == 2


@pytest.mark.parametrize("body", [{"body": ""}, {"body": "   "}, {}])
def test_an_empty_comment_is_a_body_error(requirement, member, body):
    before = written()

    response = api_as(member).post(comments_url(requirement), body, format="json")

    assert response.status_code == 400
    assert response.json()["body"]
    assert written() == before


# ---------------------------------------------------------------- query budgets

LIST_BUDGET = 8
DETAIL_BUDGET = 6
WRITE_BUDGET = 20


def populate(project, count, *, people, kpis):
    """`count` requirements, each with two target KPIs, survey answers and work items."""
    for n in range(count):
        requirement = make_requirement(
            project,
            title=f"批量需求 {n}",
            kpi_links=[{"kpi": k.pk, "expected_change": Decimal(n % 7 + 1)} for k in kpis],
            reach=100 * (n + 1),
            impact=Decimal("1"),
            confidence=80,
            effort=Decimal("2"),
        )
        for who, (functional, dysfunctional) in zip(
            people, [("like", "dislike"), ("expect", "dislike"), ("like", "neutral")], strict=False
        ):
            services.kano_response_record(
                requirement=requirement,
                actor=who,
                functional=functional,
                dysfunctional=dysfunctional,
            )
        if n % 2 == 0:
            story = work_item_create(project=project, actor=people[0], title=f"故事 {n}")
            work_item_link(requirement=requirement, work_item=story)


@pytest.fixture
def people(owner, member, viewer):
    return [owner, member, viewer]


@pytest.mark.parametrize("count", [5, 60])
def test_list_query_budget_does_not_grow_with_requirements(
    project, people, member, kpi, company_kpi, django_assert_max_num_queries, count
):
    populate(project, count, people=people, kpis=[kpi, company_kpi])
    client = api_as(member)

    with django_assert_max_num_queries(LIST_BUDGET):
        response = client.get(list_url(), {"project": project.pk, "page_size": 100})

    body = response.json()
    assert body["count"] == count
    assert len(body["results"]) == count
    first = body["results"][0]
    assert [link["code"] for link in first["target_kpis"]] == ["conversion_rate", "gmv"]
    assert first["kano_survey"]["responses"] == 3
    assert first["work_items"] == {"done": 0, "total": 1}
    assert body["results"][1]["work_items"] == {"done": 0, "total": 0}


@pytest.mark.parametrize("count", [5, 60])
def test_filtered_list_without_project_stays_in_budget(
    project, people, member, kpi, company_kpi, django_assert_max_num_queries, count
):
    populate(project, count, people=people, kpis=[kpi, company_kpi])

    with django_assert_max_num_queries(LIST_BUDGET):
        response = api_as(member).get(
            list_url(), {"status": "new", "q": "批量", "ordering": "-rice_score"}
        )

    assert response.json()["count"] == count
    assert response.json()["results"][0]["title"] == f"批量需求 {count - 1}"


def test_detail_query_budget(
    project, people, member, kpi, company_kpi, django_assert_max_num_queries
):
    populate(project, 10, people=people, kpis=[kpi, company_kpi])
    requirement = Requirement.objects.get(project=project, number=5)

    with django_assert_max_num_queries(DETAIL_BUDGET):
        response = api_as(member).get(detail_url(requirement))

    body = response.json()
    assert body["key"] == "MALL-R5"
    assert len(body["target_kpis"]) == 2
    assert body["kano_survey"]["responses"] == 3
    assert body["work_items"] == {"done": 0, "total": 1}


def test_kano_responses_query_budget(project, people, member, django_assert_max_num_queries):
    requirement = make_requirement(project, title="问卷")
    for n in range(20):
        services.kano_response_record(
            requirement=requirement,
            actor=member,
            functional="like",
            dysfunctional="dislike",
            respondent_name=f"访谈 {n}",
        )
    for who in people:
        services.kano_response_record(
            requirement=requirement, actor=who, functional="expect", dysfunctional="dislike"
        )

    with django_assert_max_num_queries(LIST_BUDGET):
        response = api_as(member).get(kano_url(requirement))

    assert response.json()["count"] == 23


def test_comments_query_budget(requirement, owner, member, viewer, django_assert_max_num_queries):
    for n in range(10):
        services.requirement_comment_add(
            requirement=requirement, actor=(owner, member)[n % 2], body=f"第 {n} 条"
        )

    with django_assert_max_num_queries(LIST_BUDGET):
        response = api_as(viewer).get(comments_url(requirement))

    assert response.json()["count"] == 10


FULL_CREATE = {
    "status": "triaged",
    "moscow": "must",
    "priority": "P0",
    "kano": "attractive",
    "tags": ["大促"],
    "reach": 1000,
    "impact": "2",
    "confidence": 80,
    "effort": "3",
    "business_value": 8,
    "time_criticality": 5,
    "risk_reduction": 3,
    "job_size": 2,
}
TRIAGE_TO_P0 = {
    "status": "triaged",
    "moscow": "must",
    "priority": "P0",
    "reach": 500,
    "impact": "1",
    "confidence": 100,
    "effort": "1",
}


def test_create_query_budget(project, people, member, django_assert_max_num_queries):
    populate(project, 20, people=people, kpis=[])
    body = new_body(project, **FULL_CREATE)

    with django_assert_max_num_queries(WRITE_BUDGET):
        response = api_as(member).post(list_url(), body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["key"] == "MALL-R21"
    assert Event.objects.filter(name="requirement.p0").count() == 1


def test_create_with_target_kpis_query_budget(
    project, member, kpi, company_kpi, django_assert_max_num_queries
):
    body = new_body(
        project,
        **FULL_CREATE,
        target_kpis=[
            {"kpi": kpi.pk, "expected_change": "1.5"},
            {"kpi": company_kpi.pk, "expected_change": "20000"},
        ],
    )

    with django_assert_max_num_queries(WRITE_BUDGET):
        response = api_as(member).post(list_url(), body, format="json")

    assert response.status_code == 201, response.json()
    assert len(response.json()["target_kpis"]) == 2


def test_update_query_budget(project, requirement, member, django_assert_max_num_queries):
    services.kano_response_record(
        requirement=requirement, actor=member, functional="like", dysfunctional="dislike"
    )

    with django_assert_max_num_queries(WRITE_BUDGET):
        response = api_as(member).patch(detail_url(requirement), TRIAGE_TO_P0, format="json")

    assert response.status_code == 200, response.json()
    assert Decimal(response.json()["rice_score"]) == Decimal("500")
    assert response.json()["kano_survey"]["responses"] == 1


def test_update_with_target_kpis_query_budget(
    project, requirement, member, kpi, company_kpi, django_assert_max_num_queries
):
    with django_assert_max_num_queries(WRITE_BUDGET):
        response = api_as(member).patch(
            detail_url(requirement),
            {
                **TRIAGE_TO_P0,
                "target_kpis": [
                    {"kpi": kpi.pk, "expected_change": "1"},
                    {"kpi": company_kpi.pk, "expected_change": "10000"},
                ],
            },
            format="json",
        )

    assert response.status_code == 200, response.json()
    assert len(response.json()["target_kpis"]) == 2


def test_update_of_a_requirement_with_many_target_kpis_query_budget(
    project, requirement, member, staff, django_assert_max_num_queries
):
    for n in range(5):
        services.requirement_kpi_link(
            requirement=requirement,
            actor=member,
            kpi=KPIFactory(actor=staff, name=f"指标 {n}", code=f"kpi_{n}"),
            expected_change=Decimal(n + 1),
        )

    # Only the requirement's own fields change; the KPI links are just shown
    with django_assert_max_num_queries(WRITE_BUDGET):
        response = api_as(member).patch(detail_url(requirement), TRIAGE_TO_P0, format="json")

    assert response.status_code == 200, response.json()
    assert len(response.json()["target_kpis"]) == 5


def test_reorder_query_budget_does_not_grow(project, member, django_assert_max_num_queries):
    rows = [make_requirement(project, title=f"需求 {n}") for n in range(40)]
    client = api_as(member)

    with django_assert_max_num_queries(WRITE_BUDGET):
        moved = client.post(
            reorder_url(),
            {"project": project.pk, "ids": [r.pk for r in reversed(rows)]},
            format="json",
        )
    with django_assert_max_num_queries(WRITE_BUDGET):
        one = client.post(
            reorder_url(), {"requirement": rows[-1].pk, "after": rows[3].pk}, format="json"
        )

    assert (moved.status_code, one.status_code) == (200, 200)
    # reversed: R40 … R1; then R40 goes below R4
    assert backlog_order(client, project) == [
        *(f"MALL-R{n}" for n in range(39, 3, -1)),
        "MALL-R40",
        "MALL-R3",
        "MALL-R2",
        "MALL-R1",
    ]


# ---------------------------------------------------------------- OpenAPI


def test_schema_lists_the_requirement_paths(member):
    response = api_as(member).get(reverse("api-schema"), {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/requirements/",
        "/api/v1/requirements/{id}/",
        "/api/v1/requirements/{id}/kano-responses/",
        "/api/v1/requirements/{id}/comments/",
        "/api/v1/requirements/reorder/",
        "/api/v1/requirements/bulk/",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/requirements/"]) >= {"get", "post"}
    assert set(paths["/api/v1/requirements/{id}/"]) >= {"get", "patch", "put", "delete"}
    assert set(paths["/api/v1/requirements/{id}/kano-responses/"]) >= {"get", "post"}
    assert "post" in paths["/api/v1/requirements/reorder/"]
    names = {p["name"] for p in paths["/api/v1/requirements/"]["get"].get("parameters", [])}
    assert {"project", "status", "moscow", "kano", "priority", "q", "ordering"} <= names
