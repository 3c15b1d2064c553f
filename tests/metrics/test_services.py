"""KPI and OKR services: the push upsert (all or nothing, bad rows reported by index),
`kpi.red` once per turn to red, KPI rules (currency, unique codes), the e-commerce
templates, key results and check-ins, and progress that follows check-ins or a KPI."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from kpis.models import KPI, KPIDataPoint
from metrics import services
from metrics.models import CheckIn, KeyResult, Objective
from metrics.selectors import objectives_for
from portal import clock
from portal.errors import ApplicationError
from portal.models import Activity, Event
from tests.metrics.factories import KeyResultFactory, KPIFactory, ObjectiveFactory
from tests.projects.factories import make_project

pytestmark = pytest.mark.django_db

MID_Q4 = datetime(2026, 11, 15, 4, 0, tzinfo=UTC)


def written() -> dict[str, int]:
    return {
        "kpis": KPI.objects.count(),
        "points": KPIDataPoint.objects.count(),
        "objectives": Objective.objects.count(),
        "key_results": KeyResult.objects.count(),
        "check_ins": CheckIn.objects.count(),
        "activity": Activity.objects.count(),
        "events": Event.objects.count(),
    }


def points_of(kpi) -> dict[str, str]:
    return {
        p.date.isoformat(): f"{p.value.normalize():f}"
        for p in KPIDataPoint.objects.filter(kpi=kpi).order_by("date")
    }


def red_events(kpi) -> list[dict]:
    events = Event.objects.filter(name="kpi.red").order_by("id")
    return [e.payload for e in events if e.payload["kpi_id"] == kpi.pk]


@pytest.fixture
def return_rate(project, member):
    """退货率 of MALL: lower is better, target 5 %."""
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
def gmv(project, member):
    """GMV of MALL in CNY, target ¥1,000,000 a day."""
    return KPIFactory(
        actor=member,
        project=project,
        name="GMV",
        code="gmv",
        unit="money",
        currency="CNY",
        target=D("1000000"),
    )


# ---------------------------------------------------------------- points upsert


def test_pushing_the_same_date_twice_updates_the_one_point(return_rate, member):
    services.kpi_points_upsert(
        kpi=return_rate, actor=member, rows=[{"date": "2026-11-01", "value": "6.2"}]
    )

    services.kpi_points_upsert(
        kpi=return_rate,
        actor=member,
        rows=[{"date": "2026-11-01", "value": "5.1"}, {"date": "2026-11-02", "value": 4.9}],
    )

    assert points_of(return_rate) == {"2026-11-01": "5.1", "2026-11-02": "4.9"}


def test_a_money_point_keeps_the_kpis_currency(gmv, member):
    services.kpi_points_upsert(
        kpi=gmv,
        actor=member,
        rows=[
            {"date": "2026-11-01", "value": "980000.50"},
            {"date": "2026-11-02", "value": 1010000, "currency": "cny"},
        ],
    )

    assert list(KPIDataPoint.objects.order_by("date").values_list("value", "currency")) == [
        (D("980000.50"), "CNY"),
        (D("1010000"), "CNY"),
    ]


BAD_ROWS = [
    pytest.param({"date": "2026-11-02", "value": "abc"}, "value", id="non-numeric"),
    pytest.param({"date": "2026-11-02", "value": ""}, "value", id="empty"),
    pytest.param({"date": "2026-11-02", "value": "NaN"}, "value", id="NaN-string"),
    pytest.param({"date": "2026-11-02", "value": "Infinity"}, "value", id="Infinity-string"),
    pytest.param({"date": "2026-11-02", "value": "-Infinity"}, "value", id="-Infinity-string"),
    pytest.param({"date": "2026-11-02", "value": math.nan}, "value", id="NaN-float"),
    pytest.param({"date": "2026-11-02", "value": math.inf}, "value", id="inf-float"),
    pytest.param({"date": "2026-11-02", "value": None}, "value", id="None"),
    pytest.param({"date": "2026-11-02"}, "value", id="missing-value"),
    pytest.param({"date": "2026-11-02", "value": True}, "value", id="bool-true"),
    pytest.param({"date": "2026-11-02", "value": False}, "value", id="bool-false"),
    pytest.param({"date": "2026-11-02", "value": "1e20"}, "value", id="too-large"),
    pytest.param({"date": "2026-02-30", "value": "5"}, "date", id="impossible-date"),
    pytest.param({"date": "2026-13-01", "value": "5"}, "date", id="month-13"),
    pytest.param({"date": "yesterday", "value": "5"}, "date", id="not-a-date"),
    pytest.param({"value": "5"}, "date", id="missing-date"),
    pytest.param({"date": "2026-11-01", "value": "5"}, "date", id="date-twice-in-batch"),
    pytest.param("2026-11-02,5", "non_field_errors", id="not-an-object"),
]


@pytest.mark.parametrize(("bad_row", "field"), BAD_ROWS)
def test_one_bad_row_rejects_the_whole_batch_and_is_reported_by_index(
    return_rate, member, bad_row, field
):
    services.kpi_points_upsert(
        kpi=return_rate, actor=member, rows=[{"date": "2026-10-31", "value": "6"}]
    )
    before = written()

    with pytest.raises(ApplicationError) as caught:
        services.kpi_points_upsert(
            kpi=return_rate,
            actor=member,
            rows=[
                {"date": "2026-10-31", "value": "4"},  # would update the existing point
                {"date": "2026-11-01", "value": "5.5"},
                bad_row,
                {"date": "2026-11-03", "value": "4.8"},
            ],
        )

    assert caught.value.field == "points"
    assert list(caught.value.extra["rows"]) == ["2"]
    assert list(caught.value.extra["rows"]["2"]) == [field]
    # Nothing written: the old point keeps its value, no new points, no activity
    assert written() == before
    assert points_of(return_rate) == {"2026-10-31": "6"}


def test_every_bad_row_is_reported_with_its_own_fields(gmv, member):
    with pytest.raises(ApplicationError) as caught:
        services.kpi_points_upsert(
            kpi=gmv,
            actor=member,
            rows=[
                {"date": "2026-11-01", "value": "1000"},
                {"date": "2026-02-30", "value": "abc"},
                {"date": "2026-11-03", "value": "1000", "currency": "USD"},
                {"date": "2026-11-01", "value": "1200"},
                {"date": "2026-11-05", "value": "Infinity", "currency": "EUR"},
            ],
        )

    rows = caught.value.extra["rows"]
    assert {index: sorted(errors) for index, errors in rows.items()} == {
        "1": ["date", "value"],
        "2": ["currency"],
        "3": ["date"],
        "4": ["currency", "value"],
    }
    assert "CNY" in rows["2"]["currency"][0]
    assert "1" in rows["3"]["date"][0]  # points at the first row with that date
    # "4 of 5 rows are invalid", in the user's language
    assert sorted(re.findall(r"\d+", caught.value.message)) == ["4", "5"]
    assert KPIDataPoint.objects.count() == 0


@pytest.mark.parametrize("rows", [[], {"date": "2026-11-01", "value": 5}, None, "5"])
def test_a_batch_that_is_not_a_list_of_points_is_refused(return_rate, member, rows):
    with pytest.raises(ApplicationError) as caught:
        services.kpi_points_upsert(kpi=return_rate, actor=member, rows=rows)

    assert caught.value.field == "points"
    assert KPIDataPoint.objects.count() == 0


def test_an_unknown_currency_on_a_row_is_refused(return_rate, member):
    with pytest.raises(ApplicationError) as caught:
        services.kpi_points_upsert(
            kpi=return_rate,
            actor=member,
            rows=[{"date": "2026-11-01", "value": "5", "currency": "ZZZ"}],
        )

    assert list(caught.value.extra["rows"]["0"]) == ["currency"]


def test_a_currency_that_is_not_text_is_a_row_error(gmv, member):
    with pytest.raises(ApplicationError) as caught:
        services.kpi_points_upsert(
            kpi=gmv, actor=member, rows=[{"date": "2026-11-01", "value": "5", "currency": 156}]
        )

    assert list(caught.value.extra["rows"]["0"]) == ["currency"]


def test_a_value_that_rounds_past_the_column_is_a_row_error(return_rate, member):
    with pytest.raises(ApplicationError) as caught:
        services.kpi_points_upsert(
            kpi=return_rate,
            actor=member,
            rows=[{"date": "2026-11-01", "value": "99999999999999.99999"}],
        )

    assert list(caught.value.extra["rows"]["0"]) == ["value"]


def test_saving_points_leaves_one_activity_row(return_rate, member):
    services.kpi_points_upsert(
        kpi=return_rate,
        actor=member,
        rows=[{"date": "2026-11-01", "value": "5.4"}, {"date": "2026-11-02", "value": "5.3"}],
    )

    activity = Activity.objects.get(verb="kpi.points_saved")
    assert (activity.actor, activity.project) == (member, return_rate.project)
    assert activity.after == {"points": 2, "latest": "5.3000"}


# ---------------------------------------------------------------- kpi.red


def push(kpi, actor, day: str, value: str) -> None:
    services.kpi_points_upsert(kpi=kpi, actor=actor, rows=[{"date": day, "value": value}])


def test_kpi_red_is_emitted_once_when_the_kpi_turns_red(return_rate, member):
    push(return_rate, member, "2026-11-01", "4.8")  # green
    push(return_rate, member, "2026-11-02", "5.4")  # amber
    assert red_events(return_rate) == []

    push(return_rate, member, "2026-11-03", "6.2")  # red

    assert red_events(return_rate) == [
        {
            "kpi_id": return_rate.pk,
            "key": "return_rate",
            "title": "退货率",
            "value": "6.2000",
            "target": "5.0000",
            "date": "2026-11-03",
            "unit": "percent",
            "currency": "",
        }
    ]
    assert Event.objects.get(name="kpi.red").project == return_rate.project


def test_staying_red_emits_nothing_more(return_rate, member):
    push(return_rate, member, "2026-11-03", "6.2")

    push(return_rate, member, "2026-11-03", "6.5")  # same date pushed again, still red
    push(return_rate, member, "2026-11-04", "7.0")  # next day, still red

    assert [e["date"] for e in red_events(return_rate)] == ["2026-11-03"]


def test_red_again_on_the_same_date_after_a_correction_is_not_a_second_event(return_rate, member):
    push(return_rate, member, "2026-11-03", "6.2")  # red
    push(return_rate, member, "2026-11-03", "4.9")  # corrected: green

    push(return_rate, member, "2026-11-03", "6.4")  # red again, same day

    assert [e["date"] for e in red_events(return_rate)] == ["2026-11-03"]


def test_red_again_on_a_later_date_after_recovering_is_a_new_event(return_rate, member):
    push(return_rate, member, "2026-11-03", "6.2")  # red
    push(return_rate, member, "2026-11-04", "4.9")  # recovered

    push(return_rate, member, "2026-11-05", "6.0")  # red again

    assert [(e["date"], e["value"]) for e in red_events(return_rate)] == [
        ("2026-11-03", "6.2000"),
        ("2026-11-05", "6.0000"),
    ]


def test_a_red_backfill_behind_a_green_latest_is_not_an_alert(return_rate, member):
    push(return_rate, member, "2026-11-05", "4.5")  # today: green

    push(return_rate, member, "2026-10-20", "9.0")  # an old red day filled in

    assert red_events(return_rate) == []


def test_a_kpi_without_a_target_never_turns_red(project, member):
    dau = services.kpi_create(
        actor=member, project=project, name="DAU", code="dau", unit="count", target=None
    )

    push(dau, member, "2026-11-01", "0")

    assert red_events(dau) == []


def test_a_rejected_batch_emits_no_alert(return_rate, member):
    with pytest.raises(ApplicationError):
        services.kpi_points_upsert(
            kpi=return_rate,
            actor=member,
            rows=[{"date": "2026-11-01", "value": "9"}, {"date": "2026-11-02", "value": "x"}],
        )

    assert red_events(return_rate) == []


# ---------------------------------------------------------------- KPI rules


def test_a_money_kpi_needs_its_currency(project, member):
    with pytest.raises(ApplicationError) as caught:
        services.kpi_create(
            actor=member, project=project, name="GMV", code="gmv", unit="money", currency=""
        )

    assert caught.value.field == "currency"
    assert KPI.objects.count() == 0


def test_a_kpi_cannot_become_money_without_a_currency(return_rate, member):
    with pytest.raises(ApplicationError) as caught:
        services.kpi_update(kpi=return_rate, actor=member, unit="money")

    assert caught.value.field == "currency"
    return_rate.refresh_from_db()
    assert return_rate.unit == "percent"


def test_an_unknown_currency_is_refused(project, member):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.kpi_create(
            actor=member, project=project, name="GMV", code="gmv", unit="money", currency="ZZZ"
        )

    assert list(caught.value.message_dict) == ["currency"]
    assert KPI.objects.count() == 0


def test_a_code_is_unique_within_a_project(return_rate, project, member):
    with pytest.raises(ApplicationError) as caught:
        services.kpi_create(
            actor=member, project=project, name="退货率 2", code="return_rate", unit="percent"
        )

    assert caught.value.field == "code"
    assert KPI.objects.count() == 1


def test_a_code_is_unique_among_company_kpis(staff):
    services.kpi_create(actor=staff, name="GMV", code="gmv", unit="money", currency="CNY")

    with pytest.raises(ApplicationError) as caught:
        services.kpi_create(actor=staff, name="GMV 2", code="gmv", unit="money", currency="USD")

    assert caught.value.field == "code"
    assert KPI.objects.count() == 1


def test_the_same_code_may_live_in_another_scope(return_rate, staff, owner):
    other = make_project(owner=owner, key="POS", name="门店收银")

    services.kpi_create(actor=staff, name="退货率", code="return_rate", unit="percent")
    services.kpi_create(
        actor=owner, project=other, name="退货率", code="return_rate", unit="percent"
    )

    assert KPI.objects.filter(code="return_rate").count() == 3


def test_renaming_a_kpi_to_a_taken_code_is_refused(return_rate, gmv, member):
    with pytest.raises(ApplicationError) as caught:
        services.kpi_update(kpi=gmv, actor=member, code="return_rate")

    assert caught.value.field == "code"
    gmv.refresh_from_db()
    assert gmv.code == "gmv"


# ---------------------------------------------------------------- templates


def test_templates_apply_in_chinese_and_in_the_projects_currency(project, member):
    created = services.kpi_templates_apply(
        actor=member,
        project=project,
        codes=["gmv", "return_rate", "conversion_rate"],
        language="zh-hans",
        currency="HKD",
    )

    kpis = {k.code: k for k in created}
    assert {code: k.name for code, k in kpis.items()} == {
        "gmv": "GMV 成交总额",
        "conversion_rate": "转化率",
        "return_rate": "退货率",
    }
    assert (kpis["gmv"].unit, kpis["gmv"].currency) == ("money", "HKD")
    assert (kpis["return_rate"].direction, kpis["return_rate"].target) == ("lower", D("5"))
    assert kpis["conversion_rate"].currency == ""
    assert all(k.project == project for k in created)


def test_templates_apply_in_english(staff):
    created = services.kpi_templates_apply(
        actor=staff, project=None, codes=["repurchase_rate", "ctr"], language="en"
    )

    assert sorted(k.name for k in created) == ["Click-through rate", "Repurchase rate"]
    assert all(k.project is None for k in created)


def test_applying_templates_again_adds_only_the_missing_ones(project, member):
    services.kpi_templates_apply(
        actor=member, project=project, codes=["gmv", "dau"], language="zh-hans"
    )

    again = services.kpi_templates_apply(
        actor=member, project=project, codes=["gmv", "dau", "aov"], language="zh-hans"
    )

    assert [k.code for k in again] == ["aov"]
    assert sorted(KPI.objects.values_list("code", flat=True)) == ["aov", "dau", "gmv"]


# ---------------------------------------------------------------- objectives & key results


@pytest.fixture
def objective(project, member):
    return ObjectiveFactory(
        actor=member, project=project, title="大促期间提升转化", period="2026-Q4"
    )


def test_a_project_objective_is_at_project_level_and_owned_by_its_creator(objective, member):
    assert (objective.level, objective.owner) == ("project", member)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"period": "2026-Q5"}, "period"),
        ({"period": "Q4"}, "period"),
        ({"level": "department"}, "department"),
        ({"level": "project"}, "project"),
    ],
)
def test_an_objective_with_bad_fields_is_refused(staff, fields, field):
    from django.core.exceptions import ValidationError

    with pytest.raises((ApplicationError, ValidationError)) as caught:
        services.objective_create(
            actor=staff, **{"title": "提升会员活跃度", "period": "2026-Q4", **fields}
        )

    error = caught.value
    fields_named = (
        [error.field] if isinstance(error, ApplicationError) else list(error.message_dict)
    )
    assert fields_named == [field]
    assert Objective.objects.count() == 0


@pytest.mark.parametrize(("start", "target"), [("5", "5"), ("8", "8.0000")])
def test_a_key_result_whose_target_equals_its_start_is_refused(objective, member, start, target):
    with pytest.raises(ApplicationError) as caught:
        services.key_result_create(
            objective=objective, actor=member, title="退货率", start=D(start), target=D(target)
        )

    assert caught.value.field == "target"
    assert KeyResult.objects.count() == 0


def test_a_key_result_cannot_be_changed_to_a_target_equal_to_its_start(objective, member):
    kr = services.key_result_create(
        objective=objective, actor=member, title="DAU", start=D(100), target=D(150)
    )

    with pytest.raises(ApplicationError) as caught:
        services.key_result_update(key_result=kr, actor=member, target=D(100))

    assert caught.value.field == "target"
    kr.refresh_from_db()
    assert kr.target == D(150)


def test_a_key_result_links_only_a_kpi_of_its_project_or_the_company(objective, member, owner):
    other = make_project(owner=owner, key="POS", name="门店收银")
    foreign = services.kpi_create(actor=owner, project=other, name="DAU", code="dau", unit="count")

    with pytest.raises(ApplicationError) as caught:
        services.key_result_create(
            objective=objective, actor=member, title="DAU", start=D(0), target=D(10), kpi=foreign
        )

    assert caught.value.field == "kpi"
    assert KeyResult.objects.count() == 0


@pytest.fixture
def manual_kr(objective, member):
    """DAU from 100k to 150k, updated by check-ins."""
    return KeyResultFactory(
        objective=objective, actor=member, title="DAU 达到 15 万", start=D(100000), target=D(150000)
    )


def test_a_new_manual_key_result_starts_at_its_start(manual_kr):
    assert manual_kr.current == D(100000)


@pytest.mark.parametrize("confidence", [0, 11, -1])
def test_a_check_in_confidence_outside_1_to_10_is_refused(manual_kr, member, confidence):
    before = written()

    with pytest.raises(ApplicationError) as caught:
        services.check_in_add(
            key_result=manual_kr, actor=member, value=D(130000), confidence=confidence
        )

    assert caught.value.field == "confidence"
    assert written() == before
    manual_kr.refresh_from_db()
    assert manual_kr.current == D(100000)


@pytest.mark.parametrize("confidence", [1, 10])
def test_check_in_confidence_1_and_10_are_accepted(manual_kr, member, confidence):
    check_in = services.check_in_add(
        key_result=manual_kr, actor=member, value=D(110000), confidence=confidence
    )

    assert (check_in.confidence, check_in.author) == (confidence, member)


@pytest.mark.parametrize("value", ["NaN", "Infinity"])
def test_a_check_in_value_must_be_finite(manual_kr, member, value):
    with pytest.raises(ApplicationError) as caught:
        services.check_in_add(key_result=manual_kr, actor=member, value=D(value), confidence=5)

    assert caught.value.field == "value"
    assert CheckIn.objects.count() == 0


def kr_view(user, kr_id, when=MID_Q4):
    with clock.frozen_at(when):
        objectives = objectives_for(user=user, period="2026-Q4")
    return next(kr for o in objectives for kr in o.key_results.all() if kr.pk == kr_id)


def test_a_manual_key_results_current_follows_its_last_check_in(manual_kr, member):
    with clock.frozen_at(datetime(2026, 11, 10, tzinfo=UTC)):
        services.check_in_add(key_result=manual_kr, actor=member, value=D(140000), confidence=8)
    with clock.frozen_at(datetime(2026, 11, 14, tzinfo=UTC)):
        services.check_in_add(
            key_result=manual_kr, actor=member, value=D(125000), confidence=6, note="大促后回落"
        )

    kr = kr_view(member, manual_kr.pk)

    assert kr.current_value == D(125000)
    assert kr.progress == D("0.5")
    # 50 % done with 45/91 of the quarter gone: on track
    assert kr.status == "on_track"
    assert [c.note for c in kr.check_ins.all()] == ["大促后回落", ""]
    assert Activity.objects.filter(verb="key_result.checked_in").count() == 2


def test_a_kpi_linked_key_result_follows_the_kpis_latest_point(objective, member, return_rate):
    kr = services.key_result_create(
        objective=objective,
        actor=member,
        title="退货率从 8% 降到 5%",
        start=D(8),
        target=D(5),
        kpi=return_rate,
    )
    assert kr_view(member, kr.pk).progress == D(0)

    push(return_rate, member, "2026-11-10", "7.4")
    assert kr_view(member, kr.pk).progress == D("0.2")

    push(return_rate, member, "2026-11-14", "6.5")
    push(return_rate, member, "2026-11-01", "5.0")  # an older day filled in later
    followed = kr_view(member, kr.pk)

    assert followed.current_value == D("6.5")
    assert followed.progress == D("0.5")


def test_a_check_in_on_a_kpi_linked_key_result_does_not_override_the_kpi(
    objective, member, return_rate
):
    kr = services.key_result_create(
        objective=objective, actor=member, title="退货率", start=D(8), target=D(5), kpi=return_rate
    )
    push(return_rate, member, "2026-11-10", "6.5")

    services.check_in_add(key_result=kr, actor=member, value=D(5), confidence=9)

    assert kr_view(member, kr.pk).current_value == D("6.5")
    assert CheckIn.objects.filter(key_result=kr).count() == 1


def test_objective_progress_is_the_weighted_mean_of_its_key_results(objective, member):
    services.key_result_create(
        objective=objective,
        actor=member,
        title="A",
        start=D(0),
        target=D(10),
        current=D(2),
        weight=D(3),
    )
    services.key_result_create(
        objective=objective, actor=member, title="B", start=D(0), target=D(10), current=D(10)
    )

    def viewed_at(day: int, month: int = 11):
        with clock.frozen_at(datetime(2026, month, day, 4, 0, tzinfo=UTC)):
            (viewed,) = objectives_for(user=member, period="2026-Q4")
        return viewed.progress, viewed.status

    # (0.2 × 3 + 1 × 1) ÷ 4 = 40 %, judged against the time gone in the quarter
    assert viewed_at(15) == (D("0.4"), "on_track")  # 45/91 gone: 9.5 points behind
    assert viewed_at(25) == (D("0.4"), "at_risk")  # 55/91 gone: 20 points behind
    assert viewed_at(1, month=12) == (D("0.4"), "off_track")  # 61/91 gone: 27 points behind


def test_an_objective_without_key_results_has_no_status(objective, member):
    with clock.frozen_at(MID_Q4):
        (viewed,) = objectives_for(user=member, period="2026-Q4")

    assert (viewed.progress, viewed.status) == (D(0), None)
