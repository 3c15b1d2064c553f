"""Demo projects, members and a believable lifecycle history. Idempotent."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from portal.models import Activity, Membership, PhaseChange, Project, User
from portal.roles import Role

from . import services

DEMO_PROJECTS = [
    {
        "key": "MALL",
        "name": "母婴电商 App 2.0",
        "description": (
            "母婴垂直电商 App 的 2.0 版本：个性化推荐、会员体系重构、社交分享与直播带货。\n"
            "Version 2.0 of the mother-and-baby shopping app: personalised recommendations, "
            "a rebuilt membership programme, social sharing and live-stream selling."
        ),
        "owner": "wangfang",
        "phases": ["discovery", "design", "development"],
        "health": "on_track",
        "start": -120,
        "target": 75,
        "budget": Decimal("3800000"),
        "currency": "CNY",
        "timezone": "Asia/Shanghai",
        "members": {
            "lilei": Role.MEMBER,
            "hanmeimei": Role.MEMBER,
            "zhaoqiang": Role.MEMBER,
            "chenzong": Role.VIEWER,
        },
    },
    {
        "key": "S11",
        "name": "双11 大促 2026",
        "description": (
            "双11 大促活动的全部工程工作：限时秒杀、满减叠加、库存预热、压测与灰度发布。\n"
            "All engineering work for the Singles' Day sale: flash sales, stacked discounts, "
            "inventory warm-up, load tests and the gray release."
        ),
        "owner": "wangfang",
        "phases": ["discovery", "design", "development", "testing", "gray_release", "launched"],
        "health": "at_risk",
        "start": -90,
        "target": -18,
        "budget": Decimal("1500000"),
        "currency": "CNY",
        "timezone": "Asia/Shanghai",
        "members": {
            "lilei": Role.MEMBER,
            "hanmeimei": Role.MEMBER,
            "zhaoqiang": Role.MEMBER,
            "chenzong": Role.VIEWER,
        },
    },
    {
        "key": "PAY",
        "name": "跨境支付接入 Cross-border payments",
        "description": (
            "Integrate Alipay+, Stripe and a local acquirer for cross-border orders; "
            "PCI DSS scope reduction and PIPL-compliant data export.\n"
            "接入 Alipay+、Stripe 与本地收单机构，缩小 PCI DSS 范围，满足个人信息保护法的出境要求。"
        ),
        "owner": "emily",
        "phases": ["discovery", "design"],
        "health": "at_risk",
        "start": -40,
        "target": 140,
        "budget": Decimal("250000"),
        "currency": "USD",
        "timezone": "Asia/Singapore",
        "members": {
            "lilei": Role.MEMBER,
            "wangfang": Role.MEMBER,
            "chenzong": Role.VIEWER,
            "zhoujie": Role.VIEWER,
        },
    },
]


def seed_projects(users: dict[str, User]) -> dict[str, Project]:
    projects: dict[str, Project] = {}
    today = timezone.localdate()
    for spec in DEMO_PROJECTS:
        existing = Project.objects.filter(key=spec["key"]).first()
        if existing:
            projects[spec["key"]] = existing
            continue
        owner = users[spec["owner"]]
        project = services.project_create(
            actor=owner,
            key=spec["key"],
            name=spec["name"],
            description=spec["description"],
            phase=spec["phases"][0],
            health="on_track",
            start_date=today + timedelta(days=spec["start"]),
            target_date=today + timedelta(days=spec["target"]),
            budget=spec["budget"],
            currency=spec["currency"],
            timezone_name=spec["timezone"],
            # PAY is the demo's English project (emily's); the others are written in Chinese.
            language=owner.language,
        )
        for username, role in spec["members"].items():
            services.member_add(project=project, user=users[username], role=role, actor=owner)
        for phase in spec["phases"][1:]:
            services.project_update(project=project, actor=owner, phase=phase)
        if spec["health"] != "on_track":
            services.project_update(project=project, actor=owner, health=spec["health"])
        _spread_history(project, start=today + timedelta(days=spec["start"]))
        projects[spec["key"]] = project
    return projects


def _spread_history(project: Project, *, start: date) -> None:
    """Backdate the seeded history so the lifecycle reads like months of work, not one second."""
    now = timezone.now()
    start_dt = timezone.make_aware(
        timezone.datetime.combine(start, timezone.datetime.min.time())
    ) + timedelta(hours=10)
    span = max((now - start_dt).total_seconds(), 3600)
    rows = list(Activity.objects.filter(project=project).order_by("id"))
    for i, row in enumerate(rows):
        row.at = start_dt + timedelta(seconds=span * i / max(len(rows), 1))
        row.save(update_fields=["at"])
    # Each phase entry happened when its activity row says it did.
    phase_rows = [r for r in rows if r.verb in ("project.created", "project.phase_changed")]
    changes = list(PhaseChange.objects.filter(project=project).order_by("id"))
    for change, row in zip(changes, phase_rows, strict=False):
        change.at = row.at
        change.save(update_fields=["at"])
    Membership.objects.filter(project=project).update(joined_at=start_dt)
