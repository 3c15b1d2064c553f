"""Releases brought to a state through the real services, as a team would get them there:
planned, in gray at a stage, halted by a breached guard, released. For the page tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from delivery import services
from delivery.models import Release
from portal import clock

# Two quick stages: 10 % then everyone, each observed for 0 minutes.
QUICK = [{"percent": 10, "observe_minutes": 0}, {"percent": 100, "observe_minutes": 0}]


def planned(project, version: str, *, target: date | None = None, name: str = "") -> Release:
    return services.release_create(
        project=project,
        actor=project.owner,
        version=version,
        name=name,
        target_date=target,
        stages=QUICK,
    )


def in_gray(project, version: str, *, at: datetime, guard: bool = True, **kwargs) -> Release:
    """Its first stage (10 %) running since `at`, with an error_rate ≤ 0.5 guard."""
    release = planned(project, version, **kwargs)
    if guard:
        services.stage_guard_add(
            stage=release.stages.get(position=1),
            actor=project.owner,
            metric="error_rate",
            operator="lte",
            threshold="0.5",
        )
    with clock.frozen_at(at):
        return services.release_advance(release=release, actor=project.owner)


def halted(project, version: str, *, at: datetime, **kwargs) -> Release:
    """Halted at 10 % by its error_rate guard (1.8 pushed) at `at` + 5 minutes."""
    release = in_gray(project, version, at=at, **kwargs)
    with clock.frozen_at(at + timedelta(minutes=5)):
        return services.stage_metric_record(release=release, metric="error_rate", value="1.8")


def released(project, version: str, *, at: datetime, **kwargs) -> Release:
    """Both stages started and passed: released at `at`."""
    release = planned(project, version, **kwargs)
    with clock.frozen_at(at):
        for _step in range(4):
            release = services.release_advance(release=release, actor=project.owner)
    return release
