"""Demo risks: the starter templates plus project-specific ones, with months of history.

Idempotent: a project that already has risks is left alone.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from portal.models import Activity, Event, Project, User

from . import services
from .models import Category, Risk, RiskHistory, RiskReview, Status

EXTRA_RISKS = {
    "MALL": [
        ("个性化推荐模型效果不达预期", Category.TECHNICAL, 3, 3, "lilei"),
        ("直播带货第三方 SDK 合规审核延迟", Category.THIRD_PARTY, 3, 2, "zhaoqiang"),
        ("核心开发人员流失", Category.RESOURCE, 2, 4, "wangfang"),
        ("会员积分迁移数据不一致", Category.TECHNICAL, 3, 4, "hanmeimei"),
        ("App Store 审核被拒导致延期上线", Category.SCHEDULE, 3, 3, "wangfang"),
    ],
    "S11": [
        ("大促当天 CDN 带宽不足", Category.OPERATIONAL, 2, 4, "zhaoqiang"),
        ("满减叠加规则配置错误导致资损", Category.FINANCIAL, 3, 5, "wangfang"),
        ("短信验证码通道被限流", Category.THIRD_PARTY, 3, 3, "lilei"),
        ("风控规则误拦截正常用户", Category.OPERATIONAL, 2, 3, "hanmeimei"),
    ],
    "PAY": [
        ("Stripe account review delays go-live", Category.SCHEDULE, 3, 3, "emily"),
        ("FX rate swings eat the margin on cross-border orders", Category.FINANCIAL, 3, 2, "emily"),
        ("Acquirer sandbox behaves differently from production", Category.TECHNICAL, 4, 2, "lilei"),
    ],
}


def seed_risks(users: dict[str, User], projects: dict[str, Project]) -> int:
    created = 0
    for key, project in projects.items():
        if Risk.objects.filter(project=project).exists():
            continue
        owner = project.owner
        language = owner.language
        rng = random.Random(f"risks-{key}")
        risks = services.risk_templates_apply(project=project, actor=owner, language=language)
        for title, category, probability, impact, username in EXTRA_RISKS.get(key, []):
            risks.append(
                services.risk_create(
                    project=project,
                    actor=owner,
                    title=title,
                    category=category,
                    probability=probability,
                    impact=impact,
                    owner=users[username],
                    next_review_date=project.today() + timedelta(days=14),
                )
            )
        _play_history(project, risks, rng)
        created += len(risks)
    return created


def _play_history(project: Project, risks: list[Risk], rng: random.Random) -> None:
    """Give each risk a believable past: created weeks ago, re-scored, some mitigated,
    closed or occurred, most reviewed; a few reviews left overdue."""
    now = timezone.now()
    owner = project.owner
    for index, risk in enumerate(risks):
        born = now - timedelta(days=rng.randint(40, 88), hours=rng.randint(0, 9))
        RiskHistory.objects.filter(risk=risk).update(at=born)
        Activity.objects.filter(target_type="risks.risk", target_id=str(risk.pk)).update(at=born)
        Event.objects.filter(payload__risk_id=risk.pk).update(created_at=born)
        Risk.objects.filter(pk=risk.pk).update(created_at=born)
        moments = sorted(born + timedelta(days=rng.randint(3, 38)) for _ in range(3))
        steps = []
        if index % 3 == 0:
            steps.append({"status": Status.MITIGATING})
            steps.append({"probability": max(1, risk.probability - 1)})
        if index % 4 == 1:
            steps.append({"impact": min(5, risk.impact + 1)})
        if index % 5 == 2:
            steps.append({"status": Status.CLOSED})
        if index == 3:
            steps.append({"status": Status.OCCURRED})
        if index % 6 == 5:
            steps.append({"status": Status.ACCEPTED})
        for moment, change in zip(moments, steps, strict=False):
            before_ids = _max_ids()
            services.risk_update(risk=risk, actor=owner, **change)
            _backdate_since(before_ids, moment)
        risk.refresh_from_db()
        if risk.status in (Status.CLOSED, Status.OCCURRED):
            continue
        # Most risks were reviewed recently; every fourth one has slipped past its date.
        before_ids = _max_ids()
        review_at = now - timedelta(days=rng.randint(1, 12))
        if index % 4 == 0:
            services.risk_review(
                risk=risk,
                actor=owner,
                note="",
                next_review_date=project.today() + timedelta(days=1),
            )
            Risk.objects.filter(pk=risk.pk).update(
                next_review_date=project.today() - timedelta(days=rng.randint(1, 6))
            )
        else:
            services.risk_review(risk=risk, actor=owner, note="")
        _backdate_since(before_ids, review_at)


def _max_ids() -> tuple[int, int, int, int]:
    def top(model):
        return model.objects.order_by("-id").values_list("id", flat=True).first() or 0

    return top(RiskHistory), top(Activity), top(Event), top(RiskReview)


def _backdate_since(ids: tuple[int, int, int, int], moment) -> None:
    history, activity, event, review = ids
    RiskHistory.objects.filter(id__gt=history).update(at=moment)
    Activity.objects.filter(id__gt=activity).update(at=moment)
    Event.objects.filter(id__gt=event).update(created_at=moment)
    RiskReview.objects.filter(id__gt=review).update(at=moment)


# Which demo risks threaten which backlog requirements (by title fragment), so the register
# shows the work each risk is tied to. Their stories are linked too.
DEMO_LINKS = {
    "MALL": [
        ("秒杀高并发下库存超卖", ["限时秒杀"]),
        ("大促峰值流量超出系统容量", ["限时秒杀", "优惠券叠加"]),
        ("个性化推荐模型效果不达预期", ["个性化推荐"]),
        ("未经单独同意向境外提供个人信息", ["PIPL 隐私弹窗", "跨境直邮"]),
        ("直播带货第三方 SDK 合规审核延迟", ["直播带货"]),
        ("会员积分迁移数据不一致", ["会员积分"]),
        ("支付网关宕机导致无法下单支付", ["免密支付"]),
    ],
}


def link_demo_risks(projects: dict[str, Project]) -> int:
    """Tie demo risks to the requirements (and their stories) they threaten. Idempotent:
    a risk that already has links is left alone."""
    made = 0
    for key, pairs in DEMO_LINKS.items():
        project = projects.get(key)
        if project is None:
            continue
        for risk_title, fragments in pairs:
            risk = Risk.objects.filter(project=project, title__startswith=risk_title).first()
            if risk is None or risk.requirements.exists() or risk.work_items.exists():
                continue
            for fragment in fragments:
                requirement = project.requirements.filter(title__contains=fragment).first()
                if requirement is None:
                    continue
                targets = [requirement, *requirement.work_items.select_related("project")]
                for target in targets:
                    services.risk_link(risk=risk, actor=risk.owner, target=target)
                    made += 1
    return made
