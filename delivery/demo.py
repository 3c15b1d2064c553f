"""The demo's releases (DESIGN §8): per project one released, one in gray and one planned;
PAY's checkout release halted by its error-rate guard; the 双11 freeze window.

Written through the services at pinned past times, so the rollout history, the events and
the activity read as if the team had lived them. Idempotent: a project that has releases
is left alone, and so is a freeze window of the same name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import translation

from portal import clock
from portal.models import Project, User
from projects.models import ColumnCategory, WorkItem

from . import services
from .models import Check, FreezeWindow, Release
from .selectors import go_no_go


@dataclass(frozen=True)
class Spec:
    version: str
    name: str
    critical_paths: tuple[str, ...] = ()


RELEASED = {
    "MALL": Spec("2.2.0", "新人礼包与首页改版", ("promotion",)),
    "S11": Spec("1.4.0", "预售定金膨胀", ("pricing", "promotion")),
    "PAY": Spec("3.0.0", "Refund status page"),
}
IN_GRAY = {
    "MALL": Spec("2.3.0", "个性化推荐上线"),
    "S11": Spec("1.5.0", "秒杀频道改版", ("inventory",)),
    "PAY": Spec("3.0.1", "Receipt e-mails"),
}
PLANNED = {
    "MALL": Spec("2.4.0", "会员日"),
    "S11": Spec("1.6.0", "双11 主会场", ("promotion", "inventory")),
    "PAY": Spec("3.2.0", "Split payments", ("checkout_payment",)),
}
# PAY's checkout release: its error-rate guard broke at 1 % and halted it.
HALTED = ("PAY", Spec("3.1.0", "New checkout flow", ("checkout_payment",)))
FREEZE_NAME = "双11 大促封网"


def _items(project: Project, category: str, count: int) -> list[WorkItem]:
    return list(
        WorkItem.objects.filter(project=project, column__category=category).order_by("number")[
            :count
        ]
    )


def _create(project: Project, actor: User, spec: Spec, at: datetime, **kwargs) -> Release:
    with clock.frozen_at(at):
        release = services.release_create(
            project=project,
            actor=actor,
            version=spec.version,
            name=spec.name,
            critical_paths=spec.critical_paths,
            **kwargs,
        )
        for check in Check.values:
            services.release_check(release=release, actor=actor, check=check, done=True)
    return release


def _go(release: Release, actor: User, at: datetime) -> None:
    """The owner accepts what the risk register still holds open against the release's
    work, as teams do for a small first stage."""
    if release.critical_paths and go_no_go(release=release).blocking_risks:
        with clock.frozen_at(at):
            services.release_accept_risks(
                release=release,
                actor=actor,
                reason="风险已有降级预案，灰度 1% 观察可控 (mitigations in place).",
            )


def _step(release: Release, actor: User, at: datetime) -> Release:
    with clock.frozen_at(at):
        return services.release_advance(release=release, actor=actor)


def seed_releases(users: dict[str, User], projects: dict[str, Project]) -> int:
    made = 0
    now = clock.now()
    for key, project in projects.items():
        if Release.objects.filter(project=project).exists():
            continue
        # What the services write (a halt's reason) reads in the team's language.
        with translation.override(project.language or project.owner.language):
            made += _seed_project(key, project, now)
    _seed_freeze(users, now)
    return made


def _seed_project(key: str, project: Project, now: datetime) -> int:
    made = 0
    owner = project.owner
    member = project.memberships.filter(role="member").select_related("user").first()
    runner = member.user if member else owner
    quick = [{"percent": p, "observe_minutes": 30} for p in (1, 20, 100)]

    shipped = _create(project, owner, RELEASED[key], now - timedelta(days=21), stages=quick)
    services.release_scope_set(
        release=shipped, actor=owner, work_items=_items(project, ColumnCategory.DONE, 4)
    )
    moment = now - timedelta(days=14)
    _go(shipped, owner, moment)
    for _n in range(6):  # start and pass each of the three stages
        shipped = _step(shipped, runner, moment)
        moment += timedelta(minutes=45)

    gray = _create(project, owner, IN_GRAY[key], now - timedelta(days=3))
    services.release_scope_set(
        release=gray,
        actor=owner,
        work_items=_items(project, ColumnCategory.IN_PROGRESS, 3),
    )
    second = gray.stages.get(position=2)
    services.stage_guard_add(
        stage=second, actor=owner, metric="error_rate", operator="lte", threshold="0.5"
    )
    _go(gray, owner, now - timedelta(hours=3))
    gray = _step(gray, runner, now - timedelta(hours=3))  # 1 % starts
    gray = _step(gray, runner, now - timedelta(hours=2))  # 1 % passes
    gray = _step(gray, runner, now - timedelta(minutes=40))  # 5 % starts
    with clock.frozen_at(now - timedelta(minutes=10)):
        services.stage_metric_record(release=gray, metric="error_rate", value="0.18")

    planned = _create(project, owner, PLANNED[key], now - timedelta(days=1))
    planned.target_date = project.today() + timedelta(days=21)
    planned.save(update_fields=["target_date"])
    services.release_scope_set(
        release=planned, actor=owner, work_items=_items(project, ColumnCategory.TODO, 3)
    )
    made += 3

    if key == HALTED[0]:
        halted = _create(project, owner, HALTED[1], now - timedelta(days=2))
        services.release_scope_set(
            release=halted,
            actor=owner,
            work_items=_items(project, ColumnCategory.IN_PROGRESS, 2),
        )
        first = halted.stages.get(position=1)
        services.stage_guard_add(
            stage=first, actor=owner, metric="error_rate", operator="lte", threshold="0.5"
        )
        _go(halted, owner, now - timedelta(hours=20))
        halted = _step(halted, runner, now - timedelta(hours=20))
        with clock.frozen_at(now - timedelta(hours=19, minutes=42)):
            services.stage_metric_record(release=halted, metric="error_rate", value="1.8")
        made += 1
    return made


def _seed_freeze(users: dict[str, User], now: datetime) -> None:
    """The 双11 window of the coming (or current year's, if still ahead) sale, 9–12 Nov in
    China time: never around today, so the demo's rollouts are not inside it."""
    if FreezeWindow.objects.filter(name=FREEZE_NAME).exists():
        return
    china = ZoneInfo("Asia/Shanghai")
    today = now.astimezone(china).date()
    year = today.year if today < today.replace(month=11, day=9) else today.year + 1
    admin = users.get("admin")
    services.freeze_window_create(
        actor=admin,
        name=FREEZE_NAME,
        starts_at=datetime(year, 11, 9, tzinfo=china),
        ends_at=datetime(year, 11, 13, tzinfo=china),
        reason="双11 大促期间只允许已批准的紧急修复上线。",
    )
