"""The KPI and OKR API (DESIGN §5): every endpoint through the roles (company ones: all
read, staff write; project ones: members write, viewers read, outsiders 404, anonymous
401), the computed `progress`/`status`/`latest_value` fields, field errors that write
nothing, and query budgets that do not grow with the rows (DESIGN §7)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from kpis.models import KPI, KPIDataPoint
from metrics import services
from metrics.models import CheckIn, KeyResult, Objective
from portal import clock
from portal.models import Activity, Event
from tests.metrics.factories import KeyResultFactory, KPIFactory, ObjectiveFactory
from tests.projects.factories import add_member, make_project

pytestmark = pytest.mark.django_db

KPIS = "/api/v1/kpis/"
OBJECTIVES = "/api/v1/objectives/"
KEY_RESULTS = "/api/v1/key-results/"
MID_Q4 = datetime(2026, 11, 15, 4, 0, tzinfo=UTC)


_client: APIClient | None = None


def api_as(user) -> APIClient:
    """The module's one API client, authenticated as `user` (None: anonymous).

    Why one: every new test client loads the middleware again, and WhiteNoise rescans the
    static files each time (~0.3 s a client), which would dominate this module's run time.
    """
    global _client
    if _client is None:
        _client = APIClient()
    _client.force_authenticate(user)
    return _client


def user_for(request, who):
    return None if who == "anonymous" else request.getfixturevalue(who)


def written() -> dict[str, object]:
    return {
        "kpis": list(KPI.objects.order_by("pk").values_list("pk", "name", "target", "unit")),
        "points": list(KPIDataPoint.objects.order_by("pk").values_list("kpi", "date", "value")),
        "objectives": list(Objective.objects.order_by("pk").values_list("pk", "title", "period")),
        "key_results": list(
            KeyResult.objects.order_by("pk").values_list("pk", "title", "target", "current")
        ),
        "check_ins": CheckIn.objects.count(),
        "activity": Activity.objects.count(),
        "events": Event.objects.count(),
    }


# ---------------------------------------------------------------- the cast


@pytest.fixture
def everyone(owner, member, viewer, outsider, staff):
    """Make sure every role exists before a test snapshots what was written."""


@pytest.fixture
def company_kpi(staff):
    """GMV, company-wide, in CNY, target ¥1,000,000."""
    return KPIFactory(
        actor=staff, name="GMV", code="gmv", unit="money", currency="CNY", target=D("1000000")
    )


@pytest.fixture
def project_kpi(project, member):
    """MALL's 退货率, lower is better, target 5 %."""
    return KPIFactory(
        actor=member,
        project=project,
        name="退货率",
        code="return_rate",
        unit="percent",
        direction="lower",
        target=D("5"),
    )


@pytest.fixture
def company_objective(staff):
    return ObjectiveFactory(actor=staff, title="提升会员活跃度", period="2026-Q4")


@pytest.fixture
def project_objective(project, member):
    return ObjectiveFactory(
        actor=member, project=project, title="双十一转化率提升", period="2026-Q4"
    )


@pytest.fixture
def company_kr(company_objective, staff):
    return KeyResultFactory(
        objective=company_objective,
        actor=staff,
        title="DAU 15 万",
        start=D(100000),
        target=D(150000),
    )


@pytest.fixture
def project_kr(project_objective, member):
    return KeyResultFactory(
        objective=project_objective,
        actor=member,
        title="下单转化 3.5%",
        start=D(3),
        target=D("3.5"),
    )


# Company KPIs and objectives: everyone signed in reads them, only staff change them. The
# owner and viewer of MALL are plain signed-in users here, like the member.
COMPANY_ROLES = ["member", "outsider", "staff", "anonymous"]
COMPANY_READ = {"member": 200, "outsider": 200, "staff": 200, "anonymous": 401}
COMPANY_WRITE = {"member": 403, "outsider": 403, "staff": "ok", "anonymous": 401}
# Project ones follow the project's roles.
PROJECT_ROLES = ["owner", "member", "viewer", "outsider", "staff", "anonymous"]
# The owner reads through the same membership check as the member: reads skip them.
PROJECT_READERS = ["member", "viewer", "outsider", "staff", "anonymous"]
PROJECT_READ = {"owner": 200, "member": 200, "viewer": 200, "outsider": 404, "staff": 200}
PROJECT_WRITE = {"owner": "ok", "member": "ok", "viewer": 403, "outsider": 404, "staff": "ok"}


def expected(table, who, ok):
    status = table.get(who, 401)
    return ok if status == "ok" else status


def statuses(*responses) -> list[int]:
    return [r.status_code for r in responses]


# ---------------------------------------------------------------- KPIs: company


@pytest.mark.parametrize("who", COMPANY_ROLES)
def test_company_kpi_reads_by_role(request, everyone, company_kpi, project_kpi, staff, who):
    services.kpi_points_upsert(
        kpi=company_kpi, actor=staff, rows=[{"date": "2026-11-01", "value": "900000"}]
    )
    client = api_as(user_for(request, who))

    listed = client.get(KPIS)
    one = client.get(f"{KPIS}{company_kpi.pk}/")
    points = client.get(f"{KPIS}{company_kpi.pk}/points/")

    status = expected(COMPANY_READ, who, 200)
    assert statuses(listed, one, points) == [status] * 3
    if status == 200:
        # An outsider reads the company's KPIs, never MALL's. (Sorted: where company KPIs
        # come, first or last, depends on how the database sorts a null project.)
        codes = sorted(k["code"] for k in listed.json()["results"])
        assert codes == (["gmv"] if who == "outsider" else ["gmv", "return_rate"])
        assert (one.json()["name"], one.json()["currency"], one.json()["project"]) == (
            "GMV",
            "CNY",
            None,
        )
        assert [(p["date"], p["value"]) for p in points.json()["results"]] == [
            ("2026-11-01", "900000.0000")
        ]


@pytest.mark.parametrize("who", COMPANY_ROLES)
def test_company_kpi_writes_by_role(request, everyone, company_kpi, who):
    user = user_for(request, who)
    client = api_as(user)
    before = written()

    created = client.post(KPIS, {"name": "DAU", "code": "dau", "unit": "count", "target": "150000"})
    updated = client.patch(f"{KPIS}{company_kpi.pk}/", {"target": "1200000"})
    pushed = client.post(
        f"{KPIS}{company_kpi.pk}/points/", [{"date": "2026-11-02", "value": "1100000"}]
    )
    deleted = client.delete(f"{KPIS}{company_kpi.pk}/")

    if who == "staff":
        assert statuses(created, updated, pushed, deleted) == [201, 200, 200, 204]
        assert created.json()["project"] is None
        assert updated.json()["target"] == "1200000.0000"
        assert pushed.json() == {"saved": 1}
        dau = KPI.objects.get()  # GMV is gone, DAU stays
        assert (dau.code, dau.project, dau.target, dau.created_by) == ("dau", None, 150000, user)
        verbs = Activity.objects.filter(verb__startswith="kpi.").order_by("id")
        assert list(verbs.values_list("verb", flat=True)) == [
            "kpi.created",  # GMV, by the fixture
            "kpi.created",
            "kpi.updated",
            "kpi.points_saved",
            "kpi.deleted",
        ]
    else:
        assert statuses(created, updated, pushed, deleted) == [COMPANY_WRITE[who]] * 4
        assert written() == before


# ---------------------------------------------------------------- KPIs: project


@pytest.mark.parametrize("who", PROJECT_READERS)
def test_project_kpi_reads_by_role(request, everyone, project, project_kpi, member, who):
    services.kpi_points_upsert(
        kpi=project_kpi,
        actor=member,
        rows=[{"date": "2026-11-01", "value": "5.2"}, {"date": "2026-11-02", "value": "5.0"}],
    )
    client = api_as(user_for(request, who))

    listed = client.get(KPIS, {"project": project.pk})
    one = client.get(f"{KPIS}{project_kpi.pk}/")
    points = client.get(f"{KPIS}{project_kpi.pk}/points/")

    status = expected(PROJECT_READ, who, 200)
    assert statuses(listed, one, points) == [status] * 3
    if status == 200:
        assert [k["code"] for k in listed.json()["results"]] == ["return_rate"]
        assert one.json()["project"] == project.pk
        # newest first
        assert [(p["date"], p["value"]) for p in points.json()["results"]] == [
            ("2026-11-02", "5.0000"),
            ("2026-11-01", "5.2000"),
        ]


@pytest.mark.parametrize("who", PROJECT_ROLES)
def test_project_kpi_writes_by_role(request, everyone, project, project_kpi, who):
    client = api_as(user_for(request, who))
    before = written()

    created = client.post(
        KPIS,
        {
            "project": project.pk,
            "name": "客单价",
            "code": "aov",
            "unit": "money",
            "currency": "CNY",
        },
    )
    updated = client.patch(
        f"{KPIS}{project_kpi.pk}/", {"target": "4.5", "name": "退货率（签收后 7 天）"}
    )
    pushed = client.post(
        f"{KPIS}{project_kpi.pk}/points/",
        [{"date": "2026-11-02", "value": "4.7"}, {"date": "2026-11-03", "value": "4.6"}],
    )
    points_after_push = list(KPIDataPoint.objects.values_list("date", "value"))
    deleted = client.delete(f"{KPIS}{project_kpi.pk}/")

    if expected(PROJECT_WRITE, who, "ok") == "ok":
        assert statuses(created, updated, pushed, deleted) == [201, 200, 200, 204]
        assert (created.json()["project"], created.json()["status"]) == (project.pk, None)
        assert (updated.json()["target"], updated.json()["name"]) == (
            "4.5000",
            "退货率（签收后 7 天）",
        )
        assert D(Activity.objects.get(verb="kpi.updated").after["target"]) == D("4.5")
        assert pushed.json() == {"saved": 2}
        assert points_after_push == [(date(2026, 11, 2), D("4.7")), (date(2026, 11, 3), D("4.6"))]
        assert list(KPI.objects.values_list("code", "project")) == [("aov", project.pk)]
    else:
        assert statuses(created, updated, pushed, deleted) == [PROJECT_WRITE.get(who, 401)] * 4
        assert written() == before


def test_an_outsider_naming_the_project_gets_404_not_a_hint(everyone, outsider, project):
    client = api_as(outsider)

    assert client.get(KPIS, {"project": project.pk}).status_code == 404
    assert client.get(OBJECTIVES, {"project": project.pk}).status_code == 404
    assert client.get(KPIS, {"project": 999999}).status_code == 404


def test_a_project_filter_that_is_not_a_number_is_a_field_error(member):
    response = api_as(member).get(KPIS, {"project": "MALL"})

    assert response.status_code == 400
    assert list(response.json()) == ["project"]


def test_a_kpi_cannot_move_to_another_project(project_kpi, member, owner):
    other = make_project(owner=owner, key="POS")
    add_member(other, member)
    before = written()

    response = api_as(member).patch(f"{KPIS}{project_kpi.pk}/", {"project": other.pk})

    assert response.status_code == 400
    assert list(response.json()) == ["project"]
    assert written() == before


# ---------------------------------------------------------------- objectives


@pytest.mark.parametrize("who", COMPANY_ROLES)
def test_company_objective_reads_by_role(request, everyone, company_objective, company_kr, who):
    client = api_as(user_for(request, who))

    listed = client.get(OBJECTIVES)
    one = client.get(f"{OBJECTIVES}{company_objective.pk}/")

    status = expected(COMPANY_READ, who, 200)
    assert statuses(listed, one) == [status] * 2
    if status == 200:
        assert [o["title"] for o in listed.json()["results"]] == ["提升会员活跃度"]
        assert [kr["title"] for kr in one.json()["key_results"]] == ["DAU 15 万"]
        assert one.json()["owner_detail"]["username"] == "staff"


@pytest.mark.parametrize("who", COMPANY_ROLES)
def test_company_objective_writes_by_role(request, everyone, company_objective, who):
    user = user_for(request, who)
    client = api_as(user)
    before = written()

    created = client.post(
        OBJECTIVES, {"title": "提升复购", "period": "2026-Q4", "level": "company"}
    )
    updated = client.patch(
        f"{OBJECTIVES}{company_objective.pk}/", {"title": "提升会员活跃度与复购"}
    )
    deleted = client.delete(f"{OBJECTIVES}{company_objective.pk}/")

    if who == "staff":
        assert statuses(created, updated, deleted) == [201, 200, 204]
        body = created.json()
        assert (body["level"], body["project"], body["owner"]) == ("company", None, user.pk)
        assert (body["progress"], body["status"], body["key_results"]) == (0.0, None, [])
        assert updated.json()["title"] == "提升会员活跃度与复购"
        assert list(Objective.objects.values_list("title", flat=True)) == ["提升复购"]
    else:
        assert statuses(created, updated, deleted) == [COMPANY_WRITE[who]] * 3
        assert written() == before


def test_a_department_objective_is_created_by_staff(staff):
    response = api_as(staff).post(
        OBJECTIVES,
        {
            "title": "客服满意度",
            "period": "2026-Q4",
            "level": "department",
            "department": "customer_service",
        },
    )

    assert response.status_code == 201
    assert Objective.objects.get().department == "customer_service"


def test_the_owner_of_a_company_objective_may_change_it(staff, member):
    objective = services.objective_create(
        actor=staff, title="提升会员活跃度", period="2026-Q4", owner=member
    )

    response = api_as(member).patch(f"{OBJECTIVES}{objective.pk}/", {"period": "2027-Q1"})

    assert response.status_code == 200
    objective.refresh_from_db()
    assert objective.period == "2027-Q1"


@pytest.mark.parametrize("who", PROJECT_READERS)
def test_project_objective_reads_by_role(request, everyone, project, project_objective, who):
    client = api_as(user_for(request, who))

    listed = client.get(OBJECTIVES, {"project": project.pk})
    one = client.get(f"{OBJECTIVES}{project_objective.pk}/")
    unfiltered = client.get(OBJECTIVES)

    status = expected(PROJECT_READ, who, 200)
    assert statuses(listed, one) == [status] * 2
    if status == 200:
        assert [o["title"] for o in listed.json()["results"]] == ["双十一转化率提升"]
        assert one.json()["project"] == project.pk
    if who == "outsider":
        assert unfiltered.json()["count"] == 0


@pytest.mark.parametrize("who", PROJECT_ROLES)
def test_project_objective_writes_by_role(request, everyone, project, project_objective, who):
    client = api_as(user_for(request, who))
    before = written()

    created = client.post(
        OBJECTIVES, {"project": project.pk, "title": "618 大促零故障", "period": "2026-Q2"}
    )
    updated = client.patch(f"{OBJECTIVES}{project_objective.pk}/", {"title": "双十一 GMV 破亿"})
    deleted = client.delete(f"{OBJECTIVES}{project_objective.pk}/")

    if expected(PROJECT_WRITE, who, "ok") == "ok":
        assert statuses(created, updated, deleted) == [201, 200, 204]
        body = created.json()
        assert (body["level"], body["project"], body["status"]) == ("project", project.pk, None)
        assert updated.json()["title"] == "双十一 GMV 破亿"
        assert list(Objective.objects.values_list("title", flat=True)) == ["618 大促零故障"]
    else:
        assert statuses(created, updated, deleted) == [PROJECT_WRITE.get(who, 401)] * 3
        assert written() == before


# ---------------------------------------------------------------- key results & check-ins


@pytest.mark.parametrize("who", PROJECT_READERS)
def test_project_key_result_reads_by_role(request, everyone, project_kr, member, who):
    services.check_in_add(key_result=project_kr, actor=member, value=D("3.1"), confidence=6)
    client = api_as(user_for(request, who))

    one = client.get(f"{KEY_RESULTS}{project_kr.pk}/")
    check_ins = client.get(f"{KEY_RESULTS}{project_kr.pk}/check-ins/")
    listed = client.get(KEY_RESULTS)

    status = expected(PROJECT_READ, who, 200)
    assert statuses(one, check_ins) == [status] * 2
    if status == 200:
        assert (one.json()["title"], one.json()["current"]) == ("下单转化 3.5%", "3.1000")
        assert [(c["value"], c["confidence"]) for c in check_ins.json()["results"]] == [
            ("3.1000", 6)
        ]
        assert check_ins.json()["results"][0]["author"]["username"] == "member"
        assert [kr["id"] for kr in listed.json()["results"]] == [project_kr.pk]
    if who == "outsider":
        assert listed.json()["count"] == 0


def test_key_results_are_filtered_by_project(project, project_kr, member, outsider, owner):
    other = make_project(owner=owner, key="POS")
    add_member(other, member)
    pos = services.objective_create(actor=owner, project=other, title="门店提效", period="2026-Q4")
    pos_kr = services.key_result_create(
        objective=pos, actor=owner, title="收银时长 30 秒", start=D(60), target=D(30)
    )

    mine = api_as(member).get(KEY_RESULTS, {"project": other.pk})
    theirs = api_as(outsider).get(KEY_RESULTS, {"project": project.pk})

    assert [kr["id"] for kr in mine.json()["results"]] == [pos_kr.pk]
    assert theirs.status_code == 404


@pytest.mark.parametrize("who", PROJECT_ROLES)
def test_project_key_result_writes_by_role(request, everyone, project_objective, project_kr, who):
    client = api_as(user_for(request, who))
    before = written()

    with clock.frozen_at(datetime(2026, 10, 3, tzinfo=UTC)):  # the quarter has just begun
        created = client.post(
            KEY_RESULTS,
            {
                "objective": project_objective.pk,
                "title": "支付成功率 99.5%",
                "start": "98",
                "target": "99.5",
            },
        )
    updated = client.patch(f"{KEY_RESULTS}{project_kr.pk}/", {"target": "4"})
    checked = client.post(
        f"{KEY_RESULTS}{project_kr.pk}/check-ins/",
        {"value": "3.25", "confidence": 7, "note": "新版收银台上线"},
    )
    current_after_check_in = KeyResult.objects.filter(pk=project_kr.pk).values("current").first()
    deleted = client.delete(f"{KEY_RESULTS}{project_kr.pk}/")

    if expected(PROJECT_WRITE, who, "ok") == "ok":
        assert statuses(created, updated, checked, deleted) == [201, 200, 201, 204]
        body = created.json()
        assert (body["current"], body["progress"], body["status"]) == ("98.0000", 0.0, "on_track")
        assert updated.json()["target"] == "4.0000"
        assert (checked.json()["value"], checked.json()["note"]) == ("3.2500", "新版收银台上线")
        assert current_after_check_in == {"current": D("3.25")}
        assert list(KeyResult.objects.values_list("title", flat=True)) == ["支付成功率 99.5%"]
    elif who == "outsider":
        # the create names an objective the outsider cannot see: 404, like a missing one
        assert statuses(updated, checked, deleted) == [404] * 3
        assert created.status_code == 404
        assert written() == before
    else:
        assert statuses(created, updated, checked, deleted) == [PROJECT_WRITE.get(who, 401)] * 4
        assert written() == before


def test_an_outsider_creating_a_key_result_learns_nothing_about_the_objective(
    project_objective, outsider
):
    client = api_as(outsider)
    body = {"title": "x", "start": "0", "target": "1"}

    hidden = client.post(KEY_RESULTS, {**body, "objective": project_objective.pk})
    missing = client.post(KEY_RESULTS, {**body, "objective": 999999})

    assert KeyResult.objects.count() == 0
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())


@pytest.mark.parametrize("who", COMPANY_ROLES)
def test_company_key_result_writes_by_role(request, everyone, company_objective, company_kr, who):
    client = api_as(user_for(request, who))
    before = written()

    created = client.post(
        KEY_RESULTS,
        {"objective": company_objective.pk, "title": "复购率 30%", "start": "24", "target": "30"},
    )
    checked = client.post(
        f"{KEY_RESULTS}{company_kr.pk}/check-ins/", {"value": "120000", "confidence": 7}
    )

    if who == "staff":
        assert statuses(created, checked) == [201, 201]
        company_kr.refresh_from_db()
        assert company_kr.current == D(120000)
    else:
        assert statuses(created, checked) == [COMPANY_WRITE[who]] * 2
        assert written() == before


def test_the_owner_of_a_key_result_checks_in_on_it(company_objective, staff, viewer):
    kr = services.key_result_create(
        objective=company_objective,
        actor=staff,
        title="DAU 15 万",
        start=D(100000),
        target=D(150000),
        owner=viewer,
    )

    response = api_as(viewer).post(
        f"{KEY_RESULTS}{kr.pk}/check-ins/", {"value": "125000", "confidence": 6}
    )

    assert response.status_code == 201
    kr.refresh_from_db()
    assert kr.current == D(125000)


# ---------------------------------------------------------------- computed fields


@pytest.fixture
def okr_in_flight(project_objective, project_kpi, member):
    """Mid Q4: a manual KR half done (on track) and a return-rate KR from 8 % to 5 %
    following the KPI at 7.4 % (20 %, off track)."""
    manual = services.key_result_create(
        objective=project_objective, actor=member, title="DAU", start=D(0), target=D(100)
    )
    services.check_in_add(key_result=manual, actor=member, value=D(50), confidence=7)
    linked = services.key_result_create(
        objective=project_objective,
        actor=member,
        title="退货率降到 5%",
        start=D(8),
        target=D(5),
        kpi=project_kpi,
    )
    services.kpi_points_upsert(
        kpi=project_kpi,
        actor=member,
        rows=[{"date": "2026-11-10", "value": "6.0"}, {"date": "2026-11-14", "value": "7.4"}],
    )
    return manual, linked


def test_objective_progress_and_status_fields(project_objective, okr_in_flight, viewer):
    manual, linked = okr_in_flight

    with clock.frozen_at(MID_Q4):
        one = api_as(viewer).get(f"{OBJECTIVES}{project_objective.pk}/").json()
        listed = api_as(viewer).get(OBJECTIVES, {"period": "2026-Q4"}).json()["results"]

    # (0.5 + 0.2) ÷ 2 with 45/91 of the quarter gone: 14 points behind → at risk
    assert (one["progress"], one["status"]) == (pytest.approx(0.35), "at_risk")
    assert [(o["progress"], o["status"]) for o in listed] == [(pytest.approx(0.35), "at_risk")]
    krs = {kr["id"]: kr for kr in one["key_results"]}
    assert (krs[manual.pk]["progress"], krs[manual.pk]["status"]) == (0.5, "on_track")
    assert float(krs[manual.pk]["current_value"]) == 50
    assert (krs[linked.pk]["progress"], krs[linked.pk]["status"]) == (
        pytest.approx(0.2),
        "off_track",
    )
    assert float(krs[linked.pk]["current_value"]) == pytest.approx(7.4)
    assert krs[linked.pk]["current"] is None


def test_key_result_progress_and_status_fields(okr_in_flight, member):
    manual, linked = okr_in_flight

    with clock.frozen_at(MID_Q4):
        one = api_as(member).get(f"{KEY_RESULTS}{linked.pk}/").json()
        listed = api_as(member).get(KEY_RESULTS).json()["results"]

    assert (one["progress"], one["status"], one["kpi"]) == (
        pytest.approx(0.2),
        "off_track",
        linked.kpi_id,
    )
    assert [(kr["id"], kr["status"]) for kr in listed] == [
        (manual.pk, "on_track"),
        (linked.pk, "off_track"),
    ]


def test_a_check_in_through_the_api_moves_the_objective(project_objective, okr_in_flight, member):
    manual, _linked = okr_in_flight
    client = api_as(member)

    with clock.frozen_at(MID_Q4):
        client.post(f"{KEY_RESULTS}{manual.pk}/check-ins/", {"value": "100", "confidence": 9})
        body = client.get(f"{OBJECTIVES}{project_objective.pk}/").json()

    # (1 + 0.2) ÷ 2 = 60 %: ahead of the 49 % of time gone
    assert (body["progress"], body["status"]) == (pytest.approx(0.6), "on_track")


def test_kpi_status_and_latest_value_fields(project, project_kpi, company_kpi, member, staff):
    def push(kpi, actor, day, value):
        response = api_as(actor).post(f"{KPIS}{kpi.pk}/points/", [{"date": day, "value": value}])
        assert response.status_code == 200

    def field(kpi):
        body = api_as(member).get(f"{KPIS}{kpi.pk}/").json()
        return body["latest_value"], body["latest_date"], body["status"]

    assert field(project_kpi) == (None, None, None)

    push(project_kpi, member, "2026-11-13", "4.8")
    assert field(project_kpi) == ("4.8000", "2026-11-13", "green")
    push(project_kpi, member, "2026-11-14", "5.4")
    assert field(project_kpi) == ("5.4000", "2026-11-14", "amber")
    push(project_kpi, member, "2026-11-15", "6.0")
    assert field(project_kpi) == ("6.0000", "2026-11-15", "red")
    push(project_kpi, member, "2026-11-01", "3.0")  # a backfill does not change the latest
    assert field(project_kpi) == ("6.0000", "2026-11-15", "red")
    assert Event.objects.filter(name="kpi.red").count() == 1

    push(company_kpi, staff, "2026-11-15", "1200000")
    listed = api_as(member).get(KPIS).json()["results"]
    assert {k["code"]: (k["latest_value"], k["status"]) for k in listed} == {
        "gmv": ("1200000.0000", "green"),
        "return_rate": ("6.0000", "red"),
    }


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"date": "2026-11-02", "value": "abc"}, "value"),
        ({"date": "2026-11-02", "value": "NaN"}, "value"),
        ({"date": "2026-11-02", "value": "Infinity"}, "value"),
        ({"date": "2026-11-02", "value": "-Infinity"}, "value"),
        ({"date": "2026-11-02", "value": None}, "value"),
        ({"date": "2026-11-02", "value": True}, "value"),
        ({"date": "2026-02-30", "value": "1000"}, "date"),
        ({"date": "2026-11-31", "value": "1000"}, "date"),
        ({"date": "2026-11-01", "value": "1000"}, "date"),  # twice in the batch
        # Real calendar dates, but outside the years of any data the portal plans with.
        ({"date": "0001-01-01", "value": "1000"}, "date"),
        ({"date": "1999-12-31", "value": "1000"}, "date"),
        ({"date": "9999-12-31", "value": "1000"}, "date"),
        ({"date": "2026-11-02", "value": "1000", "currency": "USD"}, "currency"),
        ({"date": "2026-11-02", "value": "1000", "currency": "RMB"}, "currency"),
    ],
)
def test_a_bad_point_rejects_the_batch_with_per_row_errors(company_kpi, staff, row, field):
    before = written()

    response = api_as(staff).post(
        f"{KPIS}{company_kpi.pk}/points/",
        [{"date": "2026-11-01", "value": "990000"}, row, {"date": "2026-11-03", "value": "5"}],
    )

    assert response.status_code == 400
    body = response.json()
    assert len(body["points"]) == 1  # "1 of 3 rows are invalid; nothing was saved."
    assert list(body["rows"]) == ["1"]
    assert list(body["rows"]["1"]) == [field]
    assert written() == before


@pytest.mark.parametrize(
    "raw",
    [
        '[{"date": "2026-11-02", "value": NaN}]',
        '[{"date": "2026-11-02", "value": Infinity}]',
        '[{"date": "2026-11-02", "value": 1e400}]',
    ],
)
def test_non_finite_json_numbers_are_refused(company_kpi, staff, raw):
    before = written()

    response = api_as(staff).post(
        f"{KPIS}{company_kpi.pk}/points/", raw, content_type="application/json"
    )

    assert response.status_code == 400
    assert written() == before


@pytest.mark.parametrize("body", [{"date": "2026-11-02", "value": 5}, [], "5"])
def test_points_must_be_a_non_empty_list(company_kpi, staff, body):
    response = api_as(staff).post(f"{KPIS}{company_kpi.pk}/points/", body)

    assert response.status_code == 400
    assert list(response.json()) == ["points"]
    assert KPIDataPoint.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"unit": "money", "currency": "ZZZ"}, "currency"),
        ({"unit": "money", "currency": "cny"}, "currency"),
        ({"unit": "money", "currency": ""}, "currency"),
        ({"unit": "money"}, "currency"),
        ({"unit": "count", "target": "NaN"}, "target"),
        ({"unit": "count", "target": "Infinity"}, "target"),
        ({"unit": "count", "target": "lots"}, "target"),
        ({"unit": "bananas"}, "unit"),
        ({"unit": "count", "direction": "sideways"}, "direction"),
        ({"unit": "count", "code": "GMV!"}, "code"),
        ({"unit": "count", "name": ""}, "name"),
    ],
)
def test_a_bad_kpi_is_refused_with_a_field_error(project, member, body, field):
    before = written()

    response = api_as(member).post(
        KPIS, {"project": project.pk, "name": "客单价", "code": "aov", **body}
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert written() == before


def test_a_kpi_update_to_a_taken_company_code_is_a_code_error(company_kpi, staff):
    other = services.kpi_create(actor=staff, name="DAU", code="dau", unit="count")

    response = api_as(staff).patch(f"{KPIS}{other.pk}/", {"code": "gmv"})

    assert response.status_code == 400
    assert list(response.json()) == ["code"]
    other.refresh_from_db()
    assert other.code == "dau"


def test_a_duplicate_project_kpi_code_is_a_code_error(project, project_kpi, member):
    response = api_as(member).post(
        KPIS, {"project": project.pk, "name": "退货率 2", "code": "return_rate", "unit": "percent"}
    )

    assert response.status_code == 400
    assert list(response.json()) == ["code"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"period": "2026-Q5"}, "period"),
        ({"period": "2026-02-30"}, "period"),
        ({"period": ""}, "period"),
        ({"title": ""}, "title"),
        ({"level": "company"}, "level"),  # a project objective cannot be company-level
    ],
)
def test_a_bad_objective_is_refused_with_a_field_error(project, member, body, field):
    before = written()

    response = api_as(member).post(
        OBJECTIVES, {"project": project.pk, "title": "提升转化", "period": "2026-Q4", **body}
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert written() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": "5", "target": "5"}, "target"),
        ({"start": "8", "target": "8.0000"}, "target"),
        ({"start": "abc", "target": "5"}, "start"),
        ({"start": "8", "target": "NaN"}, "target"),
        ({"start": "8", "target": "5", "weight": "-1"}, "weight"),
    ],
)
def test_a_bad_key_result_is_refused_with_a_field_error(project_objective, member, body, field):
    before = written()

    response = api_as(member).post(
        KEY_RESULTS, {"objective": project_objective.pk, "title": "退货率", **body}
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert written() == before


def test_a_key_result_cannot_be_changed_to_a_target_equal_to_its_start(project_kr, member):
    before = written()

    response = api_as(member).patch(f"{KEY_RESULTS}{project_kr.pk}/", {"target": "3"})

    assert response.status_code == 400
    assert list(response.json()) == ["target"]
    assert written() == before


def test_a_key_result_cannot_follow_another_projects_kpi(project_objective, member, owner):
    other = make_project(owner=owner, key="POS")
    foreign = services.kpi_create(actor=owner, project=other, name="DAU", code="dau", unit="count")

    response = api_as(member).post(
        KEY_RESULTS,
        {
            "objective": project_objective.pk,
            "title": "DAU",
            "start": "0",
            "target": "9",
            "kpi": foreign.pk,
        },
    )

    assert response.status_code == 400
    assert list(response.json()) == ["kpi"]
    assert KeyResult.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": "3.2", "confidence": 0}, "confidence"),
        ({"value": "3.2", "confidence": 11}, "confidence"),
        ({"value": "3.2", "confidence": "high"}, "confidence"),
        ({"value": "3.2"}, "confidence"),
        ({"value": "NaN", "confidence": 5}, "value"),
        ({"value": "Infinity", "confidence": 5}, "value"),
        ({"value": "abc", "confidence": 5}, "value"),
    ],
)
def test_a_bad_check_in_is_refused_with_a_field_error(project_kr, member, body, field):
    before = written()

    response = api_as(member).post(f"{KEY_RESULTS}{project_kr.pk}/check-ins/", body)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert written() == before


# ---------------------------------------------------------------- query budgets


def queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx)


def add_kpis(project, n: int, start: int) -> None:
    kpis = KPI.objects.bulk_create(
        KPI(
            project=project,
            name=f"KPI {i}",
            code=f"kpi_{i}",
            unit="money" if i % 2 else "percent",
            currency="CNY" if i % 2 else "",
            target=D(100),
        )
        for i in range(start, start + n)
    )
    day = date(2026, 11, 1)
    KPIDataPoint.objects.bulk_create(
        KPIDataPoint(kpi=k, date=day + timedelta(days=d), value=D(90 + d))
        for k in kpis
        for d in range(5)
    )


def test_the_kpi_list_costs_the_same_for_3_and_60_kpis(
    project, member, django_assert_max_num_queries
):
    client = api_as(member)
    add_kpis(project, 3, 0)
    with django_assert_max_num_queries(8):
        few = queries(client, KPIS, {"page_size": 100})

    add_kpis(project, 57, 3)
    with django_assert_max_num_queries(8):
        many = queries(client, KPIS, {"page_size": 100})

    assert many == few
    assert client.get(KPIS, {"page_size": 100}).json()["count"] == 60


def add_objectives(project, owner, kpi, n: int) -> None:
    objectives = Objective.objects.bulk_create(
        Objective(title=f"O{i}", period="2026-Q4", level="project", project=project, owner=owner)
        for i in range(n)
    )
    KeyResult.objects.bulk_create(
        kr
        for o in objectives
        for kr in (
            KeyResult(objective=o, title="manual", start=D(0), target=D(10), current=D(4)),
            KeyResult(objective=o, title="linked", start=D(8), target=D(5), kpi=kpi, owner=owner),
        )
    )


def test_the_objective_list_costs_the_same_for_3_and_60_objectives(
    project, project_kpi, member, django_assert_max_num_queries
):
    services.kpi_points_upsert(
        kpi=project_kpi, actor=member, rows=[{"date": "2026-11-10", "value": "6.5"}]
    )
    client = api_as(member)
    add_objectives(project, member, project_kpi, 3)
    with clock.frozen_at(MID_Q4), django_assert_max_num_queries(8):
        few = queries(client, OBJECTIVES, {"page_size": 100})

    add_objectives(project, member, project_kpi, 57)
    with clock.frozen_at(MID_Q4), django_assert_max_num_queries(8):
        many = queries(client, OBJECTIVES, {"page_size": 100})

    assert many == few
    body = client.get(OBJECTIVES, {"page_size": 100}).json()
    assert body["count"] == 60
    assert {kr["progress"] for o in body["results"] for kr in o["key_results"]} == {0.4, 0.5}


def test_the_key_result_list_costs_the_same_for_3_and_60_key_results(
    project, project_kpi, member, django_assert_max_num_queries
):
    client = api_as(member)
    add_objectives(project, member, project_kpi, 2)  # 4 key results, 2 linked to the KPI
    few = queries(client, KEY_RESULTS, {"page_size": 100})

    add_objectives(project, member, project_kpi, 28)
    with django_assert_max_num_queries(8):
        many = queries(client, KEY_RESULTS, {"page_size": 100})

    assert many == few


def test_pushing_500_points_costs_at_most_20_queries(
    project_kpi, member, django_assert_max_num_queries
):
    first = date(2025, 1, 1)
    rows = [
        {"date": (first + timedelta(days=i)).isoformat(), "value": f"{4 + (i % 10) / 10:.1f}"}
        for i in range(499)
    ]
    rows.append({"date": (first + timedelta(days=499)).isoformat(), "value": "7.5"})  # turns red

    with django_assert_max_num_queries(20):
        response = api_as(member).post(f"{KPIS}{project_kpi.pk}/points/", rows)

    assert response.json() == {"saved": 500}
    assert KPIDataPoint.objects.count() == 500
    assert Event.objects.filter(name="kpi.red").count() == 1
