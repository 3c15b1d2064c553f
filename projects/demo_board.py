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
from portal.models import User

from . import services
from .models import ColumnCategory, Project, RetroItem, Sprint, WorkItem

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
    made = 0
    for key, project in projects.items():
        if project.sprints.exists():
            continue
        _seed_project(project, users, random.Random(f"board-{key}"))
        made += 1
    return made


def _seed_project(project: Project, users: dict[str, User], rng: random.Random) -> None:
    clock = Clock(project)
    owner = project.owner
    team = [
        m.user
        for m in project.memberships.select_related("user")
        .exclude(role="viewer")
        .order_by("user__username")
    ]
    columns = list(project.columns.order_by("order"))
    doing = [c for c in columns if c.category == ColumnCategory.IN_PROGRESS]
    done = next(c for c in columns if c.category == ColumnCategory.DONE)
    titles = list(TITLES[project.key])
    rng.shuffle(titles)
    bugs = list(BUGS[project.key])
    today = project.today()
    zh = owner.language.startswith("zh")
    # Sprints: three closed back to back, the fourth running for 6 days, a fifth planned.
    active_start = today - timedelta(days=6)
    starts = [active_start - timedelta(days=14 * n) for n in (3, 2, 1, 0)]
    sprints: list[Sprint] = []
    for index, start in enumerate([*starts, active_start + timedelta(days=14)], start=1):
        name = f"迭代 {index}" if zh else f"Sprint {index}"
        sprints.append(
            clock.run(
                clock.moment(starts[0] - timedelta(days=3), 10),
                services.sprint_create,
                project=project,
                actor=owner,
                name=name,
                start=start,
                end=start + timedelta(days=13),  # Monday to Sunday of next week, inclusive
                goal=_goal(project.key, index, zh),
            )
        )

    def new_item(when, sprint=None, kind="story"):
        if not titles:
            # Second round of the same themes: follow-ups, as real backlogs have.
            suffix = "（二期）" if zh else " (follow-up)"
            titles.extend(f"{t}{suffix}" for t in TITLES[project.key])
        title = bugs.pop() if kind == "bug" and bugs else titles.pop()
        return clock.run(
            when,
            services.work_item_create,
            project=project,
            actor=owner,
            title=title,
            type=kind,
            sprint=sprint,
            assignee=rng.choice(team),
            story_points=rng.choice(POINTS),
            priority=rng.choice(["P0", "P1", "P1", "P2", "P2", "P2", "P3"]),
            labels=rng.sample(
                ["前端", "后端", "iOS", "Android", "数据", "体验"]
                if zh
                else ["web", "api", "ios", "android", "data"],
                1,
            ),
        )

    carried: list[WorkItem] = []
    for index, sprint in enumerate(sprints[:4]):
        planning = clock.moment(sprint.start - timedelta(days=1), 15)
        items = list(carried)
        for _ in range(4 if index < 3 else 5):
            items.append(new_item(planning, sprint))
        for item in carried:
            clock.run(planning, services.work_item_update, item=item, actor=owner, sprint=sprint)
        sprint = clock.run(
            clock.moment(sprint.start, 10), services.sprint_start, sprint=sprint, actor=owner
        )
        last_day = min(sprint.end, today) if index == 3 else sprint.end
        span = (last_day - sprint.start).days
        # Scope added mid-sprint: a bug and sometimes a story (the burndown shows it).
        mid = sprint.start + timedelta(days=max(1, span // 2))
        late = [new_item(clock.moment(mid, 11), sprint, kind="bug")]
        if index in (1, 3):
            late.append(new_item(clock.moment(mid, 14), sprint))
        for item in items + late:
            item.refresh_from_db()
            begun = rng.randint(0, max(span // 2, 1))
            finish_ratio = 0.85 if index < 3 else 0.5
            steps = (
                [*doing, done]
                if rng.random() < finish_ratio
                else doing[: rng.randint(1, len(doing))]
            )
            if index == 3 and rng.random() < 0.3:
                steps = []  # the running sprint still has untouched cards
            day = sprint.start + timedelta(days=begun)
            if item in late:
                day = max(day, mid)
            for column in steps:
                if day > last_day:
                    break
                item = clock.run(
                    clock.moment(day, rng.randint(9, 18), rng.randint(0, 59)),
                    services.work_item_move,
                    item=item,
                    column=column,
                    actor=item.assignee or owner,
                )
                day += timedelta(days=rng.choice([0, 1, 1, 2]))
        if index < 3:
            next_sprint = sprints[index + 1]
            closed = clock.run(
                clock.moment(sprint.end, 18),
                services.sprint_close,
                sprint=sprint,
                actor=owner,
                carry_to=next_sprint,
            )
            carried = list(WorkItem.objects.filter(sprint=next_sprint))
            _retro(project, closed, owner, team, zh, clock)
        else:
            # The running sprint: two items blocked, one waiting long in review.
            running = [
                i
                for i in WorkItem.objects.filter(sprint=sprint).select_related("column")
                if i.column.category == ColumnCategory.IN_PROGRESS
            ]
            for item, reason in zip(running[:2], _blocked_reasons(zh), strict=False):
                clock.run(
                    clock.moment(today - timedelta(days=1), 16),
                    services.work_item_update,
                    item=item,
                    actor=item.assignee or owner,
                    blocked=True,
                    blocked_reason=reason,
                )
    # The backlog, and a few items planned into the next sprint.
    for n in range(8):
        item = new_item(
            clock.moment(today - timedelta(days=rng.randint(1, 40)), 10),
            None,
            kind="bug" if n == 0 else "story",
        )
        if n < 3:
            clock.run(
                clock.moment(today - timedelta(days=1), 11),
                services.work_item_update,
                item=item,
                actor=owner,
                sprint=sprints[4],
            )
    services.standup_note_save(
        project=project,
        actor=owner,
        day=today,
        text="李雷和韩梅梅结对排查支付回调；14:00 与运营对齐大促页面文案。"
        if zh
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
