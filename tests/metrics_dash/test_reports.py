"""The daily operations report (运营日报): generated once per project and local day, after
the project's report hour, and emitted as `report.daily` for the notification channels."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime
from decimal import Decimal

import pytest

from kpis.models import KPI
from metrics.models import DailyReport
from metrics.reports import daily_report_generate, daily_reports_generate
from portal import clock
from portal.models import Event
from portal.notifications.models import Channel, Delivery, Subscription
from projects import services
from risks import services as risk_services
from tests.metrics.factories import KPIDataPointFactory
from tests.projects.factories import make_project

pytestmark = pytest.mark.django_db

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
UTC = zoneinfo.ZoneInfo("UTC")
DAY = date(2026, 3, 10)


def at(day: int, hour: int, minute: int = 0, tz=SH) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=tz)


@pytest.fixture(autouse=True)
def report_hour(settings):
    settings.DAILY_REPORT_HOUR = 9


def reports_of(project) -> list[date]:
    return list(DailyReport.objects.filter(project=project).values_list("date", flat=True))


def report_events(project=None):
    events = Event.objects.filter(name="report.daily")
    return events.filter(project=project) if project is not None else events


@pytest.fixture
def tenth(project):
    """What happened on MALL on 10 March (Shanghai), and just around it."""
    owner = project.owner
    _todo, progress, _review, _testing, done = project.columns.order_by("order")

    def item(title, when, **fields):
        with clock.frozen_at(when):
            return services.work_item_create(project=project, actor=owner, title=title, **fields)

    def move(it, column, when):
        with clock.frozen_at(when):
            services.work_item_move(item=it, column=column, actor=owner)

    def risk(title, when, probability, impact):
        with clock.frozen_at(when):
            return risk_services.risk_create(
                project=project,
                actor=owner,
                title=title,
                category="technical",
                probability=probability,
                impact=impact,
            )

    with clock.frozen_at(at(2, 9)):
        sprint = services.sprint_create(
            project=project,
            actor=owner,
            name="Sprint 5",
            start=date(2026, 3, 2),
            end=date(2026, 3, 16),
        )
    checkout = item("结算页改版", at(2, 9), sprint=sprint, story_points=5)
    coupons = item("优惠券叠加", at(2, 9), sprint=sprint, story_points=3)
    invoice = item("电子发票", at(2, 9), sprint=sprint, story_points=2)
    with clock.frozen_at(at(2, 10)):
        services.sprint_start(sprint=sprint, actor=owner)
    move(coupons, progress, at(3, 10))
    move(checkout, progress, at(4, 10))
    move(checkout, done, at(10, 14))  # done on the 10th
    late_night = item("修复库存同步", at(10, 9))
    move(late_night, done, at(10, 23, 30))  # still the 10th in Shanghai (15:30 UTC)
    earlier = item("旧需求", at(8, 9))
    move(earlier, done, at(9, 18))  # the 9th: not in the report
    after = item("次日工作", at(10, 20))
    move(after, done, at(11, 1))  # the 11th: not in the report
    with clock.frozen_at(at(10, 15)):
        services.work_item_update(
            item=invoice, actor=owner, blocked=True, blocked_reason="等待税务接口"
        )

    risk("前一天的高风险", at(9, 23), 4, 4)  # the 9th
    risk("支付网关限流", at(10, 11), 4, 4)  # high: risk.created on the 10th
    risk("文案错别字", at(10, 12), 1, 2)  # low: no event
    medium = risk("物流接口变更", at(5, 10), 2, 3)
    with clock.frozen_at(at(10, 16)):
        risk_services.risk_update(risk=medium, actor=owner, probability=5)  # 15: escalated

    conversion = KPI.objects.create(
        project=project,
        name="转化率",
        code="conversion_rate",
        unit="percent",
        direction="higher",
        target=Decimal("3.0"),
    )
    KPIDataPointFactory(kpi=conversion, date=date(2026, 3, 9), value=Decimal("2.9"))
    KPIDataPointFactory(kpi=conversion, date=DAY, value=Decimal("3.2"))
    basket = KPI.objects.create(
        project=project, name="客单价", code="aov", unit="money", currency="CNY"
    )
    KPIDataPointFactory(kpi=basket, date=date(2026, 3, 1), value=Decimal("88"))
    return project


# ---------------------------------------------------------------- when, and only once


def test_nothing_before_the_report_hour_then_yesterdays_report_once(tenth):
    # Given 08:59 in Shanghai on the 11th
    assert daily_reports_generate(now=at(11, 8, 59)) == 0
    assert reports_of(tenth) == []
    assert not report_events().exists()

    # When the report hour comes
    assert daily_reports_generate(now=at(11, 9, 0)) == 1

    # Then the 10th's report exists and one report.daily event went out
    assert reports_of(tenth) == [DAY]
    assert report_events(tenth).count() == 1

    # And the runs every 15 minutes for the rest of the day make nothing new
    for hour, minute in ((9, 15), (12, 0), (23, 45)):
        assert daily_reports_generate(now=at(11, hour, minute)) == 0
    assert reports_of(tenth) == [DAY]
    assert report_events().count() == 1


def test_the_next_day_brings_the_next_report(project):
    daily_reports_generate(now=at(11, 9, 30))
    daily_reports_generate(now=at(12, 9, 30))

    assert sorted(reports_of(project)) == [date(2026, 3, 10), date(2026, 3, 11)]
    assert report_events(project).count() == 2


def test_generating_the_same_day_directly_twice_is_a_no_op(project):
    with clock.frozen_at(at(11, 9, 30)):
        first = daily_report_generate(project, DAY)
        second = daily_report_generate(project, DAY)

    assert first is not None
    assert second is None
    assert DailyReport.objects.filter(project=project).count() == 1
    assert report_events().count() == 1


def test_each_project_gets_its_report_at_its_own_local_hour(project, owner):
    london = make_project(owner=owner, key="UK", name="海外站", timezone_name="UTC")
    new_york = make_project(owner=owner, key="US", name="北美站", timezone_name="America/New_York")

    def made_at(moment):
        with clock.frozen_at(moment):
            daily_reports_generate(now=moment)
        return {p.key: reports_of(p) for p in (project, london, new_york)}

    ninth = date(2026, 3, 9)
    # 01:00 UTC: 09:00 in Shanghai (MALL's 10th), 01:00 in London (nothing yet), and
    # 21:00 on the 10th in New York, long past its hour: its report of the 9th
    assert made_at(at(11, 1, tz=UTC)) == {"MALL": [DAY], "UK": [], "US": [ninth]}
    # 08:59 in London: still nothing for UK
    assert made_at(at(11, 8, 59, tz=UTC))["UK"] == []
    # 09:00 in London
    assert made_at(at(11, 9, tz=UTC)) == {"MALL": [DAY], "UK": [DAY], "US": [ninth]}
    # New York is on summer time since 8 March: its 09:00 is 13:00 UTC, not 14:00
    assert made_at(at(11, 12, 59, tz=UTC))["US"] == [ninth]
    assert sorted(made_at(at(11, 13, tz=UTC))["US"]) == [ninth, DAY]
    assert report_events().count() == 4


def test_the_report_hour_is_a_setting(project, settings):
    settings.DAILY_REPORT_HOUR = 7

    assert daily_reports_generate(now=at(11, 6, 59)) == 0
    assert daily_reports_generate(now=at(11, 7, 0)) == 1


def test_archived_projects_get_no_report(project):
    project.archived = True
    project.save(update_fields=["archived"])

    assert daily_reports_generate(now=at(11, 10)) == 0
    assert not DailyReport.objects.exists()


# ---------------------------------------------------------------- what it says


def test_the_event_summarises_the_day(tenth):
    with clock.frozen_at(at(11, 9, 5)):
        daily_reports_generate(now=at(11, 9, 5))

    payload = report_events(tenth).get().payload
    assert payload["date"] == "2026-03-10"
    assert payload["key"] == "MALL"
    assert payload["url"] == "/projects/MALL/reports/2026-03-10/"
    # Sprint progress: 5 of 10 points done, 6 days to the 16th
    assert payload["sprint"] == {
        "name": "Sprint 5",
        "points_done": 5,
        "points_total": 10,
        "days_left": 6,
    }
    # KPI values of the day, against the day before and the target (no-value KPIs left out)
    assert [k["code"] for k in payload["kpis"]] == ["conversion_rate"]
    kpi = payload["kpis"][0]
    assert Decimal(kpi["value"]) == Decimal("3.2")
    assert Decimal(kpi["previous"]) == Decimal("2.9")
    assert Decimal(kpi["target"]) == Decimal("3.0")
    assert kpi["status"] == "green"
    # Risk events of the 10th only, in order: the high one created, the escalation
    assert [(r["name"], r["title"], r["level"]) for r in payload["risks"]] == [
        ("risk.created", "支付网关限流", "high"),
        ("risk.escalated", "物流接口变更", "high"),
    ]
    assert payload["risks"][0]["key"].startswith("MALL-RISK-")
    assert payload["blocked"] == 1
    # 结算页改版 (14:00) and 修复库存同步 (23:30 local, 15:30 UTC) were done on the 10th
    assert payload["done_items"] == 2


def test_the_stored_report_keeps_kpis_without_a_value_and_the_blocked_items(tenth):
    daily_reports_generate(now=at(11, 9, 5))

    content = DailyReport.objects.get(project=tenth, date=DAY).content
    kpis = {k["code"]: k for k in content["kpis"]}
    assert set(kpis) == {"aov", "conversion_rate"}
    assert kpis["aov"]["value"] is None  # its last point is from the 1st
    assert kpis["aov"]["status"] is None
    assert Decimal(kpis["conversion_rate"]["value"]) == Decimal("3.2")
    assert [(b["title"], b["reason"]) for b in content["blocked"]] == [("电子发票", "等待税务接口")]


def test_a_subscribed_channel_gets_exactly_one_pending_delivery_per_report(tenth):
    wants = Channel.objects.create(name="管理层钉钉群", kind="dingtalk", url="http://127.0.0.1:9/a")
    Subscription.objects.create(channel=wants, project=tenth, events=["report.daily"])
    risks_only = Channel.objects.create(name="风险群", kind="slack", url="http://127.0.0.1:9/b")
    Subscription.objects.create(channel=risks_only, project=tenth, events=["risk.created"])
    off = Channel.objects.create(
        name="停用", kind="webhook", url="http://127.0.0.1:9/c", enabled=False
    )
    Subscription.objects.create(channel=off, project=tenth, events=["*"])

    daily_reports_generate(now=at(11, 9, 5))
    daily_reports_generate(now=at(11, 9, 20))  # the next run must not send it again

    deliveries = Delivery.objects.filter(event_name="report.daily")
    assert [(d.channel_id, d.status) for d in deliveries] == [(wants.pk, "pending")]
    assert deliveries[0].payload["date"] == "2026-03-10"
    assert deliveries[0].project_id == tenth.pk


def test_the_report_page_shows_the_day(tenth, viewer, client):
    daily_reports_generate(now=at(11, 9, 5))
    client.force_login(viewer)

    response = client.get("/projects/MALL/reports/2026-03-10/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "2026-03-10" in page
    for text in ("转化率", "电子发票", "等待税务接口", "支付网关限流", "物流接口变更"):
        assert text in page
    assert "前一天的高风险" not in page
