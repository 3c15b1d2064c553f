"""The gray rollout: start and pass stages, guards that halt it (the circuit breaker),
halting and rolling back by hand."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from kpis.models import KPI
from portal import clock
from portal.activity import activity_record
from portal.errors import ApplicationError
from portal.events import emit

from ..models import (
    Operator,
    Release,
    ReleaseState,
    RolloutStage,
    StageGuard,
    StageMetric,
    StageState,
    metric_validator,
)
from ..selectors import current_stage, freeze_window_at, go_no_go, guard_value
from .releases import lock_release


def _payload(release: Release, stage: RolloutStage | None, actor: Any = None, **extra) -> dict:
    return {
        "version": release.version,
        "title": release.name or release.version,
        "percent": stage.percent if stage else None,
        "actor": getattr(actor, "label", None),
        "url": reverse("releases:detail", args=[release.project.key, release.version]),
        **extra,
    }


def _current(release: Release) -> RolloutStage | None:
    """The running or halted stage, else the next pending one (read fresh, in order)."""
    return current_stage(release.stages.order_by("position"))


@transaction.atomic
def release_advance(*, release: Release, actor: Any, step: str | None = None) -> Release:
    """One step of the rollout: pass the running stage (after its observe time, guards
    holding) or start the next one (outside freeze windows, go/no-go met for a critical
    path). A halted stage starts again. `stage` is the position the person saw: if
    someone else advanced meanwhile, nothing happens and they are told."""
    release = lock_release(release)
    if release.is_final:
        raise ApplicationError(_("This release is closed."))
    current = _current(release)
    if current is None:
        raise ApplicationError(_("Every stage of this rollout has passed."))
    if step is not None and step != next_step(current):
        raise ApplicationError(
            _("Someone else has just moved this rollout on: look at where it stands now."),
            field="stage",
        )
    now = clock.now()
    if current.state == StageState.RUNNING:
        return _pass(release, current, actor, now)
    return _start(release, current, actor, now)


def next_step(stage: RolloutStage) -> str:
    """The step a stage offers now: pass it while it runs, else start it."""
    action = "pass" if stage.state == StageState.RUNNING else "start"
    return f"{action}:{stage.position}"


def _start(release: Release, stage: RolloutStage, actor: Any, now) -> Release:
    window = freeze_window_at(project=release.project, at=now)
    if window is not None and not (release.hotfix and release.hotfix_approved_by_id):
        raise ApplicationError(
            _("Changes are frozen (%(name)s) until %(end)s; only an approved hotfix may start.")
            % {"name": window.name, "end": window.ends_at.isoformat(timespec="minutes")},
            field="stage",
        )
    if stage.position == 1 or release.state == ReleaseState.PLANNED:
        gate = go_no_go(release=release)
        if not gate.ready:
            reasons = []
            if gate.missing:
                reasons.append(_("the go/no-go checklist is incomplete"))
            if gate.blocking_risks and not gate.risks_accepted:
                reasons.append(
                    _("high or critical risks are open: %(keys)s")
                    % {"keys": ", ".join(f"RISK-{r.number}" for r in gate.blocking_risks)}
                )
            raise ApplicationError(
                _("This release touches a critical path and cannot start: %(why)s.")
                % {"why": "; ".join(str(r) for r in reasons)},
                field="stage",
            )
    restarted = stage.state == StageState.HALTED
    stage.state = StageState.RUNNING
    stage.started_at, stage.started_by = now, actor if getattr(actor, "pk", None) else None
    stage.ended_at = stage.ended_by = None
    stage.save()
    for guard in stage.guards.filter(of_baseline=True):
        guard.baseline = guard_value(guard)
        guard.save(update_fields=["baseline"])
    before = release.state
    release.state = ReleaseState.GRAY
    release.stop_reason = ""
    release.save(update_fields=["state", "stop_reason", "updated_at"])
    activity_record(
        actor=actor,
        verb="release.stage_started",
        target=release,
        project=release.project,
        before={"state": before},
        after={"percent": stage.percent, "restarted": restarted},
    )
    emit(
        "release.stage_started",
        project=release.project,
        payload=_payload(release, stage, actor, observe_minutes=stage.observe_minutes),
    )
    return release


def _pass(release: Release, stage: RolloutStage, actor: Any, now) -> Release:
    assert stage.started_at is not None  # a running stage has started
    ready_at = stage.started_at + timedelta(minutes=stage.observe_minutes)
    if now < ready_at:
        raise ApplicationError(
            _("Observe the %(percent)s%% stage until %(time)s before moving on.")
            % {"percent": stage.percent, "time": ready_at.isoformat(timespec="minutes")},
            field="stage",
        )
    breach = _breach(stage)
    if breach:
        return _halt(release, stage, None, breach, now)
    stage.state = StageState.PASSED
    stage.ended_at, stage.ended_by = now, actor if getattr(actor, "pk", None) else None
    stage.save()
    activity_record(
        actor=actor,
        verb="release.stage_passed",
        target=release,
        project=release.project,
        after={"percent": stage.percent},
    )
    if not release.stages.filter(state=StageState.PENDING).exists():
        release.state = ReleaseState.RELEASED
        release.released_at = now
        release.save(update_fields=["state", "released_at", "updated_at"])
        activity_record(
            actor=actor,
            verb="release.released",
            target=release,
            project=release.project,
            after={"state": release.state},
        )
        emit("release.released", project=release.project, payload=_payload(release, stage))
    return release


def _limit(guard: StageGuard) -> Decimal | None:
    if not guard.of_baseline:
        return guard.threshold
    if guard.baseline is None:
        return None
    return guard.baseline * guard.threshold / Decimal(100)


def _breach(stage: RolloutStage) -> str:
    """Why the stage must halt ("" when every guard holds)."""
    for guard in stage.guards.select_related("kpi"):
        value, limit = guard_value(guard), _limit(guard)
        if value is None or limit is None:
            continue
        broken = value > limit if guard.operator == Operator.AT_MOST else value < limit
        if broken:
            name = guard.kpi.name if guard.kpi else guard.metric
            return _("%(name)s is %(value)s, the guard allows %(op)s %(limit)s") % {
                "name": name,
                "value": f"{value.normalize():f}",
                "op": guard.get_operator_display(),
                "limit": f"{limit.normalize():f}",
            }
    return ""


def _stop(
    release: Release, stage: RolloutStage | None, actor: Any, reason: str, state: str, now
) -> None:
    """Halt the running stage and stop the release in `state`: who, when and why kept."""
    person = actor if getattr(actor, "pk", None) else None
    if stage is not None and stage.state == StageState.RUNNING:
        stage.state, stage.ended_at, stage.ended_by = StageState.HALTED, now, person
        stage.save()
    release.state = state
    release.stop_reason = reason[:500]
    release.stopped_by = person
    release.stopped_at = now
    release.save(update_fields=["state", "stop_reason", "stopped_by", "stopped_at", "updated_at"])


def _halt(release: Release, stage: RolloutStage | None, actor: Any, reason: str, now) -> Release:
    _stop(release, stage, actor, reason, ReleaseState.HALTED, now)
    activity_record(
        actor=actor,
        verb="release.halted",
        target=release,
        project=release.project,
        after={"reason": release.stop_reason, "percent": stage.percent if stage else None},
    )
    emit(
        "release.halted",
        project=release.project,
        payload=_payload(release, stage, actor, reason=release.stop_reason),
    )
    return release


@transaction.atomic
def release_halt(*, release: Release, actor: Any, reason: str) -> Release:
    """Stop the rollout by hand (the big red button)."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why the rollout stops."), field="reason")
    release = lock_release(release)
    if release.state != ReleaseState.GRAY:
        raise ApplicationError(_("Only a rollout in gray can be halted."))
    return _halt(release, _current(release), actor, reason, clock.now())


@transaction.atomic
def release_rollback(*, release: Release, actor: Any, reason: str) -> Release:
    """Take the release back out: who, when and why are kept."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why the release is rolled back."), field="reason")
    release = lock_release(release)
    if release.state not in (ReleaseState.GRAY, ReleaseState.HALTED, ReleaseState.RELEASED):
        raise ApplicationError(_("Only a release that has gone out can be rolled back."))
    stage = _current(release)
    before = release.state
    _stop(release, stage, actor, reason, ReleaseState.ROLLED_BACK, clock.now())
    activity_record(
        actor=actor,
        verb="release.rolled_back",
        target=release,
        project=release.project,
        before={"state": before},
        after={"reason": release.stop_reason},
    )
    emit(
        "release.rolled_back",
        project=release.project,
        payload=_payload(release, stage, actor, reason=release.stop_reason),
    )
    return release


@transaction.atomic
def stage_guard_add(
    *,
    stage: RolloutStage,
    actor: Any,
    operator: str,
    threshold: Any,
    kpi: KPI | None = None,
    metric: str = "",
    of_baseline: bool = False,
) -> StageGuard:
    release = lock_release(stage.release_id)
    if release.is_final or stage.state not in (StageState.PENDING, StageState.RUNNING):
        raise ApplicationError(_("Guards can be added to a stage still to run or running."))
    if (kpi is None) == (not metric):
        raise ApplicationError(_("Guard either a KPI or a pushed metric."), field="kpi")
    if kpi is not None and kpi.project_id not in (None, release.project_id):
        raise ApplicationError(_("This KPI belongs to another project."), field="kpi")
    if metric:
        metric_validator(metric)
    if operator not in Operator.values:
        raise ApplicationError(_("Choose ≤ or ≥."), field="operator")
    try:
        limit = Decimal(str(threshold))
    except (InvalidOperation, ValueError):
        raise ApplicationError(_("Enter a number."), field="threshold") from None
    if not limit.is_finite() or abs(limit) >= Decimal("1e14"):
        raise ApplicationError(_("Enter a number."), field="threshold")
    guard = StageGuard.objects.create(
        stage=stage,
        kpi=kpi,
        metric=metric,
        operator=operator,
        threshold=limit,
        of_baseline=bool(of_baseline),
    )
    if stage.state == StageState.RUNNING and guard.of_baseline:
        guard.baseline = guard_value(guard)
        guard.save(update_fields=["baseline"])
    return guard


@transaction.atomic
def stage_metric_record(*, release: Release, metric: str, value: Any) -> Release:
    """The monitoring system pushes a reading for the running stage; a breached guard
    halts the rollout at once."""
    metric_validator(metric)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ApplicationError(_("Enter a number."), field="value") from None
    if not number.is_finite() or abs(number) >= Decimal("1e14"):
        raise ApplicationError(_("Enter a number."), field="value")
    release = lock_release(release)
    stage = release.stages.filter(state=StageState.RUNNING).first()
    if stage is None:
        raise ApplicationError(_("No stage of this release is running."), field="metric")
    StageMetric.objects.create(stage=stage, metric=metric, value=number, at=clock.now())
    breach = _breach(stage)
    if breach:
        return _halt(release, stage, None, breach, clock.now())
    return release


def guards_check(*, release: Release | int) -> Release:
    """Halt the release if a guard of its running stage is breached (the periodic check
    for KPI guards, whose values arrive through the KPI points API)."""
    with transaction.atomic():
        release = lock_release(release)
        stage = release.stages.filter(state=StageState.RUNNING).first()
        if stage is None:
            return release
        breach = _breach(stage)
        if breach:
            return _halt(release, stage, None, breach, clock.now())
        return release
