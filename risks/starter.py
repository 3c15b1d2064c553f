"""Compliance and e-commerce starter risks a project can be seeded with (one click).

Each entry is written in both languages; the risks are created in the language of
the person who applies the template, and are ordinary, editable risks afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Category, Regime


@dataclass(frozen=True)
class StarterRisk:
    code: str
    category: str
    regime: str
    probability: int
    impact: int
    zh: tuple[str, str, str, str]  # title, trigger, mitigation, contingency
    en: tuple[str, str, str, str]


STARTER_RISKS = [
    StarterRisk(
        "payment-gateway-outage",
        Category.THIRD_PARTY,
        "",
        3,
        5,
        (
            "支付网关宕机导致无法下单支付",
            "支付成功率 5 分钟内低于 95%，或网关返回 5xx 比例上升",
            "接入双通道支付（主备网关），下单链路做超时熔断，支付结果异步对账",
            "切换备用支付通道；前台提示稍后支付并保留订单 30 分钟；客服话术就绪",
        ),
        (
            "Payment gateway outage blocks checkout",
            "Payment success rate below 95 % for 5 minutes, or rising 5xx from the gateway",
            "Two payment channels (primary and standby), timeouts and circuit breakers on "
            "checkout, asynchronous reconciliation of payment results",
            "Switch to the standby channel; tell shoppers to pay later and hold orders for "
            "30 minutes; customer service scripts ready",
        ),
    ),
    StarterRisk(
        "flash-sale-oversell",
        Category.TECHNICAL,
        "",
        4,
        4,
        (
            "秒杀高并发下库存超卖",
            "压测中库存扣减出现负数，或大促期间订单数超过可售库存",
            "Redis 预扣库存 + 数据库条件更新（stock >= n），下单限流与排队，全链路压测",
            "暂停活动商品售卖；按下单时间先后取消超卖订单并补偿优惠券",
        ),
        (
            "Inventory oversold under flash-sale load",
            "Negative stock in a load test, or more orders than sellable stock during a sale",
            "Pre-deduct stock in Redis plus a conditional update (stock >= n) in the database, "
            "rate limiting and queueing on checkout, end-to-end load tests",
            "Pause the sale item; cancel oversold orders latest first and compensate with coupons",
        ),
    ),
    StarterRisk(
        "pipl-export-without-consent",
        Category.COMPLIANCE,
        Regime.PIPL,
        2,
        5,
        (
            "未经单独同意向境外提供个人信息（个人信息保护法）",
            "新增跨境数据流（如境外物流、海外支付），或数据出境未完成安全评估/标准合同备案",
            "数据出境清单与单独同意弹窗；标准合同备案；最小化字段并脱敏",
            "停止相关数据传输；通知法务与监管沟通；评估是否需要告知个人",
        ),
        (
            "Personal data sent abroad without separate consent (PIPL)",
            "A new cross-border data flow (overseas logistics, foreign payments) without a "
            "security assessment or filed standard contract",
            "Inventory of outbound data flows, separate-consent prompt, standard contract "
            "filing, minimised and masked fields",
            "Stop the transfer; involve legal and the regulator; assess whether individuals "
            "must be told",
        ),
    ),
    StarterRisk(
        "pci-card-data-scope",
        Category.SECURITY,
        Regime.PCI_DSS,
        2,
        5,
        (
            "卡数据进入自有系统扩大 PCI DSS 范围",
            "日志、埋点或客服工单中出现完整卡号（PAN）",
            "使用收单方托管支付页/令牌化，日志 PAN 脱敏扫描，季度 ASV 扫描",
            "清除含卡号的数据与备份；启动事件响应并通知收单行",
        ),
        (
            "Card data enters our systems and widens PCI DSS scope",
            "Full card numbers (PAN) found in logs, analytics events or support tickets",
            "Hosted payment page or tokenisation by the acquirer, PAN scanning of logs, "
            "quarterly ASV scans",
            "Purge data and backups holding card numbers; start incident response and tell "
            "the acquiring bank",
        ),
    ),
    StarterRisk(
        "gdpr-erasure-requests",
        Category.COMPLIANCE,
        Regime.GDPR,
        3,
        3,
        (
            "无法在一个月内完成 GDPR 删除请求",
            "欧盟用户提出删除请求，而数据分散在订单、营销与第三方系统中",
            "建立用户数据地图与一键删除/匿名化流程，跟踪请求时限",
            "人工逐系统删除并书面答复；必要时申请延期并说明理由",
        ),
        (
            "GDPR erasure requests not completed within one month",
            "An EU customer asks for erasure while their data is spread over orders, "
            "marketing and third-party systems",
            "A map of personal data per system and a one-step erase or anonymise flow; "
            "track every request's deadline",
            "Erase system by system by hand and answer in writing; extend with reasons if needed",
        ),
    ),
    StarterRisk(
        "logistics-api-failure",
        Category.THIRD_PARTY,
        "",
        3,
        3,
        (
            "第三方物流接口故障导致无法发货与查询物流",
            "物流下单接口失败率升高，或轨迹回传延迟超过 2 小时",
            "对接两家物流服务商，接口重试与死信队列，面单号预取",
            "切换备用物流商；批量补推订单；站内信告知用户配送延迟",
        ),
        (
            "Third-party logistics API failure stops shipping and tracking",
            "Rising failure rate on shipment creation, or tracking updates late by 2 hours",
            "Two logistics providers, retries with a dead-letter queue, pre-fetched waybill numbers",
            "Switch provider; replay orders in bulk; tell customers about the delay in the app",
        ),
    ),
    StarterRisk(
        "csl-security-incident",
        Category.SECURITY,
        Regime.CSL,
        2,
        4,
        (
            "发生网络安全事件未按网络安全法及时报告",
            "出现数据泄露、勒索软件或大规模撞库",
            "等保测评与漏洞扫描；安全事件分级与上报流程演练",
            "启动应急预案，隔离受影响系统，按要求向主管部门报告",
        ),
        (
            "Security incident not reported in time under the Cybersecurity Law",
            "A data leak, ransomware or large-scale credential stuffing",
            "Graded protection assessment and vulnerability scans; drills of incident "
            "grading and reporting",
            "Run the incident plan, isolate affected systems, report to the authorities as required",
        ),
    ),
    StarterRisk(
        "peak-capacity",
        Category.OPERATIONAL,
        "",
        3,
        4,
        (
            "大促峰值流量超出系统容量",
            "压测 QPS 未达到预估峰值的 1.5 倍，或核心接口 P99 延迟超过 1 秒",
            "全链路压测，弹性扩容预案，非核心功能降级开关",
            "启用降级与排队页面；临时扩容；延长活动时间分流",
        ),
        (
            "Peak sale traffic exceeds system capacity",
            "Load tests below 1.5× the forecast peak QPS, or P99 latency of core APIs over 1 s",
            "End-to-end load tests, an elastic scaling plan, switches to degrade non-core features",
            "Turn on degradation and a waiting room; scale out; extend the sale to spread traffic",
        ),
    ),
]
