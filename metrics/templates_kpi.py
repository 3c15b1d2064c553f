"""E-commerce KPI templates, one click away (names in both languages)."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class KPITemplate:
    code: str
    zh: str
    en: str
    unit: str
    direction: str
    target: Decimal | None
    description_zh: str
    description_en: str


KPI_TEMPLATES = [
    KPITemplate(
        "gmv",
        "GMV 成交总额",
        "GMV",
        "money",
        "higher",
        None,
        "每日成交总额（含未支付订单取消前）",
        "Gross merchandise value per day",
    ),
    KPITemplate(
        "conversion_rate",
        "转化率",
        "Conversion rate",
        "percent",
        "higher",
        Decimal("3.5"),
        "下单用户数 ÷ 访客数",
        "Buyers ÷ visitors",
    ),
    KPITemplate(
        "repurchase_rate",
        "复购率",
        "Repurchase rate",
        "percent",
        "higher",
        Decimal("30"),
        "30 天内再次购买的用户占比",
        "Share of buyers who buy again within 30 days",
    ),
    KPITemplate(
        "dau",
        "日活跃用户 DAU",
        "Daily active users",
        "count",
        "higher",
        None,
        "当日至少打开一次 App 的用户数",
        "Users who opened the app that day",
    ),
    KPITemplate(
        "return_rate",
        "退货率",
        "Return rate",
        "percent",
        "lower",
        Decimal("5"),
        "退货订单 ÷ 已签收订单",
        "Returned orders ÷ delivered orders",
    ),
    KPITemplate(
        "aov",
        "客单价",
        "Average order value",
        "money",
        "higher",
        None,
        "成交总额 ÷ 订单数",
        "GMV ÷ orders",
    ),
    KPITemplate(
        "ctr",
        "点击率 CTR",
        "Click-through rate",
        "percent",
        "higher",
        Decimal("4"),
        "点击次数 ÷ 曝光次数",
        "Clicks ÷ impressions",
    ),
]
