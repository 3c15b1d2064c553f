"""The project dashboard, the daily report page and the executive (portfolio) dashboard:
who may open them, what they show, and what they cost in SQL."""

from __future__ import annotations

import json
import re
import zoneinfo
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis.models import KPI
from metrics import services as metric_services
from metrics.models import DailyReport, ProjectSnapshot
from metrics.snapshots import snapshots_backfill
from portal import clock
from portal.roles import Role
from projects import services
from risks import services as risk_services
from tests.metrics.factories import KPIDataPointFactory
from tests.portal.factories import UserFactory
from tests.projects.factories import WorkItemFactory, add_member, make_project

pytestmark = pytest.mark.django_db

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=SH)
DASHBOARD = "/projects/MALL/dashboard/"
REPORT = "/projects/MALL/reports/2026-03-09/"
EXECUTIVE = "/dashboard/"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SH)


def columns(project):
    todo, progress, _review, _testing, done = project.columns.order_by("order")
    return todo, progress, done


def finished(project, title, created, started, done, **fields):
    """An item created, started and done at the given moments."""
    _todo, progress, done_column = columns(project)
    item = WorkItemFactory(project=project, title=title, when=created, **fields)
    with clock.frozen_at(started):
        services.work_item_move(item=item, column=progress, actor=project.owner)
    with clock.frozen_at(done):
        services.work_item_move(item=item, column=done_column, actor=project.owner)
    return item


def get(client, user, url):
    client.force_login(user)
    with clock.frozen_at(NOW):
        return client.get(url)


def dashboard_data(response) -> dict:
    match = re.search(
        r'<script id="dashboard-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "the dashboard's chart data is missing"
    return json.loads(match.group(1))


def portfolio_row(response, key: str) -> str | None:
    match = re.search(rf'<tr data-portfolio="{key}">(.*?)</tr>', response.content.decode(), re.S)
    return match.group(1) if match else None


def objective_ids(response) -> set[int]:
    return {int(i) for i in re.findall(r'data-objective="(\d+)"', response.content.decode())}


@pytest.fixture
def report(project):
    return DailyReport.objects.create(
        project=project, date=date(2026, 3, 9), content={"date": "2026-03-09", "kpis": []}
    )


# ---------------------------------------------------------------- who may open them


@pytest.mark.parametrize("url", [DASHBOARD, REPORT, EXECUTIVE])
def test_anonymous_is_sent_to_the_login_page(client, report, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))
    assert f"next={url}" in response.url.replace("%2F", "/")


@pytest.mark.parametrize("url", [DASHBOARD, REPORT])
def test_an_outsider_is_told_the_project_does_not_exist(client, report, outsider, url):
    assert get(client, outsider, url).status_code == 404


@pytest.mark.parametrize("url", [DASHBOARD, REPORT])
def test_viewer_and_member_can_read_the_project_pages(client, report, viewer, member, url):
    assert get(client, viewer, url).status_code == 200
    assert get(client, member, url).status_code == 200


@pytest.mark.parametrize(
    "day", ["2026-02-30", "2026-13-01", "yesterday", "2026-3-9x", "2026-03-08"]
)
def test_a_report_date_that_does_not_exist_or_has_no_report_is_404(client, report, viewer, day):
    response = get(client, viewer, f"/projects/MALL/reports/{day}/")
    assert response.status_code == 404


def test_the_executive_dashboard_shows_only_projects_the_person_can_see(
    client, project, viewer, owner, staff
):
    # Given MALL (陈总 is a viewer) and SECRET, which 陈总 is not in
    secret = make_project(owner=UserFactory(username="other-pm"), key="SECRET", name="并购项目")
    risk_services.risk_create(
        project=secret,
        actor=secret.owner,
        title="并购泄密",
        category="compliance",
        probability=5,
        impact=5,
    )
    for level, proj in (("project", secret), ("project", project)):
        metric_services.objective_create(
            actor=proj.owner, project=proj, level=level, title=f"{proj.key} 目标", period="2026-Q1"
        )

    # When each opens the dashboard for 2026-Q1
    mine = get(client, viewer, f"{EXECUTIVE}?period=2026-Q1")
    everything = get(client, staff, f"{EXECUTIVE}?period=2026-Q1")

    # Then 陈总 sees MALL, its objective, and nothing of SECRET
    assert mine.status_code == 200
    assert portfolio_row(mine, "MALL") is not None
    assert portfolio_row(mine, "SECRET") is None
    page = mine.content.decode()
    for secret_text in ("SECRET", "并购项目", "并购泄密", "SECRET 目标"):
        assert secret_text not in page
    assert "MALL 目标" in page
    # and staff see both
    assert portfolio_row(everything, "SECRET") is not None
    assert "并购泄密" in everything.content.decode()


def test_the_department_filter_narrows_the_objectives(client, viewer, owner):
    make = metric_services.objective_create
    company = make(actor=owner, title="提升会员活跃度", period="2026-Q1")
    tech = make(
        actor=owner, level="department", department="tech", title="稳定性 99.95%", period="2026-Q1"
    )
    finance = make(
        actor=owner,
        level="department",
        department="finance",
        title="回款周期 30 天",
        period="2026-Q1",
    )

    everything = get(client, viewer, f"{EXECUTIVE}?period=2026-Q1")
    tech_only = get(client, viewer, f"{EXECUTIVE}?period=2026-Q1&department=tech")

    assert objective_ids(everything) == {company.pk, tech.pk, finance.pk}
    assert objective_ids(tech_only) == {tech.pk}
    assert "回款周期 30 天" not in tech_only.content.decode()


# ---------------------------------------------------------------- what they show


@pytest.fixture
def delivered(project):
    """Three items done in the week before 10 March and seven days of snapshots."""
    finished(project, "购物车结算", at(2, 9), at(3, 9), at(5, 9))  # cycle 2 d
    finished(project, "会员积分", at(2, 9), at(4, 9), at(9, 21))  # cycle 5.5 d
    finished(project, "凌晨上线", at(8, 9), at(8, 10), at(10, 1, 30))  # 9 March 17:30 UTC
    with clock.frozen_at(at(4, 9)):
        services.work_item_create(project=project, actor=project.owner, title="待开发")
    with clock.frozen_at(NOW):
        snapshots_backfill(days=7)
    return project


def test_the_project_dashboard_carries_the_snapshot_series(client, delivered, viewer):
    data = dashboard_data(get(client, viewer, DASHBOARD))

    rows = list(ProjectSnapshot.objects.filter(project=delivered).order_by("date"))
    assert data["cfd"]["days"] == [f"2026-03-{d:02d}" for d in range(4, 11)]
    assert data["cfd"]["todo"] == [r.todo for r in rows]
    assert data["cfd"]["in_progress"] == [r.in_progress for r in rows]
    assert data["cfd"]["done"] == [r.done for r in rows]
    # the flow as it was: on the 4th nothing was done, on the 10th all three
    assert (data["cfd"]["done"][0], data["cfd"]["done"][-1]) == (0, 3)
    # P50 / P85 lines from today's snapshot, in days
    assert data["p50"] == round(rows[-1].cycle_p50_hours / 24, 2)
    assert data["p85"] == round(rows[-1].cycle_p85_hours / 24, 2)


def test_the_cycle_time_scatter_has_one_point_per_done_item(client, delivered, viewer):
    scatter = dashboard_data(get(client, viewer, DASHBOARD))["scatter"]

    by_title = {p["title"]: p for p in scatter}
    assert set(by_title) == {"购物车结算", "会员积分", "凌晨上线"}  # not the one still to do
    assert (by_title["购物车结算"]["x"], by_title["购物车结算"]["y"]) == ("2026-03-05", 2.0)
    assert (by_title["会员积分"]["x"], by_title["会员积分"]["y"]) == ("2026-03-09", 5.5)
    assert by_title["购物车结算"]["key"].startswith("MALL-")


def test_the_scatter_dates_an_item_on_the_projects_local_day(client, delivered, viewer):
    scatter = dashboard_data(get(client, viewer, DASHBOARD))["scatter"]

    point = next(p for p in scatter if p["title"] == "凌晨上线")
    assert point["x"] == "2026-03-10"


def test_the_portfolio_row_shows_sprint_progress_and_high_risks(client, project, viewer):
    owner = project.owner
    _todo, _progress, done = columns(project)
    with clock.frozen_at(at(2, 9)):
        sprint = services.sprint_create(
            project=project,
            actor=owner,
            name="Sprint 5",
            start=date(2026, 3, 2),
            end=date(2026, 3, 16),
        )
        items = [
            services.work_item_create(
                project=project, actor=owner, title=t, sprint=sprint, story_points=p
            )
            for t, p in (("结算", 3), ("优惠券", 2), ("发票", 3))
        ]
        services.sprint_start(sprint=sprint, actor=owner)
    with clock.frozen_at(at(5, 9)):
        services.work_item_move(item=items[0], column=done, actor=owner)
    with clock.frozen_at(at(3, 9)):
        high = risk_services.risk_create(
            project=project,
            actor=owner,
            title="限流",
            category="technical",
            probability=4,
            impact=4,
        )
        for title, p, i in (("数据出境", 5, 5), ("已关闭", 4, 4), ("中等", 2, 3)):
            risk = risk_services.risk_create(
                project=project,
                actor=owner,
                title=title,
                category="compliance",
                probability=p,
                impact=i,
            )
            if title == "已关闭":
                risk_services.risk_update(risk=risk, actor=owner, status="closed")
        risk_services.risk_update(risk=high, actor=owner, status="mitigating")

    row = portfolio_row(get(client, viewer, EXECUTIVE), "MALL")

    # 3 of 8 points done → 38 %; open high/critical: 限流 (mitigating) and 数据出境
    assert "Sprint 5" in row
    assert re.search(r'style="width:38%"', row)
    assert ">38%<" in row
    assert re.search(r'<span class="badge badge-bad">2</span>', row)


# ---------------------------------------------------------------- what they cost


def _project_with_history(owner, key: str, size: int):
    """`size` snapshot days, `size` done items, `size` // 3 KPIs, a closed and a running sprint."""
    project = make_project(owner=owner, key=key)
    start = NOW - timedelta(days=size + 1)
    for n in range(size):
        finished(
            project,
            f"条目 {n}",
            start + timedelta(days=n),
            start + timedelta(days=n, hours=2),
            start + timedelta(days=n + 1),
        )
    with clock.frozen_at(at(1, 9)):
        closed = services.sprint_create(
            project=project, actor=owner, name="S1", start=date(2026, 2, 15), end=date(2026, 3, 1)
        )
        services.sprint_start(sprint=closed, actor=owner)
        services.sprint_close(sprint=closed, actor=owner)
        running = services.sprint_create(
            project=project, actor=owner, name="S2", start=date(2026, 3, 2), end=date(2026, 3, 16)
        )
        services.work_item_create(
            project=project, actor=owner, title="冲刺项", sprint=running, story_points=3
        )
        services.sprint_start(sprint=running, actor=owner)
    for k in range(max(size // 3, 1)):
        kpi = KPI.objects.create(project=project, name=f"指标 {k}", code=f"kpi_{k}", unit="count")
        KPIDataPointFactory(kpi=kpi, date=date(2026, 3, 9), value=Decimal(k))
    with clock.frozen_at(NOW):
        snapshots_backfill(days=size, projects=[project])
    DailyReport.objects.create(project=project, date=date(2026, 3, 9), content={})
    return project


def _queries(client, user, url) -> int:
    client.force_login(user)
    with clock.frozen_at(NOW), CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# Measured on SQLite and PostgreSQL: session + user + 10 reads each, whatever the size.
PROJECT_DASHBOARD_QUERIES = 12
EXECUTIVE_QUERIES = 12


def test_the_project_dashboard_costs_the_same_for_2_and_30_days(
    client, owner, django_assert_max_num_queries
):
    small = _project_with_history(owner, "TWO", 2)
    big = _project_with_history(owner, "THIRTY", 30)
    assert ProjectSnapshot.objects.filter(project=big).count() == 30

    counts = {p.key: _queries(client, owner, f"/projects/{p.key}/dashboard/") for p in (small, big)}

    assert counts["TWO"] == counts["THIRTY"], counts
    with clock.frozen_at(NOW), django_assert_max_num_queries(PROJECT_DASHBOARD_QUERIES):
        client.get("/projects/THIRTY/dashboard/")


def _portfolio(owner, reader, count: int, first: int):
    for n in range(first, first + count):
        project = make_project(owner=owner, key=f"PF{n}")
        add_member(project, reader, Role.VIEWER)
        with clock.frozen_at(at(2, 9)):
            sprint = services.sprint_create(
                project=project,
                actor=owner,
                name=f"S{n}",
                start=date(2026, 3, 2),
                end=date(2026, 3, 16),
            )
            services.work_item_create(
                project=project, actor=owner, title="冲刺项", sprint=sprint, story_points=2
            )
            services.sprint_start(sprint=sprint, actor=owner)
            risk_services.risk_create(
                project=project,
                actor=owner,
                title=f"风险 {n}",
                category="technical",
                probability=4,
                impact=4,
            )
            objective = metric_services.objective_create(
                actor=owner, project=project, title=f"目标 {n}", period="2026-Q1"
            )
            metric_services.key_result_create(
                objective=objective,
                actor=owner,
                title="转化率",
                start=Decimal(1),
                target=Decimal(2),
            )
        ProjectSnapshot.objects.create(project=project, date=date(2026, 3, 9), throughput_7d=n)
    kpi = KPI.objects.create(name=f"GMV {first}", code=f"gmv_{first}", unit="money", currency="USD")
    KPIDataPointFactory(kpi=kpi, date=date(2026, 3, 9), value=Decimal(100))


def test_the_executive_dashboard_costs_the_same_for_2_and_30_projects(
    client, owner, django_assert_max_num_queries
):
    two, thirty = UserFactory(username="exec2"), UserFactory(username="exec30")
    _portfolio(owner, two, 2, first=0)
    _portfolio(owner, thirty, 30, first=100)

    counts = {
        "two": _queries(client, two, f"{EXECUTIVE}?period=2026-Q1"),
        "thirty": _queries(client, thirty, f"{EXECUTIVE}?period=2026-Q1"),
    }

    assert counts["two"] == counts["thirty"], counts
    client.force_login(thirty)
    with clock.frozen_at(NOW), django_assert_max_num_queries(EXECUTIVE_QUERIES):
        response = client.get(f"{EXECUTIVE}?period=2026-Q1")
    assert response.content.decode().count("data-portfolio=") == 30
