"""Demo sprints and boards: three closed sprints with day-by-day history, an active sprint
half-way through, a planned one and a backlog, so burndown, velocity, cycle time and the
stand-up look real. Idempotent: a project that has sprints is left alone.

History is written through the services and then moved back in time, so every row (column
moves, scope changes, activity, events) is exactly what the product itself would write.
"""

from __future__ import annotations

import random
import zoneinfo
from datetime import datetime, time, timedelta

from portal import clock
from portal.models import Project, User

from . import services
from .models import ColumnCategory, RetroItem, Sprint, SprintState, WorkItem

TITLES = {
    "MALL": [
        "首页个性化推荐位",
        "商品详情页视频讲解",
        "购物车凑单提示",
        "会员成长值体系",
        "积分商城兑换",
        "宝宝月龄档案",
        "订单物流轨迹地图",
        "优惠券叠加规则",
        "直播间商品讲解卡",
        "社交分享海报",
        "搜索联想词与纠错",
        "奶粉批次溯源查询",
        "售后一键退换",
        "App 启动耗时优化",
        "支付结果页推荐",
        "新人专享价",
        "分类页性能优化",
        "消息中心改版",
        "地址智能识别",
        "评价晒单图片压缩",
        "会员日弹窗",
        "收藏夹降价提醒",
        "拼团下单流程",
        "客服机器人接入",
        "埋点数据校验",
    ],
    "S11": [
        "限时秒杀活动页",
        "预售定金尾款流程",
        "满减规则引擎",
        "库存预热脚本",
        "大促压测方案",
        "会场楼层配置后台",
        "红包雨互动",
        "购物车容量扩容",
        "订单削峰排队",
        "灰度发布开关",
        "价格保护规则",
        "CDN 预热清单",
        "短信通道扩容",
        "大促数据大屏",
        "风控规则调优",
        "跨店满减凑单",
        "活动页首屏优化",
        "支付限流降级",
        "物流预售打标",
        "客服高峰分流",
    ],
    "PAY": [
        "Alipay+ checkout integration",
        "Stripe payment intents",
        "Refund reconciliation job",
        "FX rate snapshot per order",
        "Card tokenisation via hosted fields",
        "3-D Secure challenge flow",
        "Payout settlement report",
        "PIPL consent for cross-border data",
        "Webhook signature checks",
        "Chargeback evidence upload",
        "Currency display per locale",
        "Payment method ranking",
        "Sandbox test matrix",
        "Idempotency keys on capture",
        "Settlement currency selection",
    ],
}
BUGS = {
    "MALL": ["iOS 17 购物车角标不刷新", "安卓低端机首页卡顿", "优惠券过期仍可使用"],
    "S11": ["预售尾款提醒重复发送", "秒杀倒计时与服务器不同步"],
    "PAY": ["Refund webhook processed twice", "Rounding error on JPY amounts"],
}
POINTS = [1, 2, 2, 3, 3, 3, 5, 5, 8]


class Clock:
    """Run services at a past moment (the clock seam), in the project's time zone."""

    def __init__(self, project: Project):
        self.project = project
        self.tz = zoneinfo.ZoneInfo(project.timezone)

    def moment(self, day, hour: int, minute: int = 0) -> datetime:
        """That local time, but never later than a few minutes ago: history is history."""
        when = datetime.combine(day, time(hour, minute), tzinfo=self.tz)
        return min(when, clock.now() - timedelta(minutes=5))

    def run(self, when: datetime, fn, *args, **kwargs):
        with clock.frozen_at(when):
            return fn(*args, **kwargs)


def seed_boards(users: dict[str, User], projects: dict[str, Project]) -> int:
    """Three closed sprints with their history, and the current one planned (not started):
    other demo modules may plan more work into it before `run_current_sprints` starts it."""
    made = 0
    for key, project in projects.items():
        if project.sprints.exists():
            continue
        _Board(project, random.Random(f"board-{key}")).plan()
        made += 1
    return made


def run_current_sprints(users: dict[str, User], projects: dict[str, Project]) -> int:
    """Start each project's current sprint on its first day and play it to today: a
    burndown that follows its committed line, with scope added half-way (shown as such),
    two blocked cards, the backlog and today's stand-up note. Idempotent: a project whose
    current sprint has started is left alone."""
    made = 0
    for key, project in projects.items():
        today = project.today()
        sprint = (
            project.sprints.filter(state=SprintState.PLANNED, start__lte=today)
            .order_by("start")
            .first()
        )
        if sprint is None or project.sprints.filter(state=SprintState.ACTIVE).exists():
            continue
        _Board(project, random.Random(f"board-run-{key}")).run(sprint)
        made += 1
    return made


class _Board:
    def __init__(self, project: Project, rng: random.Random):
        self.project = project
        self.rng = rng
        self.clock = Clock(project)
        self.owner = project.owner
        self.team = [
            m.user
            for m in project.memberships.select_related("user")
            .exclude(role="viewer")
            .order_by("user__username")
        ]
        columns = list(project.columns.order_by("order"))
        self.doing = [c for c in columns if c.category == ColumnCategory.IN_PROGRESS]
        self.done = next(c for c in columns if c.category == ColumnCategory.DONE)
        used = set(WorkItem.objects.filter(project=project).values_list("title", flat=True))
        self.titles = [t for t in TITLES[project.key] if t not in used]
        rng.shuffle(self.titles)
        self.bugs = [b for b in BUGS[project.key] if b not in used]
        self.today = project.today()
        self.zh = self.owner.language.startswith("zh")
        self.last_move: dict[int, datetime] = {}

    def new_item(self, when, sprint=None, kind="story", points=POINTS):
        if not self.titles:
            # Second round of the same themes: follow-ups, as real backlogs have.
            suffix = "（二期）" if self.zh else " (follow-up)"
            self.titles.extend(f"{t}{suffix}" for t in TITLES[self.project.key])
        title = self.bugs.pop() if kind == "bug" and self.bugs else self.titles.pop()
        rng = self.rng
        return self.clock.run(
            when,
            services.work_item_create,
            project=self.project,
            actor=self.owner,
            title=title,
            type=kind,
            sprint=sprint,
            assignee=rng.choice(self.team),
            story_points=rng.choice(points),
            priority=rng.choice(["P0", "P1", "P1", "P2", "P2", "P2", "P3"]),
            labels=rng.sample(
                ["前端", "后端", "iOS", "Android", "数据", "体验"]
                if self.zh
                else ["web", "api", "ios", "android", "data"],
                1,
            ),
        )

    def move(self, item: WorkItem, column, day) -> WorkItem:
        # Moves of one card keep their order even when two fall on the same day: the
        # history replayed by the burndown must end where the board is.
        when = self.clock.moment(day, self.rng.randint(9, 17), self.rng.randint(0, 59))
        last = self.last_move.get(item.pk)
        if last is not None and when <= last:
            when = min(last + timedelta(minutes=self.rng.randint(20, 90)), clock.now())
        self.last_move[item.pk] = when
        return self.clock.run(
            when,
            services.work_item_move,
            item=item,
            column=column,
            actor=item.assignee or self.owner,
        )

    def plan(self) -> None:
        """Sprints 1–3 closed back to back, the fourth (today's) planned with the work
        carried over from the third and new stories, a fifth planned after it."""
        project, clock, owner, rng = self.project, self.clock, self.owner, self.rng
        active_start = self.today - timedelta(days=6)
        starts = [active_start - timedelta(days=14 * n) for n in (3, 2, 1, 0)]
        sprints: list[Sprint] = []
        for index, start in enumerate([*starts, active_start + timedelta(days=14)], start=1):
            name = f"迭代 {index}" if self.zh else f"Sprint {index}"
            sprints.append(
                clock.run(
                    clock.moment(starts[0] - timedelta(days=3), 10),
                    services.sprint_create,
                    project=project,
                    actor=owner,
                    name=name,
                    start=start,
                    end=start + timedelta(days=13),  # Monday to Sunday of next week, inclusive
                    goal=_goal(project.key, index, self.zh),
                )
            )
        carried: list[WorkItem] = []
        for index, sprint in enumerate(sprints[:3]):
            planning = clock.moment(sprint.start - timedelta(days=1), 15)
            items = [*carried, *(self.new_item(planning, sprint) for _ in range(4))]
            sprint = clock.run(
                clock.moment(sprint.start, 10), services.sprint_start, sprint=sprint, actor=owner
            )
            span = (sprint.end - sprint.start).days
            # Scope added mid-sprint: a bug and sometimes a story (the burndown shows it).
            mid = sprint.start + timedelta(days=span // 2)
            late = [self.new_item(clock.moment(mid, 11), sprint, kind="bug")]
            if index == 1:
                late.append(self.new_item(clock.moment(mid, 14), sprint))
            for item in items + late:
                item.refresh_from_db()
                day = max(
                    sprint.start + timedelta(days=rng.randint(0, span // 2)),
                    mid if item in late else sprint.start,
                )
                steps = (
                    [*self.doing, self.done]
                    if rng.random() < 0.85
                    else self.doing[: rng.randint(1, len(self.doing))]
                )
                for column in steps:
                    if day > sprint.end:
                        break
                    item = self.move(item, column, day)
                    day += timedelta(days=rng.choice([0, 1, 1, 2]))
            closed = clock.run(
                clock.moment(sprint.end, 18),
                services.sprint_close,
                sprint=sprint,
                actor=owner,
                carry_to=sprints[index + 1],
            )
            carried = list(WorkItem.objects.filter(sprint=sprints[index + 1]))
            _retro(project, closed, owner, self.team, self.zh, clock)
        # Today's sprint, planned the day before it started: what was carried over plus
        # new stories, to about the team's velocity (other demos plan stories into it too).
        planning = clock.moment(sprints[3].start - timedelta(days=1), 15)
        for _ in range(2):
            self.new_item(planning, sprints[3])

    def run(self, sprint: Sprint) -> None:
        project, clock, owner, rng = self.project, self.clock, self.owner, self.rng
        sprint = clock.run(
            clock.moment(sprint.start, 10), services.sprint_start, sprint=sprint, actor=owner
        )
        today = self.today
        length = (sprint.end - sprint.start).days + 1
        # Each card gets the day it should be done, spread over the sprint; the ones due by
        # today are done (a day late now and then), the next ones in progress, the rest untouched.
        items = list(WorkItem.objects.filter(sprint=sprint).order_by("rank", "pk"))
        rng.shuffle(items)
        mid = sprint.start + timedelta(days=min(3, (today - sprint.start).days))
        for position, item in enumerate(items):
            due = sprint.start + timedelta(days=round((position + 1) * (length - 1) / len(items)))
            due += timedelta(days=rng.choice([0, 0, 0, 1]))
            begun = max(sprint.start, due - timedelta(days=rng.randint(2, 4)))
            if begun > today:
                continue
            steps = [*self.doing, self.done] if due <= today else self.doing[:1]
            day = begun
            for step, column in enumerate(steps):
                last = step == len(steps) - 1
                day = due if (last and column == self.done) else min(day, due)
                if day > today:
                    break
                item = self.move(item, column, day)
                day += timedelta(days=1)
        # Scope added after the start: a bug found in testing and a story the business asked
        # for; the burndown shows them as added scope, the ideal line stays on the commitment.
        late = [
            self.new_item(clock.moment(mid, 11), sprint, kind="bug", points=[1, 2, 3]),
            self.new_item(clock.moment(mid, 14), sprint, points=[2, 3]),
        ]
        for column in self.doing[:1]:
            self.move(late[0], column, mid + timedelta(days=1))
        # Two cards blocked since yesterday.
        running = [
            i
            for i in WorkItem.objects.filter(sprint=sprint).select_related("column").order_by("pk")
            if i.column.category == ColumnCategory.IN_PROGRESS
        ]
        for item, reason in zip(running[:2], _blocked_reasons(self.zh), strict=False):
            clock.run(
                clock.moment(today - timedelta(days=1), 16),
                services.work_item_update,
                item=item,
                actor=item.assignee or owner,
                blocked=True,
                blocked_reason=reason,
            )
        # The backlog, and a few items planned into the next sprint.
        following = project.sprints.filter(state=SprintState.PLANNED).order_by("start").first()
        for n in range(8):
            item = self.new_item(
                clock.moment(today - timedelta(days=rng.randint(1, 40)), 10),
                None,
                kind="bug" if n == 0 else "story",
            )
            if n < 3 and following is not None:
                clock.run(
                    clock.moment(today - timedelta(days=1), 11),
                    services.work_item_update,
                    item=item,
                    actor=owner,
                    sprint=following,
                )
        services.standup_note_save(
            project=project,
            actor=owner,
            day=today,
            text="李雷和韩梅梅结对排查支付回调；14:00 与运营对齐大促页面文案。"
            if self.zh
            else "Lilei pairs on the webhook retries; sync with finance on settlement at 14:00.",
        )


def _goal(key: str, index: int, zh: bool) -> str:
    goals_zh = [
        "完成会员体系首版",
        "推荐位 A/B 实验上线",
        "大促会场性能达标",
        "支付与售后闭环",
        "体验打磨与缺陷清零",
    ]
    goals_en = [
        "First payment method live in sandbox",
        "3-D Secure and refunds",
        "Reconciliation and payouts",
        "Compliance review ready",
        "Hardening",
    ]
    return (goals_zh if zh else goals_en)[(index - 1) % 5]


def _blocked_reasons(zh: bool) -> list[str]:
    if zh:
        return ["等待第三方 SDK 新版本", "测试环境数据库权限未开通"]
    return ["Waiting for the acquirer's sandbox credentials", "Legal review of the consent text"]


def _retro(project, sprint, owner, team, zh, clock) -> None:
    when = clock.moment(sprint.end + timedelta(days=1), 10)
    entries = (
        [
            ("went_well", "需求评审提前一天完成"),
            ("to_improve", "测试环境不稳定，影响联调"),
            ("action", "测试环境每日巡检并在群里播报"),
        ]
        if zh
        else [
            ("went_well", "Pairing on the tricky parts paid off"),
            ("to_improve", "Sandbox outages cost two days"),
            ("action", "Add a sandbox health check to CI"),
        ]
    )
    for kind, text in entries:
        clock.run(
            when,
            services.retro_item_add,
            sprint=sprint,
            actor=owner,
            kind=kind,
            text=text,
            owner=team[0] if kind == "action" else None,
            due_date=sprint.end + timedelta(days=8) if kind == "action" else None,
        )
    first_action = RetroItem.objects.filter(retrospective__sprint=sprint, kind="action").first()
    if first_action and sprint.name.endswith("1"):
        clock.run(when, services.retro_action_to_work_item, action=first_action, actor=owner)
