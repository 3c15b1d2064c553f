"""The risk register pages as a signed-in person uses them.

Every URL in risks/urls.py through the roles; the register's filters and heat-map clicks
over htmx (only the results fragment comes back); inline edits that re-score a row;
the Excel and CSV exports of the filtered register; query counts that do not grow with
the number of risks.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.html import Element, parse_html
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import Activity, Event
from risks import services
from risks.models import Risk, RiskHistory, RiskReview, Status
from risks.starter import STARTER_RISKS
from risks.views import PAGE_SIZE
from tests.portal.factories import UserFactory
from tests.projects.factories import add_member
from tests.risks.factories import bulk_risks, make_risk

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
RESULTS = {**HTMX, "HTTP_HX_TARGET": "risk-results"}


# ---------------------------------------------------------------- helpers


def find_all(html: str, tag: str | None = None, **attrs: str) -> list[Element]:
    """Elements whose attributes match (`data_level="high"` → data-level="high")."""
    wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
    found: list[Element] = []

    def walk(node) -> None:
        if isinstance(node, str):
            return
        node_attrs = dict(node.attributes)
        if (tag is None or node.name == tag) and all(
            node_attrs.get(k) == v for k, v in wanted.items()
        ):
            found.append(node)
        for child in node.children:
            walk(child)

    walk(parse_html(html))
    return found


def text(node) -> str:
    if isinstance(node, str):
        return node
    return " ".join(t for t in (text(c) for c in node.children) if t).strip()


def keys_shown(response) -> list[str]:
    """The risk keys in the register's table, top to bottom."""
    html = response.content.decode()
    return [
        dict(tr.attributes)["data-risk"] for tr in find_all(html, "tr") if _has(tr, "data-risk")
    ]


def _has(el: Element, attr: str) -> bool:
    return attr in dict(el.attributes)


def level_badge(html: str) -> tuple[str, str]:
    (badge,) = [el for el in find_all(html, "span") if _has(el, "data-level")]
    return dict(badge.attributes)["data-level"], text(badge)


def field_errors(response, field: str) -> list[str]:
    (block,) = find_all(response.content.decode(), "div", data_field=field)
    return [text(li) for li in find_all(str(block), "li")]


def written() -> dict[str, int]:
    return {
        "risks": Risk.objects.count(),
        "history": RiskHistory.objects.count(),
        "reviews": RiskReview.objects.count(),
        "activity": Activity.objects.count(),
        "events": Event.objects.count(),
    }


def url(name: str, *args) -> str:
    return reverse(f"risks:{name}", args=["MALL", *args])


def form_data(**overrides) -> dict[str, str]:
    return {
        "title": "大促期间库存超卖",
        "category": "technical",
        "regime": "",
        "probability": "4",
        "impact": "4",
        "owner": "",
        "status": "open",
        "next_review_date": "",
        "description": "",
        "trigger": "库存为负",
        "mitigation_plan": "Redis 预扣库存",
        "contingency_plan": "",
        **overrides,
    }


# ---------------------------------------------------------------- auth matrix


@pytest.fixture
def world(project, owner, member, viewer, outsider):
    """MALL with MALL-RISK-1 (3 × 3, open) and everybody the matrix needs."""
    risk = make_risk(project, title="支付网关超时", probability=3, impact=3)
    return {"project": project, "risk": risk}


def _risk_state() -> tuple:
    risk = Risk.objects.filter(number=1).first()
    return None if risk is None else (risk.title, risk.impact, risk.next_review_date)


# (url name, method, data, {role: status}); "login" = redirected to the login page.
READ = {"owner": 200, "member": 200, "viewer": 200, "outsider": 404, "anonymous": "login"}
WRITE_GET = {"owner": 200, "member": 200, "viewer": 403, "outsider": 404, "anonymous": "login"}
WRITE = {"owner": 302, "member": 302, "viewer": 403, "outsider": 404, "anonymous": "login"}
MATRIX = [
    ("register", "get", None, READ),
    ("detail", "get", None, READ),
    ("export_csv", "get", None, READ),
    ("export_xlsx", "get", None, READ),
    ("create", "get", None, WRITE_GET),
    ("create", "post", form_data(), WRITE),
    ("edit", "get", None, WRITE_GET),
    ("edit", "post", form_data(title="改名后的风险", probability="3", impact="3"), WRITE),
    ("inline", "post", {"field": "impact", "value": "5"}, {**WRITE, "owner": 200, "member": 200}),
    ("review", "post", {"note": "无变化", "next_review_date": ""}, WRITE),
    ("delete", "post", None, {**WRITE, "member": 403}),
    ("templates", "post", None, WRITE),
]
ROLES = ["owner", "member", "viewer", "outsider", "anonymous"]


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "data", "expected"),
    MATRIX,
    ids=[f"{name}-{method}" for name, method, _d, _e in MATRIX],
)
def test_every_url_by_role(request, client, world, name, method, data, expected, who):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    takes_number = name in ("detail", "edit", "inline", "review", "delete")
    target = url(name, 1) if takes_number else url(name)
    before, state = written(), _risk_state()

    response = getattr(client, method)(target, data or {})

    status = expected[who]
    if status == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:login"))
    else:
        assert response.status_code == status
    if method == "get" and status == 200 and name in ("register", "detail", "export_csv"):
        assert "MALL-RISK-1" in response.content.decode("utf-8-sig")
    if method == "post" and status not in (200, 302):
        # a refused write changes nothing
        assert written() == before
        assert _risk_state() == state
    if method == "post" and status in (200, 302):
        assert written() != before


def test_post_only_urls_refuse_get(client, world, member):
    client.force_login(member)

    for target in (url("inline", 1), url("review", 1), url("delete", 1), url("templates")):
        assert client.get(target).status_code == 405


def test_unknown_risk_is_404(client, world, member):
    client.force_login(member)

    assert client.get(url("detail", 99)).status_code == 404


def test_staff_reads_any_register(client, world, staff):
    client.force_login(staff)

    response = client.get(url("register"))

    assert keys_shown(response) == ["MALL-RISK-1"]


def test_viewer_sees_no_write_controls(client, world, viewer):
    client.force_login(viewer)

    html = client.get(url("register")).content.decode()

    assert find_all(html, "select", data_field="impact") == []
    assert url("create") not in html
    assert url("templates") not in html
    detail = client.get(url("detail", 1)).content.decode()
    assert url("edit", 1) not in detail
    assert url("review", 1) not in detail


def test_member_sees_no_delete_button(client, world, member, owner):
    client.force_login(member)
    assert url("delete", 1) not in client.get(url("detail", 1)).content.decode()

    client.force_login(owner)
    assert url("delete", 1) in client.get(url("detail", 1)).content.decode()


# ---------------------------------------------------------------- writes through the pages


def test_member_registers_a_risk_and_owns_it(client, project, member):
    client.force_login(member)

    response = client.post(url("create"), form_data())

    risk = Risk.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", risk.number)
    assert (risk.owner, risk.score, risk.level) == (member, 16, "high")
    page = client.get(response["Location"])
    assert level_badge(page.content.decode())[0] == "high"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("probability", "6"),
        ("impact", "0"),
        ("category", "weather"),
        ("owner", "outsider"),
        ("next_review_date", "yesterday"),
        ("title", ""),
    ],
)
def test_bad_form_input_shows_a_field_error_and_writes_nothing(
    client, project, member, outsider, field, value
):
    if value == "outsider":
        value = str(outsider.pk)
    elif value == "yesterday":
        value = (project.today() - timedelta(days=1)).isoformat()
    client.force_login(member)
    before = written()

    response = client.post(url("create"), form_data(**{field: value}))

    assert response.status_code == 200
    assert field_errors(response, field)
    assert written() == before


def test_edit_keeps_the_owner_when_left_empty_and_records_history(client, world, member, owner):
    client.force_login(member)

    response = client.post(url("edit", 1), form_data(title="新标题", probability="5", impact="3"))

    assert response.status_code == 302
    risk = Risk.objects.get(number=1)
    assert (risk.title, risk.owner, risk.level) == ("新标题", owner, "high")
    assert list(RiskHistory.objects.filter(risk=risk).values_list("field", flat=True)) == [
        "created",
        "probability",
    ]
    detail = client.get(url("detail", 1)).content.decode()
    assert [
        dict(li.attributes)["data-history"]
        for li in find_all(detail, "li")
        if _has(li, "data-history")
    ] == [
        "probability",
        "created",
    ]


def test_review_form_moves_the_date(client, world, member, project):
    client.force_login(member)

    response = client.post(url("review", 1), {"note": "复核：无变化", "next_review_date": ""})

    assert response.status_code == 302
    assert Risk.objects.get(number=1).next_review_date == project.today() + timedelta(days=14)
    detail = client.get(url("detail", 1)).content.decode()
    assert "复核：无变化" in detail


def test_review_form_refuses_a_date_not_after_today(client, world, member, project):
    client.force_login(member)
    before = written()

    response = client.post(
        url("review", 1), {"note": "x", "next_review_date": project.today().isoformat()}
    )

    assert response.status_code == 400
    assert field_errors(response, "next_review_date")
    assert written() == before


def test_owner_deletes_over_htmx_and_is_sent_to_the_register(client, world, owner):
    client.force_login(owner)

    response = client.post(url("delete", 1), **HTMX)

    assert response["HX-Redirect"] == url("register")
    assert not Risk.objects.exists()


@pytest.mark.parametrize(
    ("language", "title"),
    [("zh-hans", STARTER_RISKS[1].zh[0]), ("en", STARTER_RISKS[1].en[0])],
)
def test_templates_button_adds_starter_risks_in_my_language(
    client, project, member, language, title
):
    member.language = language
    member.save(update_fields=["language"])
    client.force_login(member)

    client.post(url("templates"))
    client.post(url("templates"))

    assert Risk.objects.count() == len(STARTER_RISKS)
    assert Risk.objects.filter(title=title).exists()
    assert title in client.get(url("register")).content.decode()


# ---------------------------------------------------------------- register filters


@pytest.fixture
def register(project, owner, member):
    """Six risks over several cells, categories and statuses; two overdue on 2026-03-10."""
    with time_machine.travel(datetime(2026, 3, 1, 4, 0, tzinfo=UTC), tick=False):
        spec = [
            ("支付网关宕机", "third_party", 5, 5, date(2026, 3, 5)),  # 1 critical, overdue
            ("库存超卖", "technical", 3, 4, date(2026, 3, 6)),  # 2 high, overdue
            ("个人信息出境", "compliance", 3, 4, date(2026, 4, 1)),  # 3 high
            ("物流接口故障", "third_party", 2, 3, None),  # 4 medium
            ("人员流失", "resource", 1, 2, date(2026, 3, 2)),  # 5 low, closed
            ("大促排期", "schedule", 2, 2, None),  # 6 low
        ]
        for title, category, probability, impact, due in spec:
            make_risk(
                project,
                title=title,
                category=category,
                probability=probability,
                impact=impact,
                next_review_date=due,
            )
        services.risk_update(risk=Risk.objects.get(number=5), actor=owner, status=Status.CLOSED)


REGISTER_FILTERS = [
    (
        "",
        ["MALL-RISK-1", "MALL-RISK-2", "MALL-RISK-3", "MALL-RISK-4", "MALL-RISK-6", "MALL-RISK-5"],
    ),
    ("level=high", ["MALL-RISK-2", "MALL-RISK-3"]),
    ("level=low", ["MALL-RISK-6", "MALL-RISK-5"]),
    ("category=third_party", ["MALL-RISK-1", "MALL-RISK-4"]),
    ("status=closed", ["MALL-RISK-5"]),
    ("overdue=on", ["MALL-RISK-1", "MALL-RISK-2"]),
    ("probability=3&impact=4", ["MALL-RISK-2", "MALL-RISK-3"]),  # a heat-map click
    ("probability=3&impact=4&category=compliance", ["MALL-RISK-3"]),
    ("q=超卖", ["MALL-RISK-2"]),
    ("sort=key", [f"MALL-RISK-{n}" for n in range(1, 7)]),
]


@pytest.mark.parametrize(("query", "keys"), REGISTER_FILTERS)
def test_register_filters_by_query_string(client, register, member, query, keys):
    client.force_login(member)

    with time_machine.travel(datetime(2026, 3, 10, 4, 0, tzinfo=UTC), tick=False):
        page = client.get(f"{url('register')}?{query}")
        fragment = client.get(f"{url('register')}?{query}", **RESULTS)

    # the full page and the htmx fragment show the same rows
    assert keys_shown(page) == keys
    assert keys_shown(fragment) == keys
    html = fragment.content.decode().strip()
    assert html.startswith('<div id="risk-results"')
    assert "<html" not in html
    assert "<form" not in html
    # Everything else that carries the filters is refreshed out of band with the table.
    assert 'id="risk-heatmap"' in html
    assert 'id="risk-exports"' in html
    assert 'id="risk-cell-inputs"' in html
    assert html.count('hx-swap-oob="true"') == 3
    export = re.search(r'href="([^"]*export\.xlsx[^"]*)"', html).group(1)
    for part in query.split("&"):
        assert part.split("=")[0] in export


def test_heatmap_click_marks_the_cell_and_offers_all_cells(client, register, member):
    client.force_login(member)

    page = client.get(f"{url('register')}?probability=3&impact=4").content.decode()

    (link,) = find_all(page, "a", data_cell="3-4")
    assert text(link) == "2"
    selected = [
        td for td in find_all(page, "td") if "selected" in (dict(td.attributes).get("class") or "")
    ]
    assert [dict(a.attributes)["data-cell"] for td in selected for a in find_all(str(td), "a")] == [
        "3-4"
    ]
    assert "cell-filter" in page


def test_heatmap_shows_live_risk_counts(client, register, member):
    client.force_login(member)

    page = client.get(url("register")).content.decode()

    counts = {
        dict(a.attributes)["data-cell"]: text(a)
        for a in find_all(page, "a")
        if _has(a, "data-cell")
    }
    assert len(counts) == 25
    assert {cell: n for cell, n in counts.items() if n != "·"} == {
        "5-5": "1",
        "3-4": "2",
        "2-3": "1",
        "2-2": "1",
    }  # the closed 1 × 2 risk is not on the map


def test_heatmap_fragment_comes_back_alone(client, register, member):
    client.force_login(member)

    response = client.get(url("register"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="risk-heatmap")

    html = response.content.decode().strip()
    assert html.startswith('<div id="risk-heatmap"')
    assert len(find_all(html, "a")) == 25
    assert 'id="risk-results"' not in html


# ---------------------------------------------------------------- inline edit


def test_inline_impact_change_returns_only_the_rescored_row(client, world, member):
    client.force_login(member)

    response = client.post(url("inline", 1), {"field": "impact", "value": "5"}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode().strip()
    assert html.startswith('<tr id="risk-1"')
    assert html.endswith("</tr>")
    assert len(find_all(html, "tr")) == 1
    level, badge = level_badge(html)
    assert level == "high"
    assert badge.startswith("15 · ")
    (impact,) = find_all(html, "select", data_field="impact")
    assert [
        dict(o.attributes).get("value")
        for o in find_all(str(impact), "option")
        if _has(o, "selected")
    ] == ["5"]
    assert "risk-changed" in json.loads(response["HX-Trigger"])
    risk = Risk.objects.get(number=1)
    assert (risk.impact, risk.level) == (5, "high")
    assert RiskHistory.objects.filter(risk=risk, field="impact", actor=member).count() == 1


def test_inline_status_change_to_occurred_emits_the_event(client, world, member):
    client.force_login(member)

    response = client.post(url("inline", 1), {"field": "status", "value": "occurred"}, **HTMX)

    assert response.status_code == 200
    assert Risk.objects.get(number=1).status == "occurred"
    assert list(Event.objects.values_list("name", flat=True)) == ["risk.occurred"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("impact", "9"), ("probability", "0"), ("impact", "x"), ("status", "done"), ("title", "x")],
)
def test_inline_invalid_value_is_a_400_row_with_the_error(client, world, member, field, value):
    client.force_login(member)
    before = written()

    response = client.post(url("inline", 1), {"field": field, "value": value}, **HTMX)

    assert response.status_code == 400
    html = response.content.decode().strip()
    assert html.startswith('<tr id="risk-1"')
    (error,) = [el for el in find_all(html, "div") if dict(el.attributes).get("role") == "alert"]
    assert text(error)
    # the row still shows the stored values, and nothing was written
    assert level_badge(html)[0] == "medium"
    assert "HX-Trigger" not in response
    assert written() == before
    risk = Risk.objects.get(number=1)
    assert (risk.probability, risk.impact, risk.status) == (3, 3, "open")


# ---------------------------------------------------------------- exports


@pytest.fixture
def english_member(member):
    member.language = "en"
    member.save(update_fields=["language"])
    return member


EXPORT_HEADER = [
    "Key",
    "Title",
    "Category",
    "Compliance regime",
    "Probability",
    "Impact",
    "Score",
    "Level",
    "Status",
    "Owner",
    "Next review date",
    "Review overdue",
    "Trigger",
    "Mitigation plan",
    "Contingency plan",
]


def expected_export_rows(today: date) -> list[list]:
    rows = []
    for risk in Risk.objects.filter(status="open").select_related("owner", "project"):
        rows.append(
            [
                risk.key,
                risk.title,
                {
                    "third_party": "Third party",
                    "technical": "Technical",
                    "compliance": "Compliance",
                    "schedule": "Schedule",
                }[risk.category],
                "",
                risk.probability,
                risk.impact,
                risk.probability * risk.impact,
                risk.level.capitalize(),
                "Open",
                "王芳",
                risk.next_review_date,
                "yes" if risk.next_review_date and risk.next_review_date < today else "",
                risk.trigger,
                risk.mitigation_plan,
                risk.contingency_plan,
            ]
        )
    return rows


def test_xlsx_export_has_the_filtered_register(client, register, english_member):
    from openpyxl import load_workbook

    client.force_login(english_member)
    with time_machine.travel(datetime(2026, 3, 10, 4, 0, tzinfo=UTC), tick=False):
        response = client.get(f"{url('export_xlsx')}?status=open")

    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="MALL-risks-' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == EXPORT_HEADER
    body = [
        [v.date() if isinstance(v, datetime) else ("" if v is None else v) for v in row]
        for row in rows[1:]
    ]
    assert [row[0] for row in body] == [
        "MALL-RISK-1",
        "MALL-RISK-2",
        "MALL-RISK-3",
        "MALL-RISK-4",
        "MALL-RISK-6",
    ]
    assert body == [
        ["" if v is None else v for v in row] for row in expected_export_rows(date(2026, 3, 10))
    ]


def test_csv_export_has_a_bom_and_the_same_rows(client, register, english_member):
    from openpyxl import load_workbook

    client.force_login(english_member)
    with time_machine.travel(datetime(2026, 3, 10, 4, 0, tzinfo=UTC), tick=False):
        csv_response = client.get(f"{url('export_csv')}?status=open")
        xlsx_response = client.get(f"{url('export_xlsx')}?status=open")

    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8")[1:])))
    sheet = load_workbook(io.BytesIO(xlsx_response.content)).active

    def as_text(value) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.date().isoformat()
        return str(value)

    assert rows == [[as_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[1][:2] == ["MALL-RISK-1", "支付网关宕机"]
    assert len(rows) == 1 + 5


def test_export_of_a_heatmap_cell(client, register, english_member):
    client.force_login(english_member)

    response = client.get(f"{url('export_csv')}?probability=3&impact=4")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["MALL-RISK-2", "MALL-RISK-3"]


def test_export_links_carry_the_register_filters(client, register, member):
    client.force_login(member)

    page = client.get(f"{url('register')}?status=open&level=high").content.decode()

    (xlsx,) = find_all(page, "a", data_export="xlsx")
    (csv_link,) = find_all(page, "a", data_export="csv")
    assert dict(xlsx.attributes)["href"] == f"{url('export_xlsx')}?status=open&level=high"
    assert dict(csv_link.attributes)["href"] == f"{url('export_csv')}?status=open&level=high"


# ---------------------------------------------------------------- query counts

REGISTER_BUDGET = 12
# The page also lists the linked work items and requirements (one query each).
DETAIL_BUDGET = 8
WRITE_BUDGET = 20


@pytest.fixture
def owners(project, owner, member, viewer):
    return [owner, member, *(add_member(project, UserFactory()) for _ in range(3))]


@pytest.mark.parametrize("count", [20, 2000])
def test_register_query_budget(
    client, project, owners, member, django_assert_max_num_queries, count
):
    bulk_risks(project, count, owners=owners)
    client.force_login(member)

    with django_assert_max_num_queries(REGISTER_BUDGET):
        response = client.get(url("register"))

    html = response.content.decode()
    assert len(keys_shown(response)) == min(count, PAGE_SIZE)
    # the heat map still counts every risk, not just the page's
    cells = [text(a) for a in find_all(html, "a") if _has(a, "data-cell")]
    assert sum(int(n) for n in cells if n.isdigit()) == count
    pagers = [
        n for n in find_all(html, "nav") if "pager" in (dict(n.attributes).get("class") or "")
    ]
    if count > PAGE_SIZE:
        (pager,) = pagers
        assert str(count) in text(pager)
        assert [dict(a.attributes)["href"] for a in find_all(str(pager), "a")] == ["?page=2"]
    else:
        assert pagers == []


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def test_register_queries_do_not_grow_with_risks(client, project, owners, member):
    client.force_login(member)
    bulk_risks(project, 20, owners=owners)
    small_page = _queries(lambda: client.get(url("register")))
    small_fragment = _queries(lambda: client.get(f"{url('register')}?level=high", **RESULTS))

    bulk_risks(project, 1980, owners=owners, start=21)
    big_page = _queries(lambda: client.get(url("register")))
    big_fragment = _queries(lambda: client.get(f"{url('register')}?level=high", **RESULTS))

    assert (big_page, big_fragment) == (small_page, small_fragment)


def test_detail_page_query_budget(client, world, owner, member, django_assert_max_num_queries):
    risk = world["risk"]
    for impact in (1, 2, 4, 5):
        risk = services.risk_update(risk=risk, actor=member if impact % 2 else owner, impact=impact)
        services.risk_review(risk=risk, actor=member, note=f"复核 {impact}")
    client.force_login(member)

    with django_assert_max_num_queries(DETAIL_BUDGET):
        response = client.get(url("detail", 1))

    html = response.content.decode()
    assert len([li for li in find_all(html, "li") if _has(li, "data-history")]) == 5


def test_inline_edit_query_budget(client, world, member, django_assert_max_num_queries):
    client.force_login(member)

    with django_assert_max_num_queries(WRITE_BUDGET):
        response = client.post(url("inline", 1), {"field": "impact", "value": "5"}, **HTMX)

    assert response.status_code == 200
