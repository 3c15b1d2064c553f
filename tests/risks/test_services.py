"""The risk register's services: history, validation that writes nothing, escalation
events, overdue reviews across time zones, reviews, starter templates, numbering and the
exposure trend."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, connections

from portal.errors import ApplicationError
from portal.models import Activity, Event
from risks import services
from risks.models import Risk, RiskHistory, RiskReview, Status
from risks.selectors import risk_exposure_trend, risk_register
from risks.starter import STARTER_RISKS
from tests.portal.factories import UserFactory
from tests.projects.factories import add_member, make_project
from tests.risks.factories import make_risk

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def written() -> dict[str, int]:
    """Everything a risk use case may write; compared before and after a refused change."""
    return {
        "risks": Risk.objects.count(),
        "history": RiskHistory.objects.count(),
        "reviews": RiskReview.objects.count(),
        "activity": Activity.objects.count(),
        "events": Event.objects.count(),
    }


def history_rows(risk) -> list[tuple[str, str, str, str | None]]:
    return [
        (h.field, h.old_value, h.new_value, h.actor.username if h.actor else None)
        for h in RiskHistory.objects.filter(risk=risk).select_related("actor").order_by("at", "id")
    ]


def event_names(project) -> list[str]:
    return list(Event.objects.filter(project=project).order_by("id").values_list("name", flat=True))


# ---------------------------------------------------------------- history


def test_registering_a_risk_writes_a_created_row_and_an_activity(project, member):
    risk = make_risk(project, actor=member, probability=2, impact=3)

    assert history_rows(risk) == [("created", "", "open", "member")]
    entry = RiskHistory.objects.get(risk=risk)
    assert (entry.probability, entry.impact, entry.status) == (2, 3, "open")
    assert Activity.objects.filter(verb="risk.created", project=project, actor=member).count() == 1
    assert risk.key == "MALL-RISK-1"


@pytest.mark.parametrize(
    ("field", "new", "old_text", "new_text"),
    [
        ("probability", 5, "3", "5"),
        ("impact", 1, "3", "1"),
        ("status", Status.MITIGATING, "open", "mitigating"),
        ("owner", "member", "王芳", "李雷"),
    ],
)
def test_each_tracked_change_writes_one_history_row(
    project, owner, member, field, new, old_text, new_text
):
    # Given a 3 × 3 risk owned by 王芳
    risk = make_risk(project, actor=owner)

    # When 李雷 changes one tracked field
    value = member if new == "member" else new
    risk = services.risk_update(risk=risk, actor=member, **{field: value})

    # Then its history shows who changed what, from → to, and the state right after
    assert history_rows(risk)[1:] == [(field, old_text, new_text, "member")]
    entry = RiskHistory.objects.filter(risk=risk).latest("id")
    assert (entry.probability, entry.impact, entry.status) == (
        risk.probability,
        risk.impact,
        risk.status,
    )
    activity = Activity.objects.filter(verb="risk.updated").get()
    assert activity.actor == member
    assert field in activity.after


def test_changing_probability_and_impact_together_writes_a_row_for_each(project, member):
    risk = make_risk(project, probability=1, impact=1)

    services.risk_update(risk=risk, actor=member, probability=4, impact=5)

    assert history_rows(risk)[1:] == [
        ("probability", "1", "4", "member"),
        ("impact", "1", "5", "member"),
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "支付网关超时（已更新）"),
        ("mitigation_plan", "接入备用支付通道"),
        ("description", "大促期间第三方网关 5xx 激增"),
    ],
)
def test_text_changes_are_saved_without_a_history_row(project, member, field, value):
    risk = make_risk(project)

    services.risk_update(risk=risk, actor=member, **{field: value})

    assert getattr(Risk.objects.get(pk=risk.pk), field) == value
    assert [row[0] for row in history_rows(risk)] == ["created"]
    # The change is still in the activity log
    assert Activity.objects.filter(verb="risk.updated", actor=member).count() == 1


def test_saving_unchanged_values_writes_nothing(project, member):
    risk = make_risk(project, probability=3, impact=3)
    before = written()

    services.risk_update(risk=risk, actor=member, probability=3, impact=3, status="open")

    assert written() == before


# ---------------------------------------------------------------- validation


def test_owner_defaults_to_the_creator(project, member):
    risk = make_risk(project, actor=member)

    assert risk.owner == member
    assert risk.created_by == member


def test_owner_may_be_another_member(project, owner, member):
    risk = make_risk(project, actor=owner, owner=member)

    assert Risk.objects.get(pk=risk.pk).owner == member


def test_owner_outside_the_project_is_refused_and_nothing_is_written(project, owner, outsider):
    before = written()

    with pytest.raises(ApplicationError) as caught:
        make_risk(project, actor=owner, owner=outsider)

    assert caught.value.field == "owner"
    assert written() == before


def test_changing_owner_to_an_outsider_is_refused(project, owner, outsider):
    risk = make_risk(project, actor=owner)
    before = written()

    with pytest.raises(ApplicationError) as caught:
        services.risk_update(risk=risk, actor=owner, owner=outsider)

    assert caught.value.field == "owner"
    assert written() == before
    assert Risk.objects.get(pk=risk.pk).owner == owner


def test_review_date_in_the_past_is_refused_on_create(project, owner):
    before = written()

    with pytest.raises(ApplicationError) as caught:
        make_risk(project, actor=owner, next_review_date=project.today() - timedelta(days=1))

    assert caught.value.field == "next_review_date"
    assert written() == before


def test_review_date_today_is_accepted_on_create(project, owner):
    risk = make_risk(project, actor=owner, next_review_date=project.today())

    assert risk.next_review_date == project.today()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("probability", 0),
        ("probability", 6),
        ("impact", 0),
        ("impact", 6),
        ("category", "weather"),
    ],
)
def test_out_of_range_input_on_create_names_the_field_and_writes_nothing(
    project, owner, field, value
):
    before = written()

    with pytest.raises(ValidationError) as caught:
        make_risk(project, actor=owner, **{field: value})

    assert field in caught.value.message_dict
    assert written() == before


@pytest.mark.parametrize(
    ("field", "value"), [("probability", 6), ("impact", 0), ("category", "weather")]
)
def test_out_of_range_input_on_update_names_the_field_and_changes_nothing(
    project, owner, field, value
):
    risk = make_risk(project, actor=owner, probability=3, impact=3)
    before = written()

    with pytest.raises(ValidationError) as caught:
        services.risk_update(risk=risk, actor=owner, **{field: value})

    assert field in caught.value.message_dict
    assert written() == before
    fresh = Risk.objects.get(pk=risk.pk)
    assert (fresh.probability, fresh.impact, fresh.category) == (3, 3, "technical")


def test_fields_that_cannot_change_are_refused(project, owner, member):
    risk = make_risk(project, actor=owner)
    before = written()

    with pytest.raises(ApplicationError):
        services.risk_update(risk=risk, actor=owner, number=99)

    assert written() == before


# ---------------------------------------------------------------- events


@pytest.mark.parametrize(
    ("probability", "impact", "events"),
    [
        (2, 2, []),  # low
        (3, 3, []),  # medium
        (3, 4, ["risk.created"]),  # high
        (4, 5, ["risk.created"]),  # critical
    ],
)
def test_risk_created_event_only_at_high_or_critical(project, owner, probability, impact, events):
    risk = make_risk(project, actor=owner, probability=probability, impact=impact)

    assert event_names(project) == events
    if events:
        payload = Event.objects.get(project=project).payload
        assert payload["key"] == risk.key
        assert payload["level"] == risk.level
        assert payload["score"] == probability * impact


@pytest.mark.parametrize(
    ("start", "change", "previous", "level"),
    [
        ((2, 2), {"impact": 4}, "low", "medium"),
        ((3, 3), {"probability": 4}, "medium", "high"),
        ((4, 4), {"impact": 5}, "high", "critical"),
        ((1, 1), {"probability": 5, "impact": 5}, "low", "critical"),
    ],
)
def test_rising_level_emits_risk_escalated(project, member, start, change, previous, level):
    risk = make_risk(project, probability=start[0], impact=start[1])
    Event.objects.all().delete()

    services.risk_update(risk=risk, actor=member, **change)

    event = Event.objects.get(project=project)
    assert event.name == "risk.escalated"
    assert event.payload["previous_level"] == previous
    assert event.payload["level"] == level
    assert event.payload["key"] == "MALL-RISK-1"


@pytest.mark.parametrize(
    ("start", "change"),
    [
        ((4, 4), {"impact": 1}),  # high → low
        ((5, 5), {"probability": 3}),  # critical → high
        ((3, 3), {"impact": 2}),  # medium → medium (score 9 → 6)
        ((3, 3), {"title": "改个标题"}),
    ],
)
def test_falling_or_same_level_emits_nothing(project, member, start, change):
    risk = make_risk(project, probability=start[0], impact=start[1])
    Event.objects.all().delete()

    services.risk_update(risk=risk, actor=member, **change)

    assert event_names(project) == []


def test_closed_risk_rising_does_not_escalate(project, member):
    risk = make_risk(project, probability=2, impact=2)
    risk = services.risk_update(risk=risk, actor=member, status=Status.CLOSED)

    services.risk_update(risk=risk, actor=member, impact=5)

    assert event_names(project) == []


def test_occurred_emits_risk_occurred(project, member):
    risk = make_risk(project, probability=2, impact=2)

    services.risk_update(risk=risk, actor=member, status=Status.OCCURRED)

    assert event_names(project) == ["risk.occurred"]
    assert Event.objects.get().payload["status"] == "occurred"


# ---------------------------------------------------------------- overdue across time zones

# 2026-03-10 17:00 UTC is 2026-03-11 01:00 in Shanghai and 2026-03-10 10:00 in Los Angeles.
EVENING_UTC = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
DUE = date(2026, 3, 10)


@pytest.fixture
def due_on_the_10th(owner):
    """The same risk, due for review on 2026-03-10, in a Shanghai and a Los Angeles project."""
    with time_machine.travel(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), tick=False):
        shanghai = make_project(owner=owner, key="SHA", timezone_name="Asia/Shanghai")
        la = make_project(owner=owner, key="LAX", timezone_name="America/Los_Angeles")
        risks = {
            "SHA": make_risk(shanghai, probability=2, impact=2, next_review_date=DUE),
            "LAX": make_risk(la, probability=2, impact=2, next_review_date=DUE),
        }
    return risks


def overdue_events() -> list[tuple[str, int]]:
    return [
        (e.payload["key"], e.payload["days_overdue"])
        for e in Event.objects.filter(name="risk.review_overdue").order_by("id")
    ]


def test_overdue_follows_the_projects_local_date(due_on_the_10th):
    shanghai, la = due_on_the_10th["SHA"], due_on_the_10th["LAX"]
    with time_machine.travel(EVENING_UTC, tick=False):
        assert shanghai.project.today() == date(2026, 3, 11)
        assert la.project.today() == date(2026, 3, 10)

        # Shanghai's 10th is over: overdue in the register; Los Angeles is still on the 10th
        assert shanghai.is_overdue(shanghai.project.today())
        assert not la.is_overdue(la.project.today())
        assert list(risk_register(project=shanghai.project, filters={"overdue": True})) == [
            shanghai
        ]
        assert list(risk_register(project=la.project, filters={"overdue": True})) == []


def test_overdue_reviews_are_flagged_once_per_local_day(due_on_the_10th):
    # Given Shanghai at 01:00 on the 11th, Los Angeles at 10:00 on the 10th
    with time_machine.travel(EVENING_UTC, tick=False) as traveller:
        # When the hourly task runs, then only the Shanghai risk is flagged
        assert services.risks_flag_overdue_reviews() == 1
        assert overdue_events() == [("SHA-RISK-1", 1)]

        # When it runs again later the same Shanghai day (11:00 local), nothing new
        traveller.move_to(datetime(2026, 3, 11, 3, 0, tzinfo=UTC))
        assert services.risks_flag_overdue_reviews() == 0
        assert services.risks_flag_overdue_reviews() == 0
        assert overdue_events() == [("SHA-RISK-1", 1)]

        # When the next local day starts (Shanghai 12th 01:00, Los Angeles 11th 10:00)
        traveller.move_to(datetime(2026, 3, 11, 17, 0, tzinfo=UTC))
        assert services.risks_flag_overdue_reviews() == 2

    # Then Shanghai is flagged again, two days late, and Los Angeles for the first time
    assert overdue_events() == [("SHA-RISK-1", 1), ("SHA-RISK-1", 2), ("LAX-RISK-1", 1)]


def test_the_overdue_task_flags_through_the_service(due_on_the_10th):
    from risks.tasks import risk_reviews_flag_overdue_task

    with time_machine.travel(EVENING_UTC, tick=False):
        assert risk_reviews_flag_overdue_task.delay().get() == 1
        assert risk_reviews_flag_overdue_task.delay().get() == 0
    assert overdue_events() == [("SHA-RISK-1", 1)]


@pytest.mark.parametrize(
    ("status", "overdue"),
    [
        (Status.OPEN, True),
        (Status.MITIGATING, True),
        (Status.ACCEPTED, True),
        (Status.CLOSED, False),
        (Status.OCCURRED, False),
    ],
)
def test_closed_and_occurred_risks_are_never_overdue(project, owner, status, overdue):
    with time_machine.travel(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), tick=False):
        risk = make_risk(project, next_review_date=DUE)
        if status != Status.OPEN:
            risk = services.risk_update(risk=risk, actor=owner, status=status)

    with time_machine.travel(datetime(2026, 4, 1, 9, 0, tzinfo=UTC), tick=False):
        assert risk.is_overdue(project.today()) is overdue
        assert list(risk_register(project=project, filters={"overdue": True})) == (
            [risk] if overdue else []
        )
        assert services.risks_flag_overdue_reviews() == int(overdue)


# ---------------------------------------------------------------- reviews


def test_review_moves_the_date_two_weeks_from_the_local_today(project, member):
    with time_machine.travel(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), tick=False):
        risk = make_risk(project, next_review_date=DUE)

    # 01:00 on the 11th in Shanghai (still the 10th in UTC)
    with time_machine.travel(EVENING_UTC, tick=False):
        assert risk.is_overdue(project.today())
        review = services.risk_review(risk=risk, actor=member, note="复核：无变化")

        risk.refresh_from_db()
        assert risk.next_review_date == date(2026, 3, 25)
        assert not risk.is_overdue(project.today())

    assert (review.reviewer, review.note, review.next_review_date) == (
        member,
        "复核：无变化",
        date(2026, 3, 25),
    )
    activity = Activity.objects.get(verb="risk.reviewed")
    assert activity.actor == member
    assert activity.after == {"next_review_date": "2026-03-25"}
    # A review is not a change of probability, impact, status or owner
    assert [row[0] for row in history_rows(risk)] == ["created"]


def test_review_with_a_chosen_date(project, member):
    risk = make_risk(project)
    chosen = project.today() + timedelta(days=3)

    services.risk_review(risk=risk, actor=member, next_review_date=chosen)

    assert Risk.objects.get(pk=risk.pk).next_review_date == chosen
    assert RiskReview.objects.get(risk=risk).next_review_date == chosen


@pytest.mark.parametrize("days", [0, -1, -30])
def test_review_date_not_after_today_is_refused(project, member, days):
    risk = make_risk(project, next_review_date=project.today() + timedelta(days=5))
    before = written()

    with pytest.raises(ApplicationError) as caught:
        services.risk_review(
            risk=risk, actor=member, next_review_date=project.today() + timedelta(days=days)
        )

    assert caught.value.field == "next_review_date"
    assert written() == before
    assert Risk.objects.get(pk=risk.pk).next_review_date == project.today() + timedelta(days=5)


# ---------------------------------------------------------------- starter templates


def test_templates_add_the_starter_risks_once(project, owner):
    created = services.risk_templates_apply(project=project, actor=owner, language="zh-hans")

    assert len(created) == len(STARTER_RISKS) == Risk.objects.filter(project=project).count()
    titles = set(Risk.objects.filter(project=project).values_list("title", flat=True))
    assert titles == {starter.zh[0] for starter in STARTER_RISKS}
    assert "秒杀高并发下库存超卖" in titles
    review = project.today() + timedelta(days=14)
    assert set(Risk.objects.values_list("next_review_date", flat=True)) == {review}

    # A second click adds nothing
    again = services.risk_templates_apply(project=project, actor=owner, language="zh-hans")

    assert again == []
    assert Risk.objects.filter(project=project).count() == len(STARTER_RISKS)


def test_templates_in_english_for_an_english_speaker(owner):
    zh_project = make_project(owner=owner, key="ZHP")
    en_project = make_project(owner=owner, key="ENP")

    services.risk_templates_apply(project=zh_project, actor=owner, language="zh-hans")
    services.risk_templates_apply(project=en_project, actor=owner, language="en")

    zh_titles = set(zh_project.risks.values_list("title", flat=True))
    en_titles = set(en_project.risks.values_list("title", flat=True))
    assert "Inventory oversold under flash-sale load" in en_titles
    assert en_titles == {starter.en[0] for starter in STARTER_RISKS}
    assert zh_titles.isdisjoint(en_titles)


def test_templates_skip_only_those_already_applied(project, owner):
    services.risk_templates_apply(project=project, actor=owner, language="zh-hans")
    oversell = Risk.objects.get(project=project, title="秒杀高并发下库存超卖")
    services.risk_delete(risk=oversell, actor=owner)

    again = services.risk_templates_apply(project=project, actor=owner, language="zh-hans")

    assert [risk.title for risk in again] == ["秒杀高并发下库存超卖"]
    assert Risk.objects.filter(project=project).count() == len(STARTER_RISKS)


# ---------------------------------------------------------------- numbering


def test_numbers_count_up_per_project(project, owner):
    other = make_project(owner=owner, key="PAY")
    first, second = make_risk(project), make_risk(project)
    elsewhere = make_risk(other)

    assert (first.key, second.key, elsewhere.key) == ("MALL-RISK-1", "MALL-RISK-2", "PAY-RISK-1")


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_get_distinct_consecutive_numbers(project, owner, member):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers (PostgreSQL); SQLite serialises them anyway")
    writers = [owner, member, *(UserFactory() for _ in range(2))]
    for extra in writers[2:]:
        add_member(project, extra)
    barrier = threading.Barrier(len(writers))
    outcomes: list[object] = []

    def register(user):
        try:
            barrier.wait(timeout=5)
            outcomes.append(make_risk(project, actor=user, title=f"并发 {user.username}"))
        except Exception as exc:  # reported below, with the numbers that did come out
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(user,)) for user in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    numbers = sorted(Risk.objects.filter(project=project).values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4]


# ---------------------------------------------------------------- exposure trend

# "Today" for the trend tests: 2026-03-10 12:00 in Shanghai. Day 0 is today, day -1
# yesterday, and so on; times are Shanghai wall-clock times.
TREND_NOW = datetime(2026, 3, 10, 12, 0, tzinfo=SHANGHAI)


def _local(day: int, clock: str) -> datetime:
    hour, minute = map(int, clock.split(":"))
    return datetime.combine(TREND_NOW.date() + timedelta(days=day), time(hour, minute), SHANGHAI)


# Each step: (day, local time, risk name, what happens). "create" takes (probability, impact).
TREND_CASES = {
    "created in the window counts from its day": (
        [(-4, "10:00", "A", ("create", (3, 4)))],
        [0, 0, 12, 12, 12, 12, 12],
    ),
    "created before the window is in the first day": (
        [(-30, "10:00", "A", ("create", (1, 5)))],
        [5, 5, 5, 5, 5, 5, 5],
    ),
    "closed on day N stops counting from day N": (
        [
            (-6, "09:00", "A", ("create", (2, 5))),
            (-3, "18:00", "A", ("update", {"status": "closed"})),
        ],
        [10, 10, 10, 0, 0, 0, 0],
    ),
    "occurred stops counting, mitigating and accepted still count": (
        [
            (-6, "09:00", "A", ("create", (4, 4))),
            (-6, "09:00", "B", ("create", (2, 3))),
            (-5, "09:00", "A", ("update", {"status": "mitigating"})),
            (-4, "09:00", "B", ("update", {"status": "accepted"})),
            (-2, "09:00", "A", ("update", {"status": "occurred"})),
        ],
        [22, 22, 22, 22, 6, 6, 6],
    ),
    "a raised impact counts the new score from that day": (
        [
            (-6, "09:00", "A", ("create", (2, 2))),
            (-3, "09:00", "A", ("update", {"impact": 5})),
            (-1, "09:00", "A", ("update", {"probability": 1})),
        ],
        [4, 4, 4, 10, 10, 5, 5],
    ),
    "a change just after local midnight belongs to that local day": (
        [
            (-6, "09:00", "A", ("create", (3, 3))),
            # 00:30 in Shanghai is still the previous day in UTC
            (-2, "00:30", "A", ("update", {"status": "closed"})),
        ],
        [9, 9, 9, 9, 0, 0, 0],
    ),
    "a reopened risk counts again": (
        [
            (-6, "09:00", "A", ("create", (3, 5))),
            (-5, "09:00", "A", ("update", {"status": "closed"})),
            (-2, "09:00", "A", ("update", {"status": "open"})),
        ],
        [15, 0, 0, 0, 15, 15, 15],
    ),
    "several risks add up": (
        [
            (-6, "09:00", "A", ("create", (1, 1))),
            (-5, "09:00", "B", ("create", (2, 2))),
            (-4, "09:00", "C", ("create", (5, 5))),
            (-1, "23:59", "C", ("update", {"status": "closed"})),
        ],
        [1, 5, 30, 30, 30, 5, 5],
    ),
}


@pytest.mark.parametrize(
    ("steps", "expected"), list(TREND_CASES.values()), ids=list(TREND_CASES.keys())
)
def test_exposure_trend_replays_history_day_by_day(project, owner, steps, expected):
    with time_machine.travel(TREND_NOW, tick=False):
        risks: dict[str, Risk] = {}
        for day, clock, name, (action, arg) in steps:
            if action == "create":
                risks[name] = make_risk(project, probability=arg[0], impact=arg[1])
            else:
                risks[name] = services.risk_update(risk=risks[name], actor=owner, **arg)
            # The service stamps "now"; move the row it just wrote to the step's moment.
            RiskHistory.objects.filter(pk=RiskHistory.objects.latest("id").pk).update(
                at=_local(day, clock)
            )
        # Another project's risk never counts
        other = make_project(owner=owner, key="OTH")
        make_risk(other, probability=5, impact=5)

        series = risk_exposure_trend(project=project, days=7)

    assert [day for day, _ in series] == [date(2026, 3, 4) + timedelta(days=n) for n in range(7)]
    assert [value for _, value in series] == expected
