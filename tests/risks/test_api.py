"""The risks API (DESIGN §5): every endpoint through the roles, field errors that write
nothing, the heat map, filters and query budgets (DESIGN §7)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from portal.models import Activity, Event
from risks import services
from risks.models import Risk, RiskHistory, RiskReview, Status
from risks.scoring import risk_level
from tests.conftest import api_as
from tests.portal.factories import UserFactory
from tests.projects.factories import add_member, make_project
from tests.risks.factories import CELLS, bulk_risks, make_risk

pytestmark = pytest.mark.django_db

LIST = "/api/v1/risks/"


def detail(risk) -> str:
    return f"{LIST}{risk.pk}/"


def user_for(request, who):
    return None if who == "anonymous" else request.getfixturevalue(who)


def written() -> dict[str, int]:
    return {
        "risks": Risk.objects.count(),
        "history": RiskHistory.objects.count(),
        "reviews": RiskReview.objects.count(),
        "activity": Activity.objects.count(),
        "events": Event.objects.count(),
    }


@pytest.fixture
def risk(project, member, viewer):
    """MALL-RISK-1, 3 × 3, owned by 王芳; the member and viewer exist too."""
    return make_risk(project, title="支付网关超时", probability=3, impact=3)


def new_risk_body(project, **overrides):
    return {
        "project": project.pk,
        "title": "大促库存超卖",
        "category": "technical",
        "probability": 4,
        "impact": 4,
        **overrides,
    }


# ---------------------------------------------------------------- auth matrix

READ = {"owner": 200, "member": 200, "viewer": 200, "outsider": 404, "anonymous": 401}


@pytest.mark.parametrize(("who", "status"), READ.items())
def test_list_by_role(request, project, risk, who, status):
    response = api_as(user_for(request, who)).get(LIST, {"project": project.pk})

    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["count"] == 1
        assert body["results"][0]["key"] == "MALL-RISK-1"
        assert (body["results"][0]["score"], body["results"][0]["level"]) == (9, "medium")


def test_outsider_lists_none_of_the_projects_risks(project, risk, outsider):
    response = api_as(outsider).get(LIST)

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_staff_see_every_risk(project, risk, staff):
    response = api_as(staff).get(LIST)

    assert [r["key"] for r in response.json()["results"]] == ["MALL-RISK-1"]


@pytest.mark.parametrize(("who", "status"), READ.items())
def test_retrieve_by_role(request, risk, who, status):
    response = api_as(user_for(request, who)).get(detail(risk))

    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["title"] == "支付网关超时"
        assert body["owner"] == risk.owner_id
        assert body["owner_detail"]["label"] == "王芳"
        assert body["overdue"] is False


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 201), ("member", 201), ("viewer", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_create_by_role(request, project, member, viewer, who, status):
    user = user_for(request, who)

    response = api_as(user).post(LIST, new_risk_body(project), format="json")

    assert response.status_code == status
    assert Risk.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        body = response.json()
        assert (body["key"], body["score"], body["level"]) == ("MALL-RISK-1", 16, "high")
        # The owner defaults to whoever registered it
        assert body["owner"] == user.pk
        assert Event.objects.filter(name="risk.created").count() == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("member", 200), ("viewer", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_partial_update_by_role(request, risk, who, status):
    response = api_as(user_for(request, who)).patch(detail(risk), {"impact": 5}, format="json")

    assert response.status_code == status
    fresh = Risk.objects.get(pk=risk.pk)
    if status == 200:
        assert (response.json()["score"], response.json()["level"]) == (15, "high")
        assert (fresh.impact, fresh.level) == (5, "high")
        assert RiskHistory.objects.filter(risk=risk, field="impact").count() == 1
    else:
        assert (fresh.impact, fresh.level) == (3, "medium")
        assert RiskHistory.objects.filter(risk=risk, field="impact").count() == 0


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 204), ("member", 403), ("viewer", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_delete_by_role(request, risk, who, status):
    response = api_as(user_for(request, who)).delete(detail(risk))

    assert response.status_code == status
    assert Risk.objects.filter(pk=risk.pk).exists() == (status != 204)
    assert Activity.objects.filter(verb="risk.deleted").count() == (1 if status == 204 else 0)


@pytest.mark.parametrize(("who", "status"), READ.items())
def test_history_by_role(request, risk, owner, who, status):
    services.risk_update(risk=risk, actor=owner, probability=5)

    response = api_as(user_for(request, who)).get(f"{detail(risk)}history/")

    assert response.status_code == status
    if status == 200:
        rows = response.json()["results"]
        assert [(r["field"], r["old_value"], r["new_value"]) for r in rows] == [
            ("created", "", "open"),
            ("probability", "3", "5"),
        ]
        assert rows[1]["score"] == 15
        assert rows[1]["actor"]["label"] == "王芳"


@pytest.mark.parametrize(("who", "status"), READ.items())
def test_review_log_by_role(request, risk, member, who, status):
    services.risk_review(risk=risk, actor=member, note="已复核")

    response = api_as(user_for(request, who)).get(f"{detail(risk)}reviews/")

    assert response.status_code == status
    if status == 200:
        rows = response.json()["results"]
        assert [(r["note"], r["reviewer"]["label"]) for r in rows] == [("已复核", "李雷")]


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 201), ("member", 201), ("viewer", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_record_review_by_role(request, project, risk, who, status):
    response = api_as(user_for(request, who)).post(
        f"{detail(risk)}reviews/", {"note": "无变化"}, format="json"
    )

    assert response.status_code == status
    fresh = Risk.objects.get(pk=risk.pk)
    if status == 201:
        expected = project.today() + timedelta(days=14)
        assert response.json()["next_review_date"] == expected.isoformat()
        assert fresh.next_review_date == expected
    else:
        assert fresh.next_review_date is None
        assert RiskReview.objects.count() == 0


@pytest.mark.parametrize(("who", "status"), READ.items())
def test_heatmap_by_role(request, project, risk, who, status):
    response = api_as(user_for(request, who)).get(f"{LIST}heatmap/", {"project": project.pk})

    assert response.status_code == status
    if status == 200:
        assert response.json()["total"] == 1


def test_outsider_cannot_create_in_a_project_they_are_not_in(project, outsider):
    before = written()

    response = api_as(outsider).post(LIST, new_risk_body(project), format="json")

    assert response.status_code == 404
    assert written() == before


def test_outsider_cannot_tell_existing_project_ids_from_missing_ones(project, outsider):
    existing = api_as(outsider).post(LIST, new_risk_body(project), format="json")
    missing = api_as(outsider).post(
        LIST, {**new_risk_body(project), "project": project.pk + 1000}, format="json"
    )

    if Risk.objects.exists():
        pytest.fail("an outsider created a risk")
    assert existing.status_code == missing.status_code, (existing.json(), missing.json())


def test_member_cannot_move_a_risk_to_another_project(owner, project, risk, member):
    other = make_project(owner=owner, key="PAY")
    add_member(other, member)

    response = api_as(member).patch(detail(risk), {"project": other.pk}, format="json")

    assert response.status_code == 400
    assert "project" in response.json()
    assert Risk.objects.get(pk=risk.pk).project == project


def test_token_auth(project, risk, member):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=member)
    client = APIClient()

    assert client.get(LIST, HTTP_AUTHORIZATION="Token nope").status_code == 401
    response = client.get(LIST, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert [r["key"] for r in response.json()["results"]] == ["MALL-RISK-1"]


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("probability", 6),
        ("impact", 0),
        ("category", "weather"),
        ("owner", "outsider"),
        ("next_review_date", "yesterday"),
    ],
)
def test_bad_create_input_is_a_field_error_and_writes_nothing(
    project, member, outsider, field, value
):
    if value == "outsider":
        value = outsider.pk
    elif value == "yesterday":
        value = (project.today() - timedelta(days=1)).isoformat()
    before = written()

    response = api_as(member).post(LIST, new_risk_body(project, **{field: value}), format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert response.json()[field]
    assert written() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("probability", 6), ("impact", 0), ("category", "weather"), ("owner", "outsider")],
)
def test_bad_update_input_is_a_field_error_and_changes_nothing(
    risk, member, outsider, field, value
):
    if value == "outsider":
        value = outsider.pk
    before = written()

    response = api_as(member).patch(detail(risk), {field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert written() == before
    fresh = Risk.objects.get(pk=risk.pk)
    assert (fresh.probability, fresh.impact, fresh.category, fresh.owner) == (
        3,
        3,
        "technical",
        risk.owner,
    )


@pytest.mark.parametrize("days", [0, -1])
def test_review_date_not_after_today_is_a_field_error(project, risk, member, days):
    before = written()

    response = api_as(member).post(
        f"{detail(risk)}reviews/",
        {"next_review_date": (project.today() + timedelta(days=days)).isoformat()},
        format="json",
    )

    assert response.status_code == 400
    assert "next_review_date" in response.json()
    assert written() == before


def test_heatmap_needs_a_project(member):
    response = api_as(member).get(f"{LIST}heatmap/")

    assert response.status_code == 400
    assert "project" in response.json()


# ---------------------------------------------------------------- heat map


def test_heatmap_counts_match_the_live_risks(project, owner, member):
    # Given risks in a few cells, one of them closed and one occurred
    for probability, impact in [(5, 5), (5, 5), (3, 4), (1, 2), (1, 2), (1, 2)]:
        make_risk(project, probability=probability, impact=impact)
    services.risk_update(
        risk=make_risk(project, probability=3, impact=4), actor=owner, status=Status.CLOSED
    )
    services.risk_update(
        risk=make_risk(project, probability=2, impact=2), actor=owner, status=Status.OCCURRED
    )
    services.risk_update(
        risk=make_risk(project, probability=4, impact=1), actor=owner, status=Status.MITIGATING
    )
    # and another project's risks, which never show here
    other = make_project(owner=owner, key="PAY")
    make_risk(other, probability=5, impact=5)

    response = api_as(member).get(f"{LIST}heatmap/", {"project": project.pk})

    body = response.json()
    counts = {(c["probability"], c["impact"]): c["count"] for c in body["cells"]}
    assert {cell: n for cell, n in counts.items() if n} == {
        (5, 5): 2,
        (3, 4): 1,
        (1, 2): 3,
        (4, 1): 1,
    }
    assert body["total"] == 7
    assert len(body["cells"]) == 25
    levels = {(c["probability"], c["impact"]): c["level"] for c in body["cells"]}
    assert levels[(5, 5)] == "critical"
    assert levels[(1, 2)] == "low"
    # rows are probability 5 → 1, columns impact 1 → 5
    assert body["rows"][0] == [0, 0, 0, 0, 2]
    assert body["rows"][1] == [1, 0, 0, 0, 0]
    assert body["rows"][4] == [0, 3, 0, 0, 0]


def test_heatmap_of_another_project_is_404(owner, member):
    other = make_project(owner=owner, key="PAY")

    response = api_as(member).get(f"{LIST}heatmap/", {"project": other.pk})

    assert response.status_code == 404


# ---------------------------------------------------------------- filters


@pytest.fixture
def register(project, owner, member):
    """Five risks: two overdue, one closed past its date, one due next month, one without."""
    with time_machine.travel(datetime(2026, 3, 1, 4, 0, tzinfo=UTC), tick=False):
        make_risk(
            project,
            title="支付网关宕机",
            description="双通道",
            probability=5,
            impact=5,
            next_review_date=date(2026, 3, 5),
        )
        make_risk(
            project, title="库存超卖", probability=4, impact=4, next_review_date=date(2026, 3, 6)
        )
        closed = make_risk(
            project, title="旧系统下线", probability=1, impact=2, next_review_date=date(2026, 3, 2)
        )
        services.risk_update(risk=closed, actor=owner, status=Status.CLOSED)
        make_risk(
            project,
            title="物流接口故障",
            description="第三方支付回调延迟",
            probability=2,
            impact=3,
            next_review_date=date(2026, 4, 20),
        )
        make_risk(project, title="人员流失", probability=2, impact=2)


FILTER_CASES = [
    ({"level": "critical"}, ["支付网关宕机"]),
    ({"level": ["high", "critical"]}, ["支付网关宕机", "库存超卖"]),
    ({"level": "low"}, ["人员流失", "旧系统下线"]),
    ({"status": "closed"}, ["旧系统下线"]),
    ({"status": "open"}, ["支付网关宕机", "库存超卖", "物流接口故障", "人员流失"]),
    ({"overdue": "true"}, ["支付网关宕机", "库存超卖"]),
    ({"overdue": "false"}, ["物流接口故障", "人员流失", "旧系统下线"]),
    ({"q": "支付"}, ["支付网关宕机", "物流接口故障"]),  # title or description
    ({"q": "超卖", "level": "high"}, ["库存超卖"]),
    ({"probability": 2, "impact": 3}, ["物流接口故障"]),
]


@pytest.mark.parametrize(("query", "titles"), FILTER_CASES)
def test_list_filters(project, register, member, query, titles):
    with time_machine.travel(datetime(2026, 3, 10, 4, 0, tzinfo=UTC), tick=False):
        response = api_as(member).get(LIST, {"project": project.pk, **query})

    assert response.status_code == 200
    assert [r["title"] for r in response.json()["results"]] == titles


def test_overdue_field_marks_each_row(project, register, member):
    with time_machine.travel(datetime(2026, 3, 10, 4, 0, tzinfo=UTC), tick=False):
        response = api_as(member).get(LIST, {"project": project.pk})

    overdue = {r["title"]: r["overdue"] for r in response.json()["results"]}
    assert overdue == {
        "支付网关宕机": True,
        "库存超卖": True,
        "物流接口故障": False,
        "人员流失": False,
        "旧系统下线": False,
    }


def test_overdue_filter_agrees_with_the_overdue_field_after_local_midnight(project, member):
    with time_machine.travel(datetime(2026, 3, 1, 4, 0, tzinfo=UTC), tick=False):
        make_risk(project, title="复核到期", next_review_date=date(2026, 3, 10))

    # 2026-03-10 17:00 UTC is 01:00 on the 11th in Shanghai: the review date has passed
    with time_machine.travel(datetime(2026, 3, 10, 17, 0, tzinfo=UTC), tick=False):
        everything = api_as(member).get(LIST, {"project": project.pk}).json()["results"]
        overdue = api_as(member).get(LIST, {"project": project.pk, "overdue": "true"}).json()

    if [r["overdue"] for r in everything] != [True]:
        pytest.fail("the row itself is not marked overdue: not the known bug")
    assert [r["title"] for r in overdue["results"]] == ["复核到期"]


def test_unknown_project_filter_is_404_and_a_bad_one_400(member):
    assert api_as(member).get(LIST, {"project": 999999}).status_code == 404
    response = api_as(member).get(LIST, {"project": "MALL"})
    assert response.status_code == 400
    assert "project" in response.json()


# ---------------------------------------------------------------- query budgets

LIST_BUDGET = 8
DETAIL_BUDGET = 6
WRITE_BUDGET = 20


@pytest.fixture
def owners(project, owner, member, viewer):
    return [owner, member, *(add_member(project, UserFactory()) for _ in range(3))]


def owners_by_key(project) -> dict[str, str]:
    return {
        f"MALL-RISK-{number}": username
        for number, username in Risk.objects.filter(project=project).values_list(
            "number", "owner__username"
        )
    }


@pytest.mark.parametrize("count", [20, 2000])
def test_list_query_budget_does_not_grow_with_risks(
    project, owners, member, django_assert_max_num_queries, count
):
    bulk_risks(project, count, owners=owners)

    with django_assert_max_num_queries(LIST_BUDGET):
        response = api_as(member).get(LIST, {"project": project.pk})

    body = response.json()
    assert body["count"] == count
    assert len(body["results"]) == min(count, 50)
    # each row names its own owner, the highest scores come first
    owner_of = owners_by_key(project)
    assert {r["key"]: r["owner_detail"]["username"] for r in body["results"]} == {
        r["key"]: owner_of[r["key"]] for r in body["results"]
    }
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == max(p * i for p, i in CELLS[: min(count, 25)])
    assert all(r["level"] == risk_level(r["score"]) for r in body["results"])


@pytest.mark.parametrize("count", [20, 2000])
def test_filtered_list_without_project_stays_in_budget(
    project, owners, member, django_assert_max_num_queries, count
):
    bulk_risks(project, count, owners=owners)
    expected = Risk.objects.filter(level__in=["high", "critical"]).count()

    with django_assert_max_num_queries(LIST_BUDGET):
        response = api_as(member).get(
            LIST, {"level": ["high", "critical"], "status": "open", "q": "批量", "page_size": 200}
        )

    body = response.json()
    assert body["count"] == expected
    assert len(body["results"]) == min(expected, 200)
    assert {r["level"] for r in body["results"]} <= {"high", "critical"}


def test_detail_query_budget(project, owners, member, django_assert_max_num_queries):
    bulk_risks(project, 50, owners=owners)
    risk = Risk.objects.get(project=project, number=25)

    with django_assert_max_num_queries(DETAIL_BUDGET):
        response = api_as(member).get(detail(risk))

    assert response.json()["key"] == "MALL-RISK-25"


def test_history_query_budget(project, risk, owner, member, django_assert_max_num_queries):
    for impact in (1, 2, 4, 5, 3):
        services.risk_update(risk=risk, actor=member if impact % 2 else owner, impact=impact)

    with django_assert_max_num_queries(DETAIL_BUDGET):
        response = api_as(member).get(f"{detail(risk)}history/")

    assert len(response.json()["results"]) == 6


WRITE_BUDGET_BUG = (
    "BUG: a create/update through the API runs more than the DESIGN §7 budget of 20 queries "
    "(measured: create 25, update with three tracked fields 24). full_clean() validates the "
    "two CheckConstraints with a query each wrapped in SAVEPOINT/RELEASE (6 statements that "
    "repeat the 1–5 field validators), re-checks every FK (project, owner, created_by) and the "
    "unique number, and emit() adds another savepoint pair"
)


def test_create_query_budget(project, owners, member, django_assert_max_num_queries):
    bulk_risks(project, 100, owners=owners)
    body = new_risk_body(project, owner=owners[2].pk, probability=5, impact=5)

    with django_assert_max_num_queries(WRITE_BUDGET):
        response = api_as(member).post(LIST, body, format="json")

    assert response.status_code == 201
    assert response.json()["key"] == "MALL-RISK-101"


def test_update_query_budget(project, risk, member, django_assert_max_num_queries):
    with django_assert_max_num_queries(WRITE_BUDGET):
        response = api_as(member).patch(
            detail(risk), {"impact": 5, "probability": 5, "status": "mitigating"}, format="json"
        )

    assert response.status_code == 200
    assert response.json()["level"] == "critical"
