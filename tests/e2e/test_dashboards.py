"""The dashboards in a real browser: every chart is drawn by Chart.js, with no console
errors. Small data built through the services, snapshots by the backfill."""

from __future__ import annotations

import os

# Playwright's sync API runs an event loop in this thread, which also seeds the database.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kpis.models import KPI, KPIDataPoint
from metrics.snapshots import snapshots_backfill
from portal import clock
from projects import services
from risks import services as risk_services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-1"  # tests.portal.factories.UserFactory's
TIMEOUT_MS = 5_000
PROJECT_CHARTS = [
    "cfd-chart",
    "scatter-chart",
    "velocity-chart",
    "burndown-mini",
    "throughput-chart",
    "bugrate-chart",
]
# Each canvas: its size on screen and whether Chart.js owns a chart drawn on it.
CANVASES = """() => [...document.querySelectorAll('canvas')].map((c) => ({
    id: c.id, width: c.width, height: c.height,
    chart: !!(window.Chart && Chart.getChart(c)),
}))"""
CHART_COUNT = "() => window.Chart ? Object.keys(Chart.instances).length : 0"


@pytest.fixture
def mall(project):
    """Two weeks of MALL: a closed and a running sprint, items done over the days, a bug,
    a high risk, a company KPI, and 14 days of snapshots."""
    owner = project.owner
    now = timezone.now()
    today = project.today()
    _todo, progress, _review, _testing, done = project.columns.order_by("order")

    def at(days_ago: float):
        return clock.frozen_at(now - timedelta(days=days_ago))

    with at(30):
        last = services.sprint_create(
            project=project,
            actor=owner,
            name="Sprint 4",
            start=today - timedelta(days=17),
            end=today - timedelta(days=3),
        )
        services.work_item_create(
            project=project, actor=owner, title="首页瀑布流", sprint=last, story_points=5
        )
        services.sprint_start(sprint=last, actor=owner)
    with at(3.5):
        services.sprint_close(sprint=last, actor=owner)
    with at(3):
        running = services.sprint_create(
            project=project,
            actor=owner,
            name="Sprint 5",
            start=today - timedelta(days=2),
            end=today + timedelta(days=12),
        )
    items = []
    for n, (title, kind) in enumerate(
        [
            ("购物车结算", "story"),
            ("支付回调丢单", "bug"),
            ("会员积分", "story"),
            ("优惠券", "task"),
        ]
    ):
        with at(13 - n):
            items.append(
                services.work_item_create(
                    project=project,
                    actor=owner,
                    title=title,
                    type=kind,
                    sprint=running,
                    story_points=n + 1,
                )
            )
        with at(12 - n):
            services.work_item_move(item=items[-1], column=progress, actor=owner)
    with at(2.5):
        services.sprint_start(sprint=running, actor=owner)
    for n, item in enumerate(items[:3]):
        with at(2 - n * 0.5):
            services.work_item_move(item=item, column=done, actor=owner)
    with at(5):
        risk_services.risk_create(
            project=project,
            actor=owner,
            title="大促流量击穿",
            category="technical",
            probability=4,
            impact=4,
        )
    gmv = KPI.objects.create(name="GMV", code="gmv", unit="money", currency="CNY", target=1000)
    for n in range(10):
        KPIDataPoint.objects.create(
            kpi=gmv, date=today - timedelta(days=n), value=Decimal(900 + n * 10)
        )
    snapshots_backfill(days=14)
    return project


@pytest.fixture
def browser_page(page, live_server):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.set_default_timeout(TIMEOUT_MS)
    page.errors = errors
    return page


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form:has(#id_username) button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


def test_the_project_dashboard_draws_every_chart(mall, viewer, browser_page, live_server):
    page = browser_page
    # Given 陈总, a viewer of MALL
    sign_in(page, live_server, "viewer")

    # When he opens MALL's dashboard
    page.goto(f"{live_server.url}/projects/MALL/dashboard/")
    expect(page.locator("#cfd-chart")).to_be_visible()

    # Then each of the six charts is drawn by Chart.js at a real size
    canvases = {c["id"]: c for c in page.evaluate(CANVASES)}
    assert sorted(canvases) == sorted(PROJECT_CHARTS)
    for chart_id, canvas in canvases.items():
        assert canvas["chart"], f"{chart_id} has no chart"
        assert canvas["width"] > 0, chart_id
        assert canvas["height"] > 0, chart_id
    assert page.evaluate(CHART_COUNT) == len(PROJECT_CHARTS)
    # the cumulative flow has the 14 snapshot days; the scatter the three done items
    assert page.evaluate("() => Chart.getChart('cfd-chart').data.labels.length") == 14
    assert page.evaluate("() => Chart.getChart('scatter-chart').data.datasets[0].data.length") == 3
    assert page.errors == []


def test_the_executive_dashboard_loads_without_console_errors(
    mall, viewer, browser_page, live_server
):
    page = browser_page
    sign_in(page, live_server, "viewer")

    page.goto(f"{live_server.url}/dashboard/")

    row = page.locator('tr[data-portfolio="MALL"]')
    expect(row).to_contain_text("Sprint 5")
    expect(page.locator(".kpi-mini").first).to_contain_text("GMV")
    assert page.errors == []


def test_the_executive_dashboard_draws_its_charts(mall, viewer, browser_page, live_server):
    page = browser_page
    sign_in(page, live_server, "viewer")

    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator(".kpi-mini").first).to_be_visible()

    canvases = page.evaluate(CANVASES)
    assert canvases, "no chart on the page"
    for canvas in canvases:
        assert canvas["chart"], canvas
        assert canvas["width"] > 0
        assert canvas["height"] > 0
    assert page.evaluate(CHART_COUNT) > 0
    assert page.errors == []
