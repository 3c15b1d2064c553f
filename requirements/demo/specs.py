"""The demo backlogs as data: one `Spec` per requirement, and the words around them."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Status


@dataclass(frozen=True)
class Spec:
    """One demo requirement and the history that brings it to its `status`.

    `ago`: days since it was raised. `triage`: "moscow priority kano phase" (phase "-" for
    none). `rice`: "reach impact confidence effort"; `wsjf`: "value criticality risk size".
    `target`: days from today. `kpis`: (code, expected change, note). `survey`: answers
    per Kano class, e.g. "A4 O3 M1 I1". `comments`: (username, text). `promote`: ("active"
    or "next" sprint, story titles, points per story). `by`: who entered it (the PM when
    blank). `reason`: why it was rejected.
    """

    title: str
    status: str
    ago: float
    triage: str = ""
    dept: str = ""
    requester: str = ""
    tags: str = ""
    desc: str = ""
    rice: str = ""
    wsjf: str = ""
    target: int | None = None
    kpis: tuple[tuple[str, str, str], ...] = ()
    survey: str = ""
    comments: tuple[tuple[str, str], ...] = ()
    promote: tuple[str, tuple[str, ...], int] | None = None
    by: str = ""
    reason: str = ""


S = Spec

# fmt: off
MALL = [
    # Phase 1, delivered in the first sprints.
    S("新人专享价", "done", 100, "should P1 performance 1", dept="marketing", tags="拉新,价格",
      desc="作为新用户，我希望首单享受专属低价，以便放心尝试平台。", rice="20000 1 80 3",
      wsjf="8 8 3 3", target=-30, kpis=(("conversion_rate", "+0.3", "新客首单转化"),)),
    S("商品详情页视频讲解", "done", 95, "should P2 attractive 1", dept="product", tags="商详,视频",
      desc="商详页首屏支持 30 秒讲解视频，奶粉、推车等高决策成本商品优先。", rice="60000 1 70 4",
      wsjf="5 3 1 5", target=-20),
    S("奶粉批次溯源查询", "done", 92, "must P1 must_be 1", dept="customer_service", tags="奶粉,食品安全",
      desc="扫描罐底批次码，展示生产日期、检验报告与入境检疫证明。", rice="15000 2 90 3",
      wsjf="8 13 13 3", target=-25),
    S("购物车凑单提示", "done", 88, "should P2 performance 1", dept="operations", tags="购物车,客单价",
      by="zhaoqiang", desc="差额不足 30 元时在购物车推荐凑单商品。", rice="40000 1 80 2",
      wsjf="5 3 1 2", target=-15, kpis=(("aov", "+5", "凑单带来的客单价提升"),)),
    S("会员成长值体系", "done", 90, "should P1 performance 1", dept="operations", tags="会员",
      requester="会员运营 孙丽", desc="下单、评价、签到累计成长值，对应 V1–V5 等级权益。",
      rice="50000 2 70 6", wsjf="13 5 2 8", target=-10,
      kpis=(("repurchase_rate", "+1.5", "等级权益拉动复购"),)),
    S("搜索联想词与纠错", "done", 70, "could P2 performance 1", dept="tech", tags="搜索", by="lilei",
      desc="输入拼音或错别字时给出联想词，例如「nai fen」→「奶粉」。", rice="80000 0.5 80 2",
      wsjf="3 2 1 2", target=-5, kpis=(("ctr", "+0.3", "搜索结果点击率"),)),
    S("消息中心改版", "done", 65, "could P3 indifferent 1", dept="product", tags="消息",
      desc="按物流、活动、客服分栏，支持一键已读。", rice="30000 0.25 50 2", wsjf="2 1 1 3",
      target=-3),
    # Phase 1, under way in the running sprint.
    S("个性化推荐（首页猜你喜欢）", "in_progress", 85, "must P0 attractive 1", dept="product",
      tags="推荐,首页,算法", rice="120000 3 80 8", wsjf="20 13 5 8", target=30,
      desc="根据宝宝月龄、浏览与购买记录，在首页「猜你喜欢」楼层推荐商品；冷启动用热销榜兜底。",
      kpis=(("conversion_rate", "+2", "推荐位带来的整体转化提升"), ("ctr", "+0.5", "首页楼层点击率")),
      survey="A4 O3 M1 I1",
      comments=(("lilei", "冷启动用户先用热销榜兜底；模型 v1 只覆盖首页两个楼层，详情页下期再做。"),
                ("wangfang", "同意。A/B 实验按 50/50 分流，观察两周转化率再全量。")),
      promote=("active", ("推荐服务接入（召回 + 排序）", "首页「猜你喜欢」楼层", "推荐曝光与点击埋点"), 3)),
    S("会员积分（积分抵现与兑换）", "in_progress", 75, "must P1 performance 1", dept="operations",
      tags="会员,积分", requester="会员运营 孙丽", rice="60000 2 80 5", wsjf="13 8 3 5", target=25,
      desc="100 积分抵 1 元，单笔最多抵扣 20%；积分商城可兑换试用装。",
      kpis=(("repurchase_rate", "+2", "积分抵现拉动复购"),), survey="O3 A2 I2"),
    S("售后退款自动审核", "in_progress", 60, "must P1 must_be 1", dept="customer_service",
      tags="售后,退款,自动化", by="hanmeimei", rice="25000 2 90 5", wsjf="8 8 8 5", target=14,
      desc="未发货、金额较小且信用良好的退款申请自动通过，其余转人工。",
      kpis=(("repurchase_rate", "+0.5", "退款体验改善带来的复购"),), survey="M4 O2 I1",
      comments=(("hanmeimei", "自动审核规则：未发货、金额 ≤ 200 元、用户信用分 ≥ 600；测试用例已整理。"),),
      promote=("active", ("退款自动审核规则引擎", "客服工作台人工复核入口"), 2)),
    S("限时秒杀（常态化秒杀频道）", "in_progress", 4, "must P0 attractive 1", dept="operations",
      tags="秒杀,营销", by="zhaoqiang", rice="90000 2 70 4", wsjf="13 20 3 5", target=10,
      desc="每天 10 点、20 点两场品牌秒杀，独立频道页与倒计时。",
      kpis=(("gmv", "+60000", "秒杀频道日均 GMV"),),
      comments=(("zhaoqiang", "品牌方秒杀排期已对齐，需在下周五前上线；已排入本迭代，与研发确认可行。"),),
      promote=("active", ("秒杀频道页与倒计时",), 3)),
    S("优惠券叠加", "in_progress", 55, "should P1 performance 1", dept="marketing",
      tags="优惠券,营销", rice="70000 1 60 5", wsjf="8 5 2 5", target=20,
      desc="店铺券与平台券可叠加，结算页自动选出最优组合。",
      kpis=(("aov", "+8", "叠加后客单价"),), survey="O4 A1 M1"),
    S("地址智能识别", "in_progress", 40, "could P2 performance 1", dept="customer_service",
      tags="下单,体验", rice="100000 0.5 90 1.5", wsjf="3 2 2 1", target=12,
      desc="粘贴一段文字自动拆出收件人、电话与省市区地址。",
      kpis=(("conversion_rate", "+0.2", "下单页流失减少"),), survey="O2 M2 A1"),
    # Planned.
    S("拼团（2–3 人成团）", "planned", 50, "must P1 attractive 2", dept="marketing",
      tags="拼团,社交,拉新", rice="80000 2 60 6", wsjf="13 8 2 8", target=60,
      desc="发起拼团并分享给好友，24 小时内成团享团购价，未成团自动退款。",
      kpis=(("dau", "+3000", "拼团分享带来的新增活跃"),)),
    S("发票电子化", "planned", 45, "must P2 must_be 1", dept="finance", tags="发票,财务",
      requester="财务部 钱进", rice="8000 1 100 3", wsjf="5 8 8 3", target=40,
      desc="订单完成后自动开具电子普通发票，可在订单详情下载 PDF。", survey="M3 I2",
      comments=(("wangfang", "财务确认先支持增值税电子普通发票，专票放到二期。"),)),
    S("PIPL 隐私弹窗与个人信息收集清单", "planned", 30, "must P1 must_be 1", dept="legal",
      tags="合规,PIPL,隐私", rice="130000 1 100 2", wsjf="5 13 20 2", target=14,
      desc="首次启动弹出隐私政策并单独同意；「设置」中提供个人信息收集清单与第三方共享清单。",
      promote=("next", ("首次启动隐私政策弹窗", "个人信息收集清单页"), 3)),
    S("宝宝月龄档案", "planned", 38, "should P2 attractive 2", dept="product", tags="会员,个性化",
      desc="记录宝宝生日与体重，按月龄推送奶粉段数与尿不湿尺码提醒。", rice="40000 1 70 4",
      wsjf="5 3 1 5", target=70),
    S("收藏夹降价提醒", "planned", 35, "could P2 attractive 2", dept="operations", tags="消息,复购",
      desc="收藏商品降价或有券时推送提醒。", rice="50000 1 70 2", wsjf="5 2 1 2", target=65,
      kpis=(("repurchase_rate", "+0.3", ""),)),
    S("订单物流轨迹地图", "planned", 33, "should P2 performance 2", dept="customer_service",
      tags="物流,体验", desc="在地图上展示包裹实时位置与预计送达时间。", rice="90000 0.5 80 3",
      wsjf="3 2 3 3", target=75),
    S("智能客服机器人接入", "planned", 28, "must P1 must_be 2", dept="customer_service",
      tags="客服,AI", desc="常见问题（物流、退款、发票）由机器人先答，复杂问题转人工。",
      rice="60000 1 70 5", wsjf="8 5 8 5", target=80),
    # Triaged, waiting for a slot.
    S("社交分享（商品海报 + 小程序卡片）", "triaged", 42, "could P2 indifferent 2", dept="marketing",
      tags="社交,分享", desc="一键生成带二维码的商品海报，或分享为微信小程序卡片。",
      rice="50000 0.5 50 3", wsjf="3 2 1 3", target=90, survey="I3 A2 R1"),
    S("直播带货", "triaged", 58, "must P1 attractive 2", dept="operations", tags="直播,内容,GMV",
      desc="品牌方与育儿达人在 App 内直播，讲解卡片一键加购。", rice="150000 2 50 13",
      wsjf="20 8 3 13", target=100, kpis=(("gmv", "+120000", "直播间日均 GMV 目标"),),
      survey="A3 I2 O1",
      comments=(("zhaoqiang", "第三方直播 SDK 合规审核预计 4 周，建议二期启动前先定 SDK 选型。"),)),
    S("会员日专属权益", "triaged", 26, "must P1 performance 2", dept="operations", tags="会员,营销",
      desc="每月 18 日会员日：V3 以上会员专享折扣与免邮。", rice="60000 1 80 4", wsjf="8 5 1 3",
      target=85),
    S("育儿知识社区", "triaged", 47, "could P3 attractive 3", dept="product", tags="内容,社区",
      desc="按月龄组织的育儿问答与经验帖，优质内容关联商品。", rice="30000 1 40 10",
      wsjf="5 1 1 13"),
    S("AR 试穿（婴儿服饰）", "triaged", 44, "could P3 questionable 3", dept="marketing",
      tags="AR,实验", desc="上传宝宝照片预览童装上身效果。", rice="10000 0.5 30 8",
      wsjf="2 1 1 13", survey="Q2 A1 I1"),
    S("首页开屏全屏广告", "triaged", 36, "wont P3 reverse 2", dept="marketing", tags="广告",
      requester="品牌合作部 吴峰", desc="品牌方购买 5 秒开屏全屏广告位。", rice="130000 0.25 50 1",
      wsjf="3 1 1 1", survey="R3 I1 Q1",
      comments=(("wangfang", "访谈中多数用户明确反感开屏广告，本期不做；改为首页 Banner 位给品牌方曝光。"),)),
    S("小程序端同步改版", "triaged", 52, "wont P3 indifferent 3", dept="tech", tags="小程序",
      desc="微信小程序与 App 2.0 同步改版。", rice="20000 0.5 50 12", wsjf="3 1 1 13"),
    S("免密支付（支付宝 / 微信）", "triaged", 21, "must P1 must_be 2", dept="finance",
      tags="支付,体验", desc="开通免密支付后，200 元以下订单无需输入密码。", rice="110000 1 80 5",
      wsjf="8 5 3 5", kpis=(("conversion_rate", "+0.5", "支付环节流失减少"),)),
    S("跨境直邮（保税仓发货）", "triaged", 48, "should P2 performance 3", dept="operations",
      tags="跨境,供应链", desc="进口奶粉从保税仓直邮，清关信息自动申报。", rice="20000 2 50 8",
      wsjf="8 3 2 13"),
    # Rejected, with the reason the requester was given.
    S("商品比价插件（展示竞品价格）", "rejected", 80, dept="marketing", tags="价格",
      desc="在商详页展示其他平台同款价格。",
      reason="抓取竞品价格存在不正当竞争与数据合规风险，法务不建议做；与平台定位也不符。"),
    S("App 内置养成类小游戏", "rejected", 68, "could P3 indifferent 3", dept="marketing",
      tags="互动", desc="种树、养宠类小游戏，完成任务领券。",
      reason="与二期的复购和转化目标无关，投入产出比低；节日互动用 H5 活动页承接即可。"),
    S("评价晒单自动好评", "rejected", 34, dept="operations", tags="评价",
      desc="用户 15 天未评价时自动给五星好评。",
      reason="违反《电子商务法》第十七条：不得编造用户评价进行虚假宣传。"),
    # New requests from the last two weeks: the triage queue.
    S("夜间模式（深色主题）", "new", 13, dept="product", tags="体验",
      desc="夜里喂奶时刷 App 太刺眼，希望支持深色主题。", rice="40000 0.25 60 3"),
    S("奶粉订阅制（定期购）", "new", 11, dept="operations", tags="复购,订阅",
      desc="按宝宝食量每月自动下单奶粉，订阅享 95 折。", rice="20000 2 50 6", wsjf="8 3 2 8"),
    S("退货上门取件预约", "new", 9, dept="customer_service", tags="售后,物流",
      desc="申请退货时直接预约快递上门取件时间段。"),
    S("商品问答（问大家）", "new", 8, dept="product", tags="商详,UGC",
      desc="已购用户回答潜在买家的问题。", rice="70000 0.5 60 4"),
    S("尿不湿尺码推荐（按月龄和体重）", "new", 6, dept="customer_service", tags="推荐,尺码",
      by="hanmeimei", desc="客服每天收到大量尺码咨询，希望商详页直接给出推荐尺码。"),
    S("晒单有礼活动后台", "new", 4, dept="operations", tags="营销,运营后台", by="zhaoqiang",
      desc="运营可配置晒单奖励规则并审核晒单。", wsjf="3 3 1 3"),
    S("家庭账号共享（多人下单）", "new", 2, dept="product", tags="账号",
      desc="爸爸妈妈和老人共用收货地址与购物车。"),
    S("企业采购订单导出 Excel", "new", 0.4, dept="finance", tags="导出,B2B",
      desc="月子中心等企业客户需要按月导出订单明细报销。"),
]

S11 = [
    S("预售定金膨胀（定金 50 抵 100）", "done", 86, "must P1 performance 1", dept="operations",
      tags="预售,大促", desc="付 50 元定金，尾款时抵扣 100 元。", rice="200000 2 80 5",
      wsjf="20 13 3 5", target=-25, kpis=(("gmv", "+300000", "大促期间预售 GMV"),)),
    S("跨店满减（每满 300 减 50）", "done", 84, "must P1 must_be 1", dept="marketing",
      tags="满减,大促", desc="跨店铺累计满额减，与店铺券可叠加。", rice="300000 2 90 6",
      wsjf="20 20 5 8", target=-25),
    S("红包雨互动", "done", 70, "could P2 attractive 1", dept="marketing", tags="互动,大促",
      desc="整点 10 秒红包雨，红包可在大促当天使用。", rice="150000 0.5 60 3", wsjf="5 8 1 3",
      target=-20, kpis=(("dau", "+20000", "大促当天活跃"),)),
    S("价格保护（保价 30 天）", "done", 75, "should P1 must_be 1", dept="customer_service",
      tags="售后,大促", desc="大促后 30 天内降价，差价自动退回。", rice="100000 1 80 3",
      wsjf="8 8 5 3", target=-22),
    S("大促实时数据大屏", "done", 66, "should P2 indifferent 1", dept="operations", tags="数据,大屏",
      desc="GMV、订单量、支付成功率按分钟刷新。", rice="200 1 100 2", wsjf="5 8 2 3", target=-19),
    S("库存预占超时自动释放", "planned", 16, "should P1 performance 2", dept="tech",
      tags="库存,复盘", by="lilei", desc="未支付订单预占库存 15 分钟后自动释放。",
      rice="50000 1 80 3", wsjf="8 5 8 3", target=45,
      comments=(("lilei", "双11 当晚约 3% 的库存被未支付订单占住超过 30 分钟，建议预占 15 分钟自动释放。"),)),
    S("AI 导购助手", "triaged", 15, "wont P3 attractive 2", dept="product", tags="AI,导购",
      desc="对话式导购，按预算与宝宝月龄推荐商品。", rice="80000 1 30 13", wsjf="5 2 1 20"),
    S("618 直播间秒杀联动", "new", 7, dept="operations", tags="直播,秒杀,618",
      desc="直播间讲解时同步开启秒杀，库存与秒杀频道共用。"),
]

PAY = [
    S("Alipay+ wallets for Southeast Asia (GCash, Touch 'n Go, TrueMoney)", "in_progress", 38,
      "must P1 performance 1", dept="product", tags="alipay-plus,wallets,SEA",
      desc="Shoppers in the Philippines, Malaysia and Thailand pay with their home e-wallet.",
      rice="18000 2 80 6", wsjf="13 8 3 8", target=45,
      kpis=(("conversion_rate", "+0.8", "Cross-border checkout conversion"),), survey="O3 A2 M1",
      comments=(("lilei", "Sandbox credentials arrived: GCash works end to end, TrueMoney is still pending."),),
      promote=("active", ("Alipay+ wallet redirect and return", "Alipay+ payment result webhook"), 3)),
    S("Card payments through Stripe (Visa, Mastercard, JCB)", "done", 37, "must P1 must_be 1",
      dept="tech", tags="stripe,cards", desc="Hosted fields keep card data out of our PCI DSS scope.",
      rice="25000 2 90 4", wsjf="13 13 5 5", target=-5),
    S("3-D Secure 2 frictionless flow", "planned", 30, "must P1 must_be 1", dept="finance",
      tags="3ds,fraud", desc="Challenge only risky payments; liability shifts to the issuer.",
      rice="25000 1 80 3", wsjf="8 8 13 3", target=30),
    S("Saved cards and one-click checkout", "planned", 27, "should P2 performance 1", dept="product",
      tags="cards,checkout", desc="Returning shoppers pay with a tokenised card in one tap.",
      rice="12000 1 70 4", wsjf="8 3 2 5", target=50, survey="O3 M1 I1",
      kpis=(("conversion_rate", "+0.4", "Returning shoppers"),)),
    S("Prices shown in the shopper's currency", "triaged", 24, "should P2 attractive 1",
      dept="marketing", tags="fx,display", desc="Show SGD, MYR or PHP next to the CNY price.",
      rice="30000 0.5 80 2", wsjf="5 3 1 2"),
    S("Automatic refund reconciliation", "triaged", 22, "should P2 indifferent 1", dept="finance",
      tags="refunds,reconciliation", desc="Match acquirer refund reports to our refunds daily.",
      rice="3000 1 90 3", wsjf="5 3 8 3"),
    S("PIPL consent and records for cross-border transfers", "in_progress", 33,
      "must P1 must_be 1", dept="legal", tags="PIPL,compliance",
      desc="Separate consent before personal data leaves the mainland; keep the transfer log.",
      rice="40000 1 100 3", wsjf="8 13 20 3", target=21,
      comments=(("emily", "Legal confirmed the standard-contract route; a CAC filing is only needed "
                          "above 100,000 individuals a year."),)),
    S("Buy now, pay later (Atome)", "triaged", 18, "could P3 attractive 2", dept="marketing",
      tags="bnpl", desc="Split a basket into three interest-free payments.", rice="5000 1 40 6",
      wsjf="5 2 1 8"),
    S("Pay with cryptocurrency", "rejected", 29, dept="marketing", tags="crypto",
      desc="Accept USDT at checkout.",
      reason="We are not licensed for it in any of our markets, and mainland rules forbid "
             "crypto payment services."),
    S("Apple Pay and Google Pay", "new", 12, dept="product", tags="wallets,mobile",
      desc="Native wallets on iOS and Android.", rice="20000 1 70 3"),
    S("Payout reports in the merchant's currency", "new", 6, dept="finance", tags="payouts,fx",
      desc="Sellers want settlement reports in SGD, not CNY."),
    S("Chargeback alerts in Slack", "new", 1.5, dept="customer_service", tags="disputes,slack",
      desc="Post every new dispute to #payments-ops with its reply deadline."),
]
# fmt: on

BACKLOGS = {"MALL": MALL, "S11": S11, "PAY": PAY}

REQUESTERS = {
    "zh": {
        "product": "产品部 王芳",
        "operations": "运营部 赵强",
        "marketing": "市场部 刘洋",
        "customer_service": "客服中心 张敏",
        "finance": "财务部 钱进",
        "legal": "法务部 周洁",
        "tech": "技术部 李雷",
    },
    "en": {
        "product": "Emily Chen (Product)",
        "operations": "Wang Fang (Operations)",
        "marketing": "Daniel Tan (Marketing)",
        "customer_service": "Priya Nair (Support)",
        "finance": "Grace Liu (Finance)",
        "legal": "Zhou Jie (Legal)",
        "tech": "Li Lei (Engineering)",
    },
}
# People interviewed for the Kano surveys, recorded by the PM under their names.
INTERVIEWEES = {
    "zh": [
        "用户访谈：宝妈 A（一胎，6 个月）",
        "用户访谈：宝爸 B（二胎）",
        "用户访谈：孕期用户 C",
        "用户访谈：宝妈 D（上海）",
        "门店导购 E",
        "用户访谈：宝妈 F（双胞胎）",
    ],
    "en": [
        "Customer interview: parent in Singapore",
        "Merchant interview: baby-goods seller, Manila",
        "Customer interview: parent in Kuala Lumpur",
        "Merchant interview: Bangkok distributor",
    ],
}
# One functional / dysfunctional answer pair per Kano class, varied so the answers read
# like real ones (DESIGN §4's evaluation table).
ANSWERS = {
    "A": [("like", "neutral"), ("like", "expect"), ("like", "tolerate")],
    "O": [("like", "dislike")],
    "M": [("expect", "dislike"), ("neutral", "dislike"), ("tolerate", "dislike")],
    "I": [("neutral", "neutral"), ("expect", "neutral"), ("neutral", "tolerate")],
    "R": [("dislike", "like"), ("neutral", "like"), ("dislike", "neutral")],
    "Q": [("like", "like"), ("dislike", "dislike")],
}
PATHS = {
    Status.NEW: [],
    Status.TRIAGED: [],
    Status.PLANNED: [Status.PLANNED],
    Status.IN_PROGRESS: [Status.PLANNED, Status.IN_PROGRESS],
    Status.DONE: [Status.PLANNED, Status.IN_PROGRESS, Status.DONE],
    Status.REJECTED: [],
}
STATUS_ORDER = [
    Status.IN_PROGRESS,
    Status.PLANNED,
    Status.TRIAGED,
    Status.NEW,
    Status.DONE,
    Status.REJECTED,
]
