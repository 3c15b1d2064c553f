"""Releases and their gray rollout (DESIGN §8), through the services: the plan, stages
that start and pass, guards that halt (the circuit breaker), go/no-go on critical paths,
freeze windows, rollback, and bad input that changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from delivery import services
from delivery.models import FreezeWindow, Release, ReleaseState, RolloutStage, StageState
from portal import clock
from portal.errors import ApplicationError
from portal.models import Activity, Event
from risks import services as risk_services
from tests.metrics.factories import KPIDataPointFactory, KPIFactory
from tests.projects.board_factories import make_item
from tests.projects.factories import make_project
from tests.risks.factories import make_risk

pytestmark = pytest.mark.django_db

START = datetime(2026, 10, 20, 2, 0, tzinfo=clock.now().tzinfo)


@pytest.fixture(autouse=True)
def _in_english():
    """The refusals are read in English here (their Chinese is checked where shown)."""
    with translation.override("en"):
        yield


def plan(release: Release) -> list[tuple[int, str]]:
    return list(release.stages.order_by("position").values_list("percent", "state"))


def advance(release, actor, *, at, **kwargs):
    with clock.frozen_at(at):
        return services.release_advance(release=release, actor=actor, **kwargs)


@pytest.fixture
def release(project, owner):
    return services.release_create(project=project, actor=owner, version="2.3.0", name="会员日")


def test_a_release_gets_the_default_plan_and_a_history_line(release, owner):
    assert release.state == ReleaseState.PLANNED
    assert plan(release) == [(p, "pending") for p in (1, 5, 20, 50, 100)]
    assert set(release.stages.values_list("observe_minutes", flat=True)) == {30}
    line = Activity.objects.get(verb="release.created")
    assert line.after == {"version": "2.3.0", "stages": [1, 5, 20, 50, 100]}


def test_a_version_is_unique_per_project_and_a_refusal_creates_nothing(release, project, owner):
    with pytest.raises(ApplicationError) as refused:
        services.release_create(project=project, actor=owner, version="2.3.0")
    assert refused.value.field == "version"
    assert Release.objects.count() == 1
    assert RolloutStage.objects.count() == 5
    # Another project may use the same version.
    other = make_project(owner=owner, key="PAY")
    assert services.release_create(project=other, actor=owner, version="2.3.0").pk


@pytest.mark.parametrize(
    ("stages", "why"),
    [
        ([1, 5, 5, 100], "more traffic"),
        ([10, 5, 100], "more traffic"),
        ([0, 50, 100], "1–100"),
        ([1, 50, 101], "1–100"),
        ([1, 50], "100 %"),
        ([], "at least one"),
        (["x", 100], "whole percentage"),
        ([{"percent": 50, "observe_minutes": -1}, 100], "minutes"),
    ],
)
def test_a_bad_plan_is_a_field_error_and_changes_nothing(release, owner, stages, why):
    with pytest.raises(ApplicationError) as refused:
        services.release_plan_set(release=release, actor=owner, stages=stages)
    assert refused.value.field == "stages"
    assert why in str(refused.value)
    assert plan(release) == [(p, "pending") for p in (1, 5, 20, 50, 100)]


def test_the_plan_is_editable_until_the_first_stage_starts(release, owner):
    services.release_plan_set(
        release=release,
        actor=owner,
        stages=[{"percent": 10, "observe_minutes": 0}, {"percent": 100, "observe_minutes": 60}],
    )
    assert plan(release) == [(10, "pending"), (100, "pending")]
    advance(release, owner, at=START)
    with pytest.raises(ApplicationError):
        services.release_plan_set(release=release, actor=owner, stages=[50, 100])
    assert plan(release) == [(10, "running"), (100, "pending")]


def test_stages_start_and_pass_one_step_at_a_time_until_released(release, owner, member):
    services.release_plan_set(release=release, actor=owner, stages=[20, 100])
    release = advance(release, member, at=START)
    assert release.state == ReleaseState.GRAY
    assert plan(release) == [(20, "running"), (100, "pending")]
    started = Event.objects.get(name="release.stage_started")
    assert started.payload["percent"] == 20
    assert started.payload["version"] == "2.3.0"

    # Not before it has been observed for its 30 minutes.
    with pytest.raises(ApplicationError) as early:
        advance(release, member, at=START + timedelta(minutes=29))
    assert early.value.field == "stage"
    assert plan(release) == [(20, "running"), (100, "pending")]

    advance(release, member, at=START + timedelta(minutes=30))  # passes 20 %
    advance(release, member, at=START + timedelta(minutes=31))  # starts 100 %
    release = advance(release, member, at=START + timedelta(minutes=61))  # passes 100 %
    assert release.state == ReleaseState.RELEASED
    assert release.released_at == START + timedelta(minutes=61)
    assert plan(release) == [(20, "passed"), (100, "passed")]
    assert Event.objects.filter(name="release.released").count() == 1
    with pytest.raises(ApplicationError):
        advance(release, member, at=START + timedelta(hours=2))


def test_two_people_advancing_from_the_same_view_make_one_step(release, owner, member):
    advance(release, owner, at=START, step="start:1")
    with pytest.raises(ApplicationError) as late:
        advance(release, member, at=START + timedelta(hours=1), step="start:1")
    assert "Someone else" in str(late.value)
    assert plan(release)[:2] == [(1, "running"), (5, "pending")]


def test_a_breached_pushed_metric_halts_the_rollout_at_once(release, owner, member):
    first = release.stages.get(position=1)
    services.stage_guard_add(
        stage=first, actor=owner, metric="error_rate", operator="lte", threshold="0.5"
    )
    advance(release, member, at=START)

    services.stage_metric_record(release=release, metric="error_rate", value="0.3")
    release.refresh_from_db()
    assert release.state == ReleaseState.GRAY

    release = services.stage_metric_record(release=release, metric="error_rate", value="1.2")
    assert release.state == ReleaseState.HALTED
    assert "error_rate is 1.2" in release.stop_reason
    assert plan(release)[0] == (1, "halted")
    halted = Event.objects.get(name="release.halted")
    assert halted.payload["reason"] == release.stop_reason
    assert halted.payload["percent"] == 1
    # Halted, it cannot pass; once fixed, advancing starts the stage again.
    release = advance(release, member, at=START + timedelta(hours=1))
    assert plan(release)[0] == (1, "running")
    assert release.state == ReleaseState.GRAY
    assert release.stop_reason == ""


def test_a_kpi_guard_relative_to_its_baseline_holds_then_halts(release, project, owner, member):
    conversion = KPIFactory(project=project, code="conversion_rate")
    KPIDataPointFactory(kpi=conversion, date=START.date() - timedelta(days=1), value=Decimal(4))
    first = release.stages.get(position=1)
    services.stage_guard_add(
        stage=first, actor=owner, kpi=conversion, operator="gte", threshold=95, of_baseline=True
    )
    advance(release, member, at=START)
    assert first.guards.get().baseline == Decimal(4)

    KPIDataPointFactory(kpi=conversion, date=START.date(), value=Decimal("3.9"))  # 97.5 %
    assert services.guards_check(release=release).state == ReleaseState.GRAY
    KPIDataPointFactory(
        kpi=conversion, date=START.date() + timedelta(days=1), value=Decimal("3.7")
    )  # 92.5 % of the baseline
    assert services.guards_check(release=release).state == ReleaseState.HALTED


def test_a_guard_on_another_projects_kpi_is_refused(release, owner):
    elsewhere = make_project(owner=owner, key="PAY")
    foreign = KPIFactory(project=elsewhere, code="gmv", unit="money")
    with pytest.raises(ApplicationError) as refused:
        services.stage_guard_add(
            stage=release.stages.first(), actor=owner, kpi=foreign, operator="gte", threshold=1
        )
    assert refused.value.field == "kpi"
    assert not release.stages.first().guards.exists()


def test_a_critical_path_release_waits_for_the_checklist_and_open_high_risks(
    project, owner, member
):
    release = services.release_create(
        project=project, actor=owner, version="3.0.0", critical_paths=["checkout_payment"]
    )
    card = make_item(project, owner, "支付重构")
    services.release_scope_set(release=release, actor=owner, work_items=[card])
    risk = make_risk(project, actor=owner, title="支付回调丢失", probability=4, impact=5)
    risk_services.risk_link(risk=risk, actor=owner, target=card)

    with pytest.raises(ApplicationError) as refused:
        advance(release, member, at=START)
    assert "checklist" in str(refused.value)
    assert f"RISK-{risk.number}" in str(refused.value)

    for check in ("rollback_plan", "circuit_breaker", "monitoring", "load_test",
                  "migration_reversible"):  # fmt: skip
        services.release_check(release=release, actor=owner, check=check, done=True)
    with pytest.raises(ApplicationError) as still:
        advance(release, member, at=START)
    assert "checklist" not in str(still.value)
    assert plan(release)[0] == (1, "pending")

    with pytest.raises(ApplicationError):
        services.release_accept_risks(release=release, actor=owner, reason="先上")
    services.release_accept_risks(
        release=release, actor=owner, reason="回调有对账任务兜底，灰度 1% 可控"
    )
    assert advance(release, member, at=START).state == ReleaseState.GRAY


def test_no_stage_starts_in_a_freeze_window_except_an_approved_hotfix(project, owner, member):
    services.freeze_window_create(
        actor=owner,
        name="双11 大促封网",
        starts_at=START - timedelta(days=1),
        ends_at=START + timedelta(days=3),
    )
    normal = services.release_create(project=project, actor=owner, version="2.4.0")
    with pytest.raises(ApplicationError) as frozen:
        advance(normal, member, at=START)
    assert "双11 大促封网" in str(frozen.value)

    hotfix = services.release_create(project=project, actor=owner, version="2.4.1", hotfix=True)
    with pytest.raises(ApplicationError):
        advance(hotfix, member, at=START)
    services.release_hotfix_approve(release=hotfix, actor=owner)
    assert advance(hotfix, member, at=START).state == ReleaseState.GRAY
    # After the window, a normal release goes again.
    assert advance(normal, member, at=START + timedelta(days=3)).state == ReleaseState.GRAY


def test_a_freeze_window_ending_before_it_starts_is_refused(owner, project):
    with pytest.raises(ApplicationError) as refused:
        services.freeze_window_create(
            actor=owner, project=project, name="618", starts_at=START, ends_at=START
        )
    assert refused.value.field == "ends_at"
    with pytest.raises(ValidationError):
        services.freeze_window_create(
            actor=owner,
            name="远古",
            starts_at=START.replace(year=1500),
            ends_at=START.replace(year=1501),
        )
    assert not FreezeWindow.objects.exists()


def test_the_day_before_a_freeze_is_announced_once(owner):
    services.freeze_window_create(
        actor=owner,
        name="双11 大促封网",
        starts_at=START + timedelta(hours=20),
        ends_at=START + timedelta(days=4),
        reason="大促期间只读",
    )
    with clock.frozen_at(START):
        assert services.freeze_starting_announce() == 1
        assert services.freeze_starting_announce() == 0
    event = Event.objects.get(name="freeze.starting")
    assert event.payload["title"] == "双11 大促封网"


def test_rollback_keeps_who_when_and_why(release, owner, member):
    advance(release, member, at=START)
    with pytest.raises(ApplicationError) as refused:
        services.release_rollback(release=release, actor=owner, reason=" ")
    assert refused.value.field == "reason"
    with clock.frozen_at(START + timedelta(minutes=5)):
        release = services.release_rollback(
            release=release, actor=owner, reason="下单接口 5xx 升高"
        )
    assert release.state == ReleaseState.ROLLED_BACK
    assert (release.stopped_by, release.stopped_at) == (owner, START + timedelta(minutes=5))
    assert release.stop_reason == "下单接口 5xx 升高"
    assert plan(release)[0] == (1, StageState.HALTED)
    assert Event.objects.get(name="release.rolled_back").payload["reason"] == "下单接口 5xx 升高"
    with pytest.raises(ApplicationError):
        advance(release, member, at=START + timedelta(hours=1))


def test_only_work_of_the_same_project_ships_in_a_release(release, owner):
    elsewhere = make_project(owner=owner, key="PAY")
    foreign = make_item(elsewhere, owner, "跨境支付")
    with pytest.raises(ApplicationError) as refused:
        services.release_scope_set(release=release, actor=owner, work_items=[foreign])
    assert refused.value.field == "work_items"
    assert not release.work_items.exists()


def test_the_minutely_task_halts_a_rollout_whose_kpi_guard_broke(release, project, owner, member):
    from delivery.tasks import release_guards_check_task

    error_rate = KPIFactory(project=project, code="checkout_error_rate")
    services.stage_guard_add(
        stage=release.stages.get(position=1),
        actor=owner,
        kpi=error_rate,
        operator="lte",
        threshold="0.5",
    )
    advance(release, member, at=START)
    assert release_guards_check_task() == 0
    KPIDataPointFactory(kpi=error_rate, date=clock.now().date(), value=Decimal("0.9"))

    assert release_guards_check_task() == 1
    release.refresh_from_db()
    assert release.state == ReleaseState.HALTED
    assert "checkout_error_rate is 0.9" in release.stop_reason
    assert release_guards_check_task() == 0  # halted once, not again
