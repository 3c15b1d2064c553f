"""OKR periods and KPI dates a client can send, and deletes that wrote no history.

- `POST /objectives/` with period `0000-Q1` answered 500 but kept the row; from then on
  every objectives list and page showing it answered 500, for everyone who could see it.
- Objectives and key results were deleted by the API view itself: no service, no
  transaction, no activity row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.test import Client
from rest_framework.test import APIClient

from kpis.models import KPIDataPoint
from metrics import services
from metrics.models import CheckIn, KeyResult, Objective
from portal import clock
from portal.models import Activity
from tests.metrics.factories import KeyResultFactory, ObjectiveFactory
from tests.projects.db_faults import deletes_refused

pytestmark = pytest.mark.django_db

OBJECTIVES = "/api/v1/objectives/"
KEY_RESULTS = "/api/v1/key-results/"
MID_Q4 = datetime(2026, 11, 15, 4, 0, tzinfo=UTC)


def api_as(user) -> APIClient:
    # raise_request_exception=False: a server error comes back as the 500 a client sees.
    client = APIClient(raise_request_exception=False)
    if user is not None:
        client.force_authenticate(user)
    return client


def web_as(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def pages_render(user, objective_id: int | None = None) -> list[int]:
    with clock.frozen_at(MID_Q4):
        codes = [
            api_as(user).get(OBJECTIVES).status_code,
            api_as(user).get(KEY_RESULTS).status_code,
            web_as(user).get("/okrs/").status_code,
            web_as(user).get("/dashboard/").status_code,
        ]
        if objective_id is not None:
            codes.append(api_as(user).get(f"{OBJECTIVES}{objective_id}/").status_code)
    return codes


@pytest.fixture
def mall_objective(project, member):
    objective = ObjectiveFactory(
        actor=member, project=project, title="双十一转化率提升", period="2026-Q4"
    )
    kr = KeyResultFactory(
        objective=objective, actor=member, title="下单转化 3.5%", start=D(3), target=D("3.5")
    )
    services.check_in_add(key_result=kr, actor=member, value=D("3.2"), confidence=7)
    return objective


# ---------------------------------------------------------------- periods


@pytest.mark.parametrize("period", ["0000-Q1", "1999-Q4", "2101-H1", "9999-M12"])
def test_an_objective_in_a_year_without_a_calendar_is_a_period_error(
    project, member, viewer, period
):
    response = api_as(member).post(
        OBJECTIVES, {"title": "远古目标", "period": period, "project": project.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["period"]
    assert not Objective.objects.exists()
    assert not Activity.objects.filter(verb="objective.created").exists()
    assert pages_render(viewer) == [200, 200, 200, 200]


@pytest.mark.parametrize("period", ["2000-Q1", "2100-Y", "2026-M03", "2026-H2"])
def test_periods_inside_the_planning_years_are_accepted(project, member, viewer, period):
    response = api_as(member).post(
        OBJECTIVES, {"title": "目标", "period": period, "project": project.pk}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["period"] == period
    assert pages_render(viewer, response.json()["id"]) == [200, 200, 200, 200, 200]


def test_an_objective_cannot_be_moved_to_year_zero(mall_objective, member, viewer):
    response = api_as(member).patch(
        f"{OBJECTIVES}{mall_objective.pk}/", {"period": "0000-Q1"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["period"]
    mall_objective.refresh_from_db()
    assert mall_objective.period == "2026-Q4"
    assert pages_render(viewer, mall_objective.pk) == [200, 200, 200, 200, 200]


@pytest.mark.parametrize("period", ["0000-Q1", "1999-Q4", "2101-Y"])
def test_the_database_refuses_a_period_outside_the_years(member, period):
    # The last line: a write that skips the validators (a script, the shell) is refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        Objective.objects.create(title="绕过校验", period=period, level="company", owner=member)


@pytest.mark.parametrize("period", ["0000-Q1", "<script>", "2026-Q5"])
def test_a_period_parameter_outside_the_years_shows_the_current_quarter(member, period):
    with clock.frozen_at(MID_Q4):
        okrs = web_as(member).get("/okrs/", {"period": period})
        dashboard = web_as(member).get("/dashboard/", {"period": period})

    assert (okrs.status_code, dashboard.status_code) == (200, 200)
    assert okrs.context["period"] == "2026-Q4"
    assert dashboard.context["period"] == "2026-Q4"


@pytest.mark.parametrize("day", ["0000-01-01", "0001-01-01", "9999-12-31", "2026-02-30"])
def test_a_daily_report_url_outside_the_years_is_not_found(project, member, day):
    response = web_as(member).get(f"/projects/{project.key}/reports/{day}/")
    assert response.status_code == 404


def test_kpi_points_outside_the_years_save_nothing(project, member):
    kpi = services.kpi_create(actor=member, project=project, name="DAU", code="dau", unit="count")

    response = api_as(member).post(
        f"/api/v1/kpis/{kpi.pk}/points/",
        [{"date": "2026-11-01", "value": 5}, {"date": "0001-01-01", "value": 7}],
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["rows"]) == ["1"]
    assert list(response.json()["rows"]["1"]) == ["date"]
    assert not KPIDataPoint.objects.exists()


# ---------------------------------------------------------------- deletes


def test_deleting_an_objective_is_in_the_projects_activity_with_what_it_was(
    project, member, viewer, mall_objective
):
    response = api_as(member).delete(f"{OBJECTIVES}{mall_objective.pk}/")

    assert response.status_code == 204
    assert not Objective.objects.exists()
    assert not KeyResult.objects.exists()
    assert not CheckIn.objects.exists()
    feed = api_as(viewer).get("/api/v1/activity/", {"project": project.pk}).json()["results"]
    deleted = feed[0]
    assert (deleted["verb"], deleted["target_label"]) == (
        "objective.deleted",
        "2026-Q4 双十一转化率提升",
    )
    assert deleted["before"] == {
        "title": "双十一转化率提升",
        "description": "",
        "period": "2026-Q4",
        "level": "project",
        "department": "",
        "owner": "李雷",
        "key_results": [
            {
                "title": "下单转化 3.5%",
                "start": "3.0000",
                "target": "3.5000",
                "current": "3.2000",
                "kpi": None,
                "unit": "count",
                "weight": "1.00",
            }
        ],
    }


def test_deleting_a_key_result_is_in_the_projects_activity_with_what_it_was(
    project, member, viewer, mall_objective
):
    kr = mall_objective.key_results.get()

    response = api_as(member).delete(f"{KEY_RESULTS}{kr.pk}/")

    assert response.status_code == 204
    assert Objective.objects.exists()
    assert not KeyResult.objects.exists()
    feed = api_as(viewer).get("/api/v1/activity/", {"project": project.pk}).json()["results"]
    deleted = feed[0]
    assert (deleted["verb"], deleted["target_label"]) == ("key_result.deleted", "下单转化 3.5%")
    assert deleted["before"]["objective"] == "双十一转化率提升"
    assert deleted["before"]["current"] == "3.2000"
    assert deleted["before"]["check_ins"] == 1


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("outsider", 404)])
def test_only_editors_delete_objectives_and_key_results(request, mall_objective, who, status):
    user = request.getfixturevalue(who)
    kr = mall_objective.key_results.get()

    assert api_as(user).delete(f"{KEY_RESULTS}{kr.pk}/").status_code == status
    assert api_as(user).delete(f"{OBJECTIVES}{mall_objective.pk}/").status_code == status
    assert api_as(None).delete(f"{OBJECTIVES}{mall_objective.pk}/").status_code == 401
    assert KeyResult.objects.exists()
    assert not Activity.objects.filter(verb__endswith=".deleted").exists()


@pytest.mark.parametrize("refused", [Objective, KeyResult, CheckIn])
def test_an_objective_delete_the_database_refuses_leaves_all_of_it(member, mall_objective, refused):
    activity = Activity.objects.count()

    with deletes_refused(refused), pytest.raises(DatabaseError):
        services.objective_delete(objective=mall_objective, actor=member)

    assert Objective.objects.count() == 1
    assert KeyResult.objects.count() == 1
    assert CheckIn.objects.count() == 1
    assert Activity.objects.count() == activity


def test_a_key_result_delete_the_database_refuses_leaves_it_and_its_check_ins(
    member, mall_objective
):
    kr = mall_objective.key_results.get()
    activity = Activity.objects.count()

    with deletes_refused(KeyResult), pytest.raises(DatabaseError):
        services.key_result_delete(key_result=kr, actor=member)

    assert KeyResult.objects.count() == 1
    assert CheckIn.objects.count() == 1
    assert Activity.objects.count() == activity


@pytest.mark.parametrize("raw", ["abc", "²", "1.5", ""])
def test_posted_ids_that_are_not_numbers_are_404_not_500(project, member, mall_objective, raw):
    client = web_as(member)
    with clock.frozen_at(MID_Q4):
        for action in ("point", "csv"):
            response = client.post(f"/kpis/?project={project.key}", {"action": action, "kpi": raw})
            assert response.status_code == 404
        assert client.post("/okrs/", {"action": "kr", "objective": raw}).status_code == 404
        assert client.post("/okrs/", {"action": "checkin", "key_result": raw}).status_code == 404
