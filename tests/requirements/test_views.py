"""The requirement backlog pages as a PM, a developer and a stakeholder use them.

The backlog page (rows, filters and sorts from the URL, htmx fragments for the results,
the counts and "load more"), inline and bulk edits, drag reordering, saved views; one
requirement's pages (form, detail, KPI links, comments, promotion, rejection, deletion);
the Kano survey and the Kano chart; every URL in requirements/urls.py through the roles;
query counts that do not grow with the backlog. The triage queue is in test_views_triage.py.
"""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.html import Element, parse_html
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import Activity
from projects import services as project_services
from projects.models import WorkItem
from requirements import services
from requirements import urls as requirement_urls
from requirements.models import (
    BacklogView,
    KanoResponse,
    Requirement,
    RequirementComment,
    RequirementKPI,
)
from requirements.views import PAGE_SIZE
from tests.metrics.factories import KPIFactory
from tests.portal.factories import UserFactory
from tests.projects.factories import add_member, make_project
from tests.requirements.factories import backlog_keys, make_requirement, triaged

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
RESULTS = {**HTMX, "HTTP_HX_TARGET": "backlog-results"}
COUNTS = {**HTMX, "HTTP_HX_TARGET": "backlog-counts"}


# ---------------------------------------------------------------- helpers


def find_all(html: str, tag: str | None = None, **attrs: str) -> list[Element]:
    """Elements whose attributes match (`data_key="MALL-R1"` → data-key="MALL-R1")."""
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


def having(html: str, tag: str | None, attr: str) -> list[Element]:
    """Elements that carry an attribute, whatever its value (`data-must-share`)."""
    return [el for el in find_all(html, tag) if attr in dict(el.attributes)]


def with_class(html: str, tag: str | None, css: str) -> list[Element]:
    return [
        el for el in find_all(html, tag) if css in (dict(el.attributes).get("class") or "").split()
    ]


def attr(el: Element, name: str) -> str | None:
    return dict(el.attributes).get(name)


def text(node) -> str:
    if isinstance(node, str):
        return node.strip()
    return " ".join(t for t in (text(c) for c in node.children) if t).strip()


def html_of(response) -> str:
    return response.content.decode()


def keys_shown(response_or_html) -> list[str]:
    """The requirement keys in the backlog table, top to bottom."""
    html = response_or_html if isinstance(response_or_html, str) else html_of(response_or_html)
    return [attr(tr, "data-key") for tr in having(html, "tr", "data-key")]


def row(html: str, key: str) -> Element:
    (found,) = find_all(html, "tr", data_key=key)
    return found


def chosen(row_el: Element, field: str) -> str:
    """The value a row's in-place editor shows for one cell ("" = not set)."""
    (select,) = find_all(str(row_el), "select", data_field=field)
    selected = [attr(o, "value") for o in find_all(str(select), "option") if _has(o, "selected")]
    return selected[0] if selected else ""


def _has(el: Element, name: str) -> bool:
    return name in dict(el.attributes)


def count_badges(html: str) -> dict[str, int]:
    """The MoSCoW counts above the table: {"must": 1, …, "none": 2}."""
    return {
        attr(badge, "data-count"): int(text(find_all(str(badge), "strong")[0]))
        for badge in having(html, "span", "data-count")
    }


def flashes(response) -> list[str]:
    """The messages a redirected user sees at the top of the next page."""
    return [
        text(li) for ul in with_class(html_of(response), "ul", "messages") for li in ul.children
    ]


def field_errors(response, field: str) -> list[str]:
    (block,) = find_all(html_of(response), "div", data_field=field)
    return [text(li) for li in find_all(str(block), "li")]


def url(name: str, *args) -> str:
    return reverse(f"requirements:{name}", args=["MALL", *args])


def state() -> tuple:
    """Everything a write could change, to show that a refused one changed nothing."""
    return (
        list(
            Requirement.objects.order_by("pk").values_list(
                "pk",
                "title",
                "status",
                "moscow",
                "kano",
                "priority",
                "phase",
                "tags",
                "rank",
                "rejection_reason",
            )
        ),
        list(RequirementKPI.objects.order_by("pk").values_list("pk", "kpi_id", "expected_change")),
        list(
            KanoResponse.objects.order_by("pk").values_list(
                "pk", "respondent_id", "functional", "dysfunctional"
            )
        ),
        RequirementComment.objects.count(),
        WorkItem.objects.count(),
        list(BacklogView.objects.order_by("pk").values_list("pk", "name", "query", "shared")),
        Activity.objects.count(),
    )


def answer(requirement, who, functional: str, dysfunctional: str, name: str = ""):
    return services.kano_response_record(
        requirement=requirement,
        actor=who,
        functional=functional,
        dysfunctional=dysfunctional,
        respondent_name=name,
    )


# ---------------------------------------------------------------- the backlog


@pytest.fixture
def gmv(project, owner):
    return KPIFactory(actor=owner, project=project, code="gmv", unit="money", name="GMV")


@pytest.fixture
def conversion(owner):
    """A company-wide KPI: every project may aim at it."""
    return KPIFactory(actor=owner, code="conversion_rate", name="转化率")


@pytest.fixture
def backlog(project, owner, gmv, conversion):
    """MALL's backlog, R1–R6 in rank order:

    R1 Must / performance / P1 / phase 1 / triaged, 大促, marketing, RICE 400, WSJF 3.2
    R2 Should / attractive / P2 / phase 1 / planned, 会员, operations, RICE 1250, WSJF 3
    R3 Could / must-be / P0 / phase 2 / in progress, finance, WSJF 13.67
    R4 new, nothing set, customer service, requested by 张三, "导出为 Excel"
    R5 Won't / indifferent / P3 / phase 2 / done, 大促 + 会员, RICE 2.5
    R6 Could / P3 / rejected
    """
    reqs = [
        triaged(
            project,
            title="购物车凑单提醒",
            kano="performance",
            phase=1,
            tags="大促",
            source_department="marketing",
            reach=1000,
            impact=D("2"),
            confidence=80,
            effort=D("4"),
            business_value=8,
            time_criticality=5,
            risk_reduction=3,
            job_size=5,
        ),
        make_requirement(
            project,
            title="母婴会员积分",
            status="planned",
            moscow="should",
            kano="attractive",
            priority="P2",
            phase=1,
            tags="会员",
            source_department="operations",
            reach=5000,
            impact=D("1"),
            confidence=50,
            effort=D("2"),
            business_value=3,
            time_criticality=2,
            risk_reduction=1,
            job_size=2,
        ),
        make_requirement(
            project,
            title="支付宝花呗分期",
            status="in_progress",
            moscow="could",
            kano="must_be",
            priority="P0",
            phase=2,
            source_department="finance",
            business_value=20,
            time_criticality=13,
            risk_reduction=8,
            job_size=3,
        ),
        make_requirement(
            project,
            title="客服工单导出",
            source_department="customer_service",
            requester="张三",
            description="导出为 Excel",
        ),
        make_requirement(
            project,
            title="旧版积分商城下线",
            status="done",
            moscow="wont",
            kano="indifferent",
            priority="P3",
            phase=2,
            tags="大促,会员",
            reach=10,
            impact=D("0.25"),
            confidence=100,
            effort=D("1"),
        ),
        make_requirement(
            project,
            title="直播带货",
            status="rejected",
            rejection_reason="本期不做直播",
            moscow="could",
            priority="P3",
        ),
    ]
    services.requirement_kpi_link(
        requirement=reqs[0], actor=owner, kpi=gmv, expected_change=50000, note="凑单带动客单价"
    )
    services.requirement_kpi_link(
        requirement=reqs[0], actor=owner, kpi=conversion, expected_change=D("2")
    )
    services.requirement_kpi_link(
        requirement=reqs[1], actor=owner, kpi=conversion, expected_change=D("-0.5")
    )
    return reqs


ALL = [f"MALL-R{n}" for n in range(1, 7)]


def test_member_sees_the_backlog_in_rank_order_with_every_column(client, backlog, member):
    client.force_login(member)

    html = html_of(client.get(url("backlog")))

    assert keys_shown(html) == ALL
    first = row(html, "MALL-R1")
    cells = find_all(str(first), "td")
    assert text(cells[1]) == "MALL-R1"
    assert "购物车凑单提醒" in text(cells[2])
    assert {f: chosen(first, f) for f in ("moscow", "kano", "priority", "phase", "status")} == {
        "moscow": "must",
        "kano": "performance",
        "priority": "P1",
        "phase": "1",
        "status": "triaged",
    }
    assert (text(cells[6]), text(cells[7])) == ("400", "3.20")
    assert attr(cells[6], "title") == "1000 × 2 × 80% ÷ 4"
    assert text(find_all(str(row(html, "MALL-R2")), "td")[6]) == "1,250"
    # a requirement without scores shows dashes, not zeros
    fourth = find_all(str(row(html, "MALL-R4")), "td")
    assert (text(fourth[6]), text(fourth[7])) == ("—", "—")
    assert chosen(row(html, "MALL-R4"), "moscow") == ""


def test_rows_show_their_kpi_links_as_chips(client, backlog, member):
    client.force_login(member)

    html = html_of(client.get(url("backlog")))

    chips = {
        key: [text(chip) for chip in with_class(str(row(html, key)), "span", "badge-kpi")]
        for key in ("MALL-R1", "MALL-R2", "MALL-R3")
    }
    assert chips == {
        "MALL-R1": ["GMV +¥50,000", "转化率 +2 %"],
        "MALL-R2": ["转化率 −0.5 %"],
        "MALL-R3": [],
    }
    (gmv_chip, _conversion) = with_class(str(row(html, "MALL-R1")), "span", "badge-kpi")
    assert attr(gmv_chip, "title") == "凑单带动客单价"


BACKLOG_FILTERS = [
    ("", ALL),
    ("status=new", ["MALL-R4"]),
    ("status=triaged&status=planned", ["MALL-R1", "MALL-R2"]),
    ("moscow=must", ["MALL-R1"]),
    ("moscow=could&moscow=wont", ["MALL-R3", "MALL-R5", "MALL-R6"]),
    ("moscow=", ["MALL-R4"]),  # "Not set"
    ("kano=performance&kano=attractive", ["MALL-R1", "MALL-R2"]),
    ("kano=", ["MALL-R4", "MALL-R6"]),
    ("priority=P0", ["MALL-R3"]),
    ("priority=P3&priority=", ["MALL-R4", "MALL-R5", "MALL-R6"]),
    ("phase=1", ["MALL-R1", "MALL-R2"]),
    ("phase=2", ["MALL-R3", "MALL-R5"]),
    ("phase=0", ["MALL-R4", "MALL-R6"]),  # no phase
    ("tag=大促", ["MALL-R1", "MALL-R5"]),
    ("tag=会员", ["MALL-R2", "MALL-R5"]),
    ("source_department=finance&source_department=marketing", ["MALL-R1", "MALL-R3"]),
    ("q=积分", ["MALL-R2", "MALL-R5"]),
    ("q=excel", ["MALL-R4"]),  # description
    ("q=张三", ["MALL-R4"]),  # requester
    ("q=MALL-R3", ["MALL-R3"]),
    ("q=mall-r3", ["MALL-R3"]),
    ("q=R2", ["MALL-R2"]),
    ("q=OTHER-R3", []),
    ("open=on", ["MALL-R1", "MALL-R2", "MALL-R3", "MALL-R4"]),
    ("open=on&moscow=could", ["MALL-R3"]),
    ("phase=1&moscow=should&tag=会员", ["MALL-R2"]),
    ("sort=rank", ALL),
    # scores high to low, the unscored after them in rank order
    ("sort=rice", ["MALL-R2", "MALL-R1", "MALL-R5", "MALL-R3", "MALL-R4", "MALL-R6"]),
    ("sort=wsjf", ["MALL-R3", "MALL-R1", "MALL-R2", "MALL-R4", "MALL-R5", "MALL-R6"]),
    ("sort=priority", ["MALL-R3", "MALL-R1", "MALL-R2", "MALL-R5", "MALL-R6", "MALL-R4"]),
    ("sort=rice&open=on", ["MALL-R2", "MALL-R1", "MALL-R3", "MALL-R4"]),
]


@pytest.mark.parametrize(("query", "keys"), BACKLOG_FILTERS)
def test_backlog_filters_and_sorts_by_query_string(client, backlog, member, query, keys):
    client.force_login(member)

    page = client.get(f"{url('backlog')}?{query}")
    fragment = client.get(f"{url('backlog')}?{query}", **RESULTS)

    assert page.status_code == fragment.status_code == 200
    assert keys_shown(page) == keys
    assert keys_shown(fragment) == keys


STALE_FILTERS = [
    ("status=archived", ALL),
    ("moscow=maybe", ALL),
    ("kano=surprise&priority=P0", ["MALL-R3"]),
    ("phase=7", ALL),  # a phase no requirement has (any more)
    ("phase=abc", ALL),
    ("source_department=hr&tag=会员", ["MALL-R2", "MALL-R5"]),
    ("sort=cheapest", ALL),
    ("status=new&sort=nonsense", ["MALL-R4"]),
    ("page=99", ALL[-6:]),  # past the end: the last page
    (f"q={'很长' * 60}&moscow=must", ["MALL-R1"]),  # over 100 characters
]


@pytest.mark.parametrize(("query", "keys"), STALE_FILTERS)
def test_a_stale_filter_value_is_dropped_not_an_error(client, backlog, member, query, keys):
    client.force_login(member)

    response = client.get(f"{url('backlog')}?{query}")

    assert response.status_code == 200
    assert keys_shown(response) == keys


def test_one_stale_value_among_good_ones_keeps_the_good_ones(client, backlog, member):
    client.force_login(member)

    response = client.get(f"{url('backlog')}?moscow=must&moscow=maybe")

    assert keys_shown(response) == ["MALL-R1"]


def test_the_filter_form_shows_the_filters_of_the_url(client, backlog, member):
    client.force_login(member)

    html = html_of(client.get(f"{url('backlog')}?moscow=must&moscow=could&q=积分&sort=rice"))

    (form,) = find_all(html, "form", id="backlog-filters")
    checked = [
        attr(box, "value")
        for box in find_all(str(form), "input", name="moscow")
        if _has(box, "checked")
    ]
    assert checked == ["must", "could"]
    (search,) = find_all(str(form), "input", name="q")
    assert attr(search, "value") == "积分"
    (sort,) = find_all(str(form), "select", name="sort")
    assert [attr(o, "value") for o in find_all(str(sort), "option") if _has(o, "selected")] == [
        "rice"
    ]


def test_empty_result_says_so(client, backlog, member):
    client.force_login(member)

    html = html_of(client.get(f"{url('backlog')}?q=不存在的需求"))

    assert keys_shown(html) == []
    assert with_class(html, "tr", "empty-row")


# ---------------------------------------------------------------- htmx fragments


def test_results_fragment_comes_back_with_its_counts_and_export_link(client, backlog, member):
    client.force_login(member)

    response = client.get(f"{url('backlog')}?moscow=could&open=on", **RESULTS)

    html = html_of(response).strip()
    assert html.startswith('<div id="backlog-results"')
    assert "<html" not in html
    assert "<form" not in html
    assert 'id="backlog-filters"' not in html
    assert keys_shown(html) == ["MALL-R3"]
    # the counts and the export link follow the filters, out of band
    assert html.count('hx-swap-oob="true"') == 2
    (counts,) = find_all(html, "div", id="backlog-counts")
    assert attr(counts, "hx-swap-oob") == "true"
    assert count_badges(html) == {"must": 0, "should": 0, "could": 1, "wont": 0, "none": 0}
    (export,) = find_all(html, "a", data_export="csv")
    assert attr(export, "href") == f"{url('export_csv')}?moscow=could&open=on"


def test_counts_fragment_comes_back_alone(client, backlog, member):
    client.force_login(member)

    response = client.get(f"{url('backlog')}?phase=1", **COUNTS)

    html = html_of(response).strip()
    assert response.status_code == 200
    assert html.startswith('<div id="backlog-counts"')
    assert "<html" not in html
    assert 'id="backlog-results"' not in html
    assert keys_shown(html) == []
    assert count_badges(html) == {"must": 1, "should": 1, "could": 0, "wont": 0, "none": 0}


COUNTS_BY_FILTER = [
    ("", {"must": 1, "should": 1, "could": 2, "wont": 1, "none": 1}),
    ("open=on", {"must": 1, "should": 1, "could": 1, "wont": 0, "none": 1}),
    ("tag=大促", {"must": 1, "should": 0, "could": 0, "wont": 1, "none": 0}),
    ("moscow=could", {"must": 0, "should": 0, "could": 2, "wont": 0, "none": 0}),
    ("q=没有这个", {"must": 0, "should": 0, "could": 0, "wont": 0, "none": 0}),
]


@pytest.mark.parametrize(("query", "counts"), COUNTS_BY_FILTER)
def test_moscow_counts_follow_the_filters(client, backlog, member, query, counts):
    client.force_login(member)

    page = html_of(client.get(f"{url('backlog')}?{query}"))
    fragment = html_of(client.get(f"{url('backlog')}?{query}", **COUNTS))

    assert count_badges(page) == counts
    assert count_badges(fragment) == counts


@pytest.fixture
def big_backlog(project):
    """250 requirements, R1…R250 in rank order."""
    for n in range(1, 251):
        make_requirement(project, title=f"批量需求 {n}")


def _load_more(html: str) -> list[str]:
    return [attr(tr, "id") for tr in with_class(html, "tr", "load-more")]


def test_first_page_shows_100_rows_and_a_load_more_sentinel(client, big_backlog, member):
    client.force_login(member)

    html = html_of(client.get(url("backlog")))

    assert PAGE_SIZE == 100
    assert keys_shown(html) == [f"MALL-R{n}" for n in range(1, 101)]
    assert _load_more(html) == ["load-more-2"]
    (button,) = find_all(str(with_class(html, "tr", "load-more")[0]), "button")
    assert attr(button, "hx-get") == "?page=2"
    assert "250" in text(button)


def test_load_more_returns_only_the_next_rows_and_the_next_sentinel(client, big_backlog, member):
    client.force_login(member)

    second = client.get(f"{url('backlog')}?page=2", HTTP_HX_TARGET="load-more-2", **HTMX)
    third = client.get(f"{url('backlog')}?page=3", **HTMX)

    html = html_of(second).strip()
    assert second.status_code == 200
    assert html.startswith("<tr")
    assert "<html" not in html
    assert "<table" not in html
    assert "backlog-counts" not in html
    assert keys_shown(html) == [f"MALL-R{n}" for n in range(101, 201)]
    assert _load_more(html) == ["load-more-3"]
    assert keys_shown(third) == [f"MALL-R{n}" for n in range(201, 251)]
    assert _load_more(html_of(third)) == []


def test_load_more_keeps_the_filters_and_sort(client, big_backlog, member):
    client.force_login(member)

    html = html_of(client.get(f"{url('backlog')}?sort=key&q=批量"))

    (button,) = find_all(str(with_class(html, "tr", "load-more")[0]), "button")
    assert attr(button, "hx-get") == "?sort=key&q=%E6%89%B9%E9%87%8F&page=2"


def test_results_fragment_with_a_page_is_the_whole_results_block(client, big_backlog, member):
    # a results refresh is never mistaken for "load more"
    client.force_login(member)

    html = html_of(client.get(f"{url('backlog')}?page=2", **RESULTS)).strip()

    assert html.startswith('<div id="backlog-results"')
    assert 'id="backlog-counts"' in html


# ---------------------------------------------------------------- the MoSCoW panel


def test_moscow_by_phase_flags_a_phase_where_must_takes_over_60_percent(client, project, member):
    # phase 1: Must 7 of 10 person-weeks (Won't does not count); phase 2: exactly 60 %
    for moscow, phase, effort in [
        ("must", 1, "4"),
        ("must", 1, "3"),
        ("should", 1, "2"),
        ("could", 1, "1"),
        ("wont", 1, "20"),
        ("must", 2, "6"),
        ("should", 2, "4"),
    ]:
        triaged(project, moscow=moscow, phase=phase, effort=D(effort))
    triaged(project, moscow="must", phase=None)  # no estimate
    make_requirement(
        project, phase=2, moscow="must", effort=D("50"), status="rejected", rejection_reason="否"
    )
    client.force_login(member)

    html = html_of(client.get(url("backlog")))

    (table,) = with_class(html, "table", "moscow-phases")
    phases = {attr(tr, "data-phase"): tr for tr in having(str(table), "tr", "data-phase")}
    assert list(phases) == ["1", "2", "none"]
    assert attr(phases["1"], "class") == "over-limit"
    assert [text(b) for b in having(str(phases["1"]), "span", "data-must-share")] == ["70 %"]
    assert find_all(str(phases["1"]), "span", role="status")
    # 60 % is at the guidance, not over it; a rejected requirement does not count
    assert attr(phases["2"], "class") is None
    assert [text(b) for b in having(str(phases["2"]), "span", "data-must-share")] == ["60 %"]
    assert find_all(str(phases["2"]), "span", role="status") == []
    assert having(str(phases["none"]), "span", "data-must-share") == []
    # the Must cell of phase 1: two requirements, 7 person-weeks
    assert text(find_all(str(phases["1"]), "td")[1]) == "2 7"


# ---------------------------------------------------------------- who sees which controls


def test_drag_handles_only_when_sorted_by_rank(client, backlog, member):
    client.force_login(member)

    by_rank = html_of(client.get(url("backlog")))
    by_rice = html_of(client.get(f"{url('backlog')}?sort=rice"))

    assert len(with_class(by_rank, "span", "drag-handle")) == 6
    (tbody,) = find_all(by_rank, "tbody", id="backlog-rows")
    assert attr(tbody, "data-draggable") == "1"
    assert with_class(by_rice, "span", "drag-handle") == []
    (tbody,) = find_all(by_rice, "tbody", id="backlog-rows")
    assert attr(tbody, "data-draggable") is None
    # …and says how to get them back
    assert with_class(by_rice, "div", "cell-filter")


def test_viewer_sees_plain_labels_and_no_edit_controls(client, backlog, viewer):
    client.force_login(viewer)

    html = html_of(client.get(url("backlog")))

    assert keys_shown(html) == ALL
    assert find_all(html, "select", name="value") == []
    assert find_all(html, "input", name="ids") == []
    assert find_all(html, "form", id="bulk-bar") == []
    assert with_class(html, "span", "drag-handle") == []
    (tbody,) = find_all(html, "tbody", id="backlog-rows")
    assert attr(tbody, "data-draggable") is None
    assert url("create") not in html
    assert url("import") not in html
    first = find_all(str(row(html, "MALL-R1")), "td")
    (moscow,) = with_class(str(first[3]), "span", "moscow-must")
    assert text(moscow)
    assert text(first[5]) == "P1"
    assert text(first[8]) == "一期"
    assert with_class(str(first[9]), "span", "status-triaged")
    # the shared checkbox of saved views is for people who may edit
    assert find_all(html, "input", name="shared") == []


def test_member_sees_the_bulk_bar_and_row_checkboxes(client, backlog, member):
    client.force_login(member)

    html = html_of(client.get(url("backlog")))

    assert len(find_all(html, "form", id="bulk-bar")) == 1
    assert [attr(box, "value") for box in find_all(html, "input", name="ids")] == [
        str(r.pk) for r in backlog
    ]
    assert find_all(html, "input", name="shared")


def test_triage_badge_counts_untriaged_requirements(client, backlog, member):
    make_requirement(backlog[0].project, title="又一个新需求")
    client.force_login(member)

    html = html_of(client.get(url("backlog")))

    (link,) = find_all(html, "a", data_link="triage")
    assert text(with_class(str(link), "span", "badge")[0]) == "2"


# ---------------------------------------------------------------- query counts

BACKLOG_BUDGET = 13
RESULTS_BUDGET = 10


def _fill(project, people, gmv, start: int, stop: int) -> None:
    """Requirements each with a KPI link, two survey answers and a work item."""
    owner, member, viewer = people
    for n in range(start, stop):
        requirement = triaged(
            project,
            title=f"需求 {n}",
            phase=1 + n % 3,
            tags="大促",
            reach=100 + n,
            impact=D("1"),
            confidence=80,
            effort=D("2"),
        )
        services.requirement_kpi_link(
            requirement=requirement, actor=owner, kpi=gmv, expected_change=1000
        )
        answer(requirement, member, "like", "dislike")
        answer(requirement, viewer, "expect", "dislike")
        services.requirement_promote(requirement=requirement, actor=owner)


def _queries(fn, bound: int, assert_max) -> int:
    with assert_max(bound), CaptureQueriesContext(connection) as captured:
        response = fn()
    assert response.status_code == 200
    return len(captured)


def test_backlog_queries_do_not_grow_with_the_backlog(
    client, project, owner, member, viewer, gmv, django_assert_max_num_queries
):
    people = (owner, member, viewer)
    BacklogView.objects.create(project=project, owner=member, name="我的", query="moscow=must")
    client.force_login(member)
    _fill(project, people, gmv, 0, 10)

    def page():
        return client.get(url("backlog"))

    def fragment():
        return client.get(f"{url('backlog')}?moscow=must&sort=rice", **RESULTS)

    small = (
        _queries(page, BACKLOG_BUDGET, django_assert_max_num_queries),
        _queries(fragment, RESULTS_BUDGET, django_assert_max_num_queries),
    )
    _fill(project, people, gmv, 10, 200)
    big = (
        _queries(page, BACKLOG_BUDGET, django_assert_max_num_queries),
        _queries(fragment, RESULTS_BUDGET, django_assert_max_num_queries),
    )

    assert big == small
    html = html_of(page())
    assert len(keys_shown(html)) == PAGE_SIZE
    # each row carries its chip and its work-item progress
    assert len(with_class(html, "span", "badge-kpi")) == PAGE_SIZE
    assert "▣ 0/1" in html


# ---------------------------------------------------------------- inline edit


def test_inline_edit_saves_and_returns_the_row(client, backlog, member):
    client.force_login(member)
    r4 = backlog[3]

    response = client.post(url("inline", r4.number), {"field": "moscow", "value": "should"}, **HTMX)

    assert response.status_code == 200
    html = html_of(response).strip()
    assert html.startswith(f'<tr id="req-{r4.pk}"')
    assert html.endswith("</tr>")
    assert keys_shown(html) == ["MALL-R4"]
    assert chosen(row(html, "MALL-R4"), "moscow") == "should"
    assert "requirements-changed" in json.loads(response["HX-Trigger"])
    r4.refresh_from_db()
    assert r4.moscow == "should"
    assert Activity.objects.filter(verb="requirement.updated", actor=member).count() == 1


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("priority", "P0", "P0"),
        ("kano", "", ""),
        ("phase", "3", 3),
        ("phase", "", None),
        ("status", "in_progress", "in_progress"),
    ],
)
def test_inline_edit_of_each_field(client, backlog, member, field, value, stored):
    client.force_login(member)

    response = client.post(url("inline", 1), {"field": field, "value": value}, **HTMX)

    assert response.status_code == 200
    assert getattr(Requirement.objects.get(pk=backlog[0].pk), field) == stored
    assert chosen(row(html_of(response), "MALL-R1"), field) == ("" if stored is None else value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("moscow", "maybe"),
        ("priority", "P9"),
        ("kano", "delightful"),
        ("status", "archived"),
        ("phase", "abc"),
        ("phase", "0"),
        ("phase", "100"),
        ("title", "新标题"),
        ("rank", "1"),
    ],
)
def test_inline_bad_value_is_a_400_row_with_the_error_in_place(
    client, backlog, member, field, value
):
    client.force_login(member)
    before = state()

    response = client.post(url("inline", 1), {"field": field, "value": value}, **HTMX)

    assert response.status_code == 400
    html = html_of(response).strip()
    assert html.startswith(f'<tr id="req-{backlog[0].pk}"')
    (error,) = [el for el in find_all(html, "div") if attr(el, "role") == "alert"]
    assert text(error)
    # the row still shows what is stored, and nothing was written
    first = row(html, "MALL-R1")
    assert (chosen(first, "moscow"), chosen(first, "phase"), chosen(first, "status")) == (
        "must",
        "1",
        "triaged",
    )
    assert "HX-Trigger" not in response
    assert state() == before


def test_inline_reject_without_reason_asks_for_one(client, backlog, member):
    client.force_login(member)
    before = state()

    response = client.post(url("inline", 1), {"field": "status", "value": "rejected"}, **HTMX)

    assert response.status_code == 400
    html = html_of(response)
    (error,) = find_all(html, "div", data_error_field="rejection_reason")
    assert text(error)
    (reason_form,) = with_class(html, "form", "inline-reason")
    assert attr(reason_form, "hx-post") == url("inline", 1)
    assert find_all(str(reason_form), "input", name="rejection_reason")
    hidden = {attr(i, "name"): attr(i, "value") for i in find_all(str(reason_form), "input")}
    assert (hidden["field"], hidden["value"]) == ("status", "rejected")
    assert chosen(row(html, "MALL-R1"), "status") == "triaged"
    assert state() == before


def test_inline_reject_with_reason_rejects(client, backlog, member):
    client.force_login(member)

    response = client.post(
        url("inline", 1),
        {"field": "status", "value": "rejected", "rejection_reason": "与大促冲突"},
        **HTMX,
    )

    assert response.status_code == 200
    assert chosen(row(html_of(response), "MALL-R1"), "status") == "rejected"
    r1 = Requirement.objects.get(pk=backlog[0].pk)
    assert (r1.status, r1.rejection_reason) == ("rejected", "与大促冲突")


def test_inline_status_change_that_needs_triage_first_is_refused(client, backlog, member):
    # R4 is new, without MoSCoW or priority
    client.force_login(member)
    before = state()

    response = client.post(url("inline", 4), {"field": "status", "value": "planned"}, **HTMX)

    assert response.status_code == 400
    assert [attr(e, "data-error-field") for e in having(html_of(response), "div", "role")] == [
        "moscow"
    ]
    assert state() == before


def test_inline_edit_keeps_the_drag_handle_when_asked(client, backlog, member):
    client.force_login(member)

    dragging = client.post(
        url("inline", 1), {"field": "priority", "value": "P2", "draggable": "1"}, **HTMX
    )
    sorted_by_score = client.post(url("inline", 1), {"field": "priority", "value": "P3"}, **HTMX)

    assert with_class(html_of(dragging), "span", "drag-handle")
    assert with_class(html_of(sorted_by_score), "span", "drag-handle") == []


# ---------------------------------------------------------------- bulk edit


def _bulk(client, ids, **fields):
    return client.post(url("bulk"), {"ids": [str(i) for i in ids], **fields}, **HTMX)


def _bulk_result(response) -> tuple[str, str]:
    (span,) = having(html_of(response), "span", "data-bulk-result")
    return attr(span, "data-bulk-result"), text(span)


def test_bulk_edit_updates_all_selected(client, backlog, member):
    client.force_login(member)
    r1, r2, r3 = backlog[:3]

    response = _bulk(client, [r1.pk, r2.pk, r3.pk], moscow="could", phase="3", add_tags="双11")

    assert response.status_code == 200
    kind, message = _bulk_result(response)
    assert kind == "ok"
    assert "3" in message
    assert "requirements-bulk-changed" in json.loads(response["HX-Trigger"])
    got = Requirement.objects.filter(pk__in=[r1.pk, r2.pk, r3.pk]).order_by("rank")
    assert [(r.moscow, r.phase, r.tags) for r in got] == [
        ("could", 3, ["大促", "双11"]),
        ("could", 3, ["会员", "双11"]),
        ("could", 3, ["双11"]),
    ]
    # the others are untouched
    assert Requirement.objects.get(pk=backlog[4].pk).moscow == "wont"


def test_bulk_edit_refuses_all_when_one_cannot_take_the_change(client, backlog, member):
    # R4 is new: it cannot be "done" without triage; R1 could
    client.force_login(member)
    before = state()

    response = _bulk(client, [backlog[0].pk, backlog[3].pk], status="done")

    assert response.status_code == 400
    kind, message = _bulk_result(response)
    assert kind == "error"
    assert "MALL-R4" in message
    assert "MALL-R1" not in message
    assert "HX-Trigger" not in response
    assert state() == before


@pytest.mark.parametrize(
    "data",
    [
        {"moscow": "must"},  # nothing selected
        {"ids": ["abc"], "moscow": "must"},
        {"ids": "SELECTED", "rejection_reason": ""},  # nothing to change
        {"ids": "SELECTED"},
        {"ids": "SELECTED", "moscow": "maybe"},
        {"ids": "SELECTED", "phase": "0"},
        {"ids": "SELECTED", "status": "rejected"},  # without a reason
        {"ids": "FOREIGN", "priority": "P0"},  # another project's requirement
    ],
)
def test_bulk_edit_bad_request_is_a_400_with_a_message(client, backlog, member, owner, data):
    other = make_project(owner=owner, key="SHOP")
    foreign = make_requirement(other, title="别的项目")
    data = dict(data)
    if data.get("ids") == "SELECTED":
        data["ids"] = [str(backlog[0].pk), str(backlog[1].pk)]
    elif data.get("ids") == "FOREIGN":
        data["ids"] = [str(backlog[0].pk), str(foreign.pk)]
    client.force_login(member)
    before = state()

    response = client.post(url("bulk"), data, **HTMX)

    assert response.status_code == 400
    kind, message = _bulk_result(response)
    assert kind == "error"
    assert message
    assert state() == before


def test_bulk_reject_with_a_reason(client, backlog, member):
    client.force_login(member)

    response = _bulk(
        client, [backlog[0].pk, backlog[3].pk], status="rejected", rejection_reason="预算不足"
    )

    assert response.status_code == 200
    assert list(
        Requirement.objects.filter(pk__in=[backlog[0].pk, backlog[3].pk]).values_list(
            "status", "rejection_reason"
        )
    ) == [("rejected", "预算不足"), ("rejected", "预算不足")]


# ---------------------------------------------------------------- reorder


def test_drag_between_two_rows_reorders(client, backlog, member):
    client.force_login(member)
    r1, r2, _r3, _r4, r5, _r6 = backlog

    response = client.post(
        url("reorder"), {"requirement": r5.pk, "after": r1.pk, "before": r2.pk}, **HTMX
    )

    assert response.status_code == 204
    assert backlog_keys(r1.project) == [
        "MALL-R1",
        "MALL-R5",
        "MALL-R2",
        "MALL-R3",
        "MALL-R4",
        "MALL-R6",
    ]
    assert keys_shown(client.get(url("backlog")))[:3] == ["MALL-R1", "MALL-R5", "MALL-R2"]


def test_drag_to_the_top_and_to_the_bottom(client, backlog, member):
    client.force_login(member)
    r1, _r2, r3, _r4, _r5, r6 = backlog

    top = client.post(url("reorder"), {"requirement": r3.pk, "before": r1.pk}, **HTMX)
    bottom = client.post(url("reorder"), {"requirement": r1.pk, "after": r6.pk}, **HTMX)

    assert (top.status_code, bottom.status_code) == (204, 204)
    assert backlog_keys(r1.project) == [
        "MALL-R3",
        "MALL-R2",
        "MALL-R4",
        "MALL-R5",
        "MALL-R6",
        "MALL-R1",
    ]


@pytest.mark.parametrize("stale", ["requirement", "after", "before", "foreign", "itself"])
def test_drag_with_a_stale_row_is_refused_and_moves_nothing(client, backlog, member, owner, stale):
    gone = make_requirement(backlog[0].project, title="刚被删掉")
    gone_pk = gone.pk
    services.requirement_delete(requirement=gone, actor=owner)
    foreign = make_requirement(make_project(owner=owner, key="SHOP"), title="别的项目")
    r1, r2, r3 = backlog[:3]
    data = {"requirement": r3.pk, "after": r1.pk, "before": r2.pk}
    if stale == "foreign":
        data["requirement"] = foreign.pk
    elif stale == "itself":
        data["after"] = r3.pk
    else:
        data[stale] = gone_pk
    client.force_login(member)
    order = backlog_keys(r1.project)

    response = client.post(url("reorder"), data, **HTMX)

    assert response.status_code == 400
    trigger = json.loads(response["HX-Trigger"])
    assert trigger["backlog-reorder-refused"]["message"]
    assert response.content.decode() == trigger["backlog-reorder-refused"]["message"]
    assert backlog_keys(r1.project) == order


# ---------------------------------------------------------------- saved views


def _saved_views(html: str) -> list[str]:
    return [attr(a, "data-view") for a in having(html, "a", "data-view")]


def test_save_a_view_and_come_back_to_it(client, backlog, member):
    client.force_login(member)

    response = client.post(
        url("view_save"), {"name": "本期 Must", "query": "moscow=must&sort=rice"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{url('backlog')}?moscow=must&sort=rice"
    page = client.get(response["Location"])
    html = html_of(page)
    assert keys_shown(html) == ["MALL-R1"]
    assert _saved_views(html) == ["本期 Must"]
    (link,) = find_all(html, "a", data_view="本期 Must")
    assert attr(link, "href") == "?moscow=must&sort=rice"
    assert flashes(page)


def test_saving_under_the_same_name_overwrites(client, backlog, member):
    client.force_login(member)

    client.post(url("view_save"), {"name": "我的", "query": "moscow=must"})
    client.post(url("view_save"), {"name": "我的", "query": "status=new", "shared": "on"})

    (view,) = BacklogView.objects.all()
    assert (view.name, view.query, view.shared, view.owner) == ("我的", "status=new", True, member)


def test_a_viewer_saves_private_views_only(client, backlog, viewer, member):
    client.force_login(viewer)

    response = client.post(
        url("view_save"), {"name": "老板看板", "query": "priority=P0", "shared": "on"}
    )

    assert response.status_code == 302
    (view,) = BacklogView.objects.all()
    assert (view.owner, view.shared) == (viewer, False)
    client.force_login(member)
    assert _saved_views(html_of(client.get(url("backlog")))) == []


def test_saved_views_list_shows_own_and_shared_views_only(client, project, backlog, member, viewer):
    someone = add_member(project, UserFactory(username="someone"))
    BacklogView.objects.create(project=project, owner=member, name="A 我的私有", query="q=1")
    BacklogView.objects.create(project=project, owner=someone, name="B 团队共享", shared=True)
    BacklogView.objects.create(project=project, owner=someone, name="C 别人私有")
    BacklogView.objects.create(project=project, owner=viewer, name="D 观察者私有")
    other = make_project(owner=project.owner, key="SHOP")
    BacklogView.objects.create(project=other, owner=member, name="E 别的项目", shared=True)
    client.force_login(member)

    html = html_of(client.get(url("backlog")))

    assert _saved_views(html) == ["A 我的私有", "B 团队共享"]
    # only one's own view has a delete button
    deletes = [
        attr(f, "action") for f in find_all(html, "form") if "/delete/" in (attr(f, "action") or "")
    ]
    assert deletes == [url("view_delete", BacklogView.objects.get(name="A 我的私有").pk)]


def test_a_view_without_a_name_is_not_saved(client, backlog, member):
    client.force_login(member)

    response = client.post(url("view_save"), {"name": "  ", "query": "moscow=must"}, follow=True)

    assert BacklogView.objects.count() == 0
    assert response.redirect_chain[-1][0] == f"{url('backlog')}?moscow=must"
    assert flashes(response)


def test_delete_own_view(client, project, backlog, member):
    view = BacklogView.objects.create(project=project, owner=member, name="我的")
    client.force_login(member)

    response = client.post(url("view_delete", view.pk), follow=True)

    assert response.redirect_chain[-1][0] == url("backlog")
    assert not BacklogView.objects.exists()
    assert _saved_views(html_of(response)) == []


def test_deleting_someone_elses_view_is_refused(client, project, backlog, owner, member):
    view = BacklogView.objects.create(project=project, owner=owner, name="PM 共享", shared=True)
    client.force_login(member)

    response = client.post(url("view_delete", view.pk), follow=True)

    assert response.status_code == 200
    assert BacklogView.objects.filter(pk=view.pk).exists()
    assert flashes(response)
    assert _saved_views(html_of(response)) == ["PM 共享"]


def test_a_view_of_another_project_is_404(client, project, backlog, owner, member):
    other = make_project(owner=owner, key="SHOP")
    add_member(other, member)
    view = BacklogView.objects.create(project=other, owner=member, name="别处")
    client.force_login(member)

    response = client.post(url("view_delete", view.pk))

    assert response.status_code == 404
    assert BacklogView.objects.filter(pk=view.pk).exists()


# ---------------------------------------------------------------- create and edit


def form_data(**overrides) -> dict[str, str]:
    return {
        "title": "新人礼包",
        "description": "新用户首单送 **尿不湿试用装**",
        "source_department": "marketing",
        "requester": "市场部 小刘",
        "moscow": "",
        "kano": "",
        "priority": "",
        "phase": "",
        "tags": "新客, 大促",
        "target_date": "",
        "reach": "2000",
        "impact": "2",
        "confidence": "50",
        "effort": "4",
        "business_value": "8",
        "time_criticality": "3",
        "risk_reduction": "1",
        "job_size": "3",
        **overrides,
    }


def test_member_adds_a_requirement_and_lands_on_it(client, project, member):
    client.force_login(member)

    response = client.post(url("create"), form_data())

    requirement = Requirement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", requirement.number)
    assert (requirement.key, requirement.status, requirement.tags) == (
        "MALL-R1",
        "new",
        ["新客", "大促"],
    )
    assert (requirement.rice_score, requirement.wsjf_score) == (D("500.00"), D("4.00"))
    assert requirement.created_by == member
    detail = client.get(response["Location"])
    assert flashes(detail)
    assert text(having(html_of(detail), "div", "data-rice")[0]) == "500"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "   "),
        ("impact", "4"),
        ("impact", "0.3"),
        ("effort", "0"),
        ("effort", "-1"),
        ("confidence", "101"),
        ("reach", "-5"),
        ("business_value", "4"),
        ("time_criticality", "0"),
        ("job_size", "21"),
        ("phase", "0"),
        ("moscow", "maybe"),
        ("tags", "a|b"),
        ("target_date", "明天"),
    ],
)
def test_bad_form_input_shows_a_field_error_and_writes_nothing(
    client, project, member, field, value
):
    client.force_login(member)
    before = state()

    response = client.post(url("create"), form_data(**{field: value}))

    assert response.status_code == 200
    assert field_errors(response, field)
    assert state() == before
    if field != "title":
        # what was typed stays in the form
        (title,) = find_all(html_of(response), "input", name="title")
        assert attr(title, "value") == "新人礼包"


def test_add_and_add_another_returns_to_an_empty_form(client, project, member):
    client.force_login(member)

    response = client.post(url("create"), form_data(another="1"), follow=True)

    assert response.redirect_chain == [(url("create"), 302)]
    assert Requirement.objects.count() == 1
    assert flashes(response)
    (title,) = find_all(html_of(response), "input", name="title")
    assert attr(title, "value") is None


def test_a_new_requirement_goes_to_the_bottom_or_the_top(client, backlog, member):
    client.force_login(member)

    client.post(url("create"), form_data(title="放最后"))
    client.post(url("create"), form_data(title="放最前", position="top"))

    keys = keys_shown(client.get(url("backlog")))
    assert keys[0] == "MALL-R8"
    assert keys[-1] == "MALL-R7"


def test_edit_form_shows_the_stored_values_and_saves(client, backlog, member):
    client.force_login(member)

    page = html_of(client.get(url("edit", 1)))
    (tags,) = find_all(page, "input", name="tags")
    (impact,) = find_all(page, "select", name="impact")
    assert attr(tags, "value") == "大促"
    assert [attr(o, "value") for o in find_all(str(impact), "option") if _has(o, "selected")] == [
        "2"
    ]

    response = client.post(
        url("edit", 1),
        form_data(title="购物车凑单提醒 v2", moscow="should", priority="P2", phase="2", effort="8"),
    )

    assert response.status_code == 302
    assert response["Location"] == url("detail", 1)
    r1 = Requirement.objects.get(pk=backlog[0].pk)
    assert (r1.title, r1.moscow, r1.priority, r1.phase, r1.status) == (
        "购物车凑单提醒 v2",
        "should",
        "P2",
        2,
        "triaged",
    )
    assert r1.rice_score == D("250.00")  # 2000 × 2 × 50 % ÷ 8


def test_edit_that_breaks_a_rule_shows_the_error_and_keeps_the_requirement(client, backlog, member):
    # R1 is triaged: it cannot lose its MoSCoW
    client.force_login(member)
    before = state()

    response = client.post(url("edit", 1), form_data(moscow="", priority="P1"))

    assert response.status_code == 200
    assert field_errors(response, "moscow")
    assert state() == before


# ---------------------------------------------------------------- the detail page


def test_description_markdown_is_rendered_and_sanitised(client, project, member):
    make_requirement(
        project,
        title="富文本",
        description="**加粗**\n\n<script>alert('xss')</script>\n\n[link](javascript:alert(1))",
    )
    client.force_login(member)

    html = html_of(client.get(url("detail", 1)))

    assert not [s for s in find_all(html, "script") if "alert" in text(s)]
    assert "<script>alert" not in html
    assert 'href="javascript:' not in html
    assert [text(s) for s in find_all(html, "strong") if text(s) == "加粗"] == ["加粗"]


def test_detail_shows_the_scoring_panel(client, backlog, member):
    answer(backlog[0], member, "like", "dislike")  # O
    client.force_login(member)

    html = html_of(client.get(url("detail", 1)))

    assert text(having(html, "div", "data-rice")[0]) == "400"
    assert text(having(html, "div", "data-wsjf")[0]) == "3.20"
    assert "1000 × 2 × 80% ÷ 4" in html
    assert "(8 + 5 + 3) ÷ 5" in html
    (verdict,) = having(html, "strong", "data-survey-category")
    assert attr(verdict, "data-survey-category") == "performance"
    assert [attr(li, "data-kpi") for li in having(html, "li", "data-kpi")] == [
        "gmv",
        "conversion_rate",
    ]
    (status,) = having(html, "span", "data-status")
    assert attr(status, "data-status") == "triaged"


def test_detail_without_scores_says_what_is_missing(client, backlog, member):
    client.force_login(member)

    html = html_of(client.get(url("detail", 4)))

    assert text(having(html, "div", "data-rice")[0]) == "—"
    assert text(having(html, "div", "data-wsjf")[0]) == "—"
    assert having(html, "strong", "data-survey-category") == []


def test_link_a_kpi_from_the_detail_page(client, backlog, member, owner):
    dau = KPIFactory(actor=owner, project=backlog[0].project, code="dau", unit="count", name="日活")
    client.force_login(member)

    response = client.post(
        url("kpi_link", 4), {"kpi": str(dau.pk), "expected_change": "3000", "note": "导出提效"}
    )

    assert response.status_code == 302
    assert response["Location"] == url("detail", 4) + "#kpis"
    (link,) = RequirementKPI.objects.filter(requirement=backlog[3])
    assert (link.kpi, link.expected_change, link.note) == (dau, D("3000"), "导出提效")
    html = html_of(client.get(url("detail", 4)))
    (li,) = find_all(html, "li", data_kpi="dau")
    assert "+3000" in text(li)


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("kpi", {"kpi": "FOREIGN", "expected_change": "1"}),
        ("kpi", {"kpi": "999999", "expected_change": "1"}),
        ("kpi", {"expected_change": "1"}),
        ("expected_change", {"kpi": "GMV", "expected_change": "很多"}),
        ("expected_change", {"kpi": "GMV"}),
    ],
)
def test_a_bad_kpi_link_is_a_field_error(client, backlog, member, owner, gmv, field, data):
    other = make_project(owner=owner, key="SHOP")
    foreign = KPIFactory(actor=owner, project=other, code="gmv", unit="money", name="别处 GMV")
    data = {k: {"FOREIGN": str(foreign.pk), "GMV": str(gmv.pk)}.get(v, v) for k, v in data.items()}
    client.force_login(member)
    before = state()

    response = client.post(url("kpi_link", 4), data)

    assert response.status_code == 400
    assert field_errors(response, field)
    assert state() == before


def test_unlink_a_kpi(client, backlog, member, gmv):
    link = RequirementKPI.objects.get(requirement=backlog[0], kpi=gmv)
    client.force_login(member)

    response = client.post(url("kpi_unlink", 1, link.pk))

    assert response.status_code == 302
    assert response["Location"] == url("detail", 1) + "#kpis"
    html = html_of(client.get(url("detail", 1)))
    assert [attr(li, "data-kpi") for li in having(html, "li", "data-kpi")] == ["conversion_rate"]


def test_unlinking_another_requirements_link_is_404(client, backlog, member):
    link = RequirementKPI.objects.filter(requirement=backlog[1]).get()
    client.force_login(member)

    response = client.post(url("kpi_unlink", 1, link.pk))

    assert response.status_code == 404
    assert RequirementKPI.objects.filter(pk=link.pk).exists()


def test_comment_on_a_requirement(client, backlog, member):
    client.force_login(member)

    response = client.post(url("comment", 1), {"body": "和 **大促** 一起上线"})

    assert response.status_code == 302
    assert response["Location"] == url("detail", 1) + "#comments"
    html = html_of(client.get(url("detail", 1)))
    (comment,) = having(html, "li", "data-comment")
    assert "李雷" in text(comment)
    assert find_all(str(comment), "strong")


@pytest.mark.parametrize("body", ["", "   \n "])
def test_an_empty_comment_is_a_field_error(client, backlog, member, body):
    client.force_login(member)
    before = state()

    response = client.post(url("comment", 1), {"body": body})

    assert response.status_code == 400
    assert field_errors(response, "body")
    assert state() == before


def test_promote_creates_stories_and_plans_the_requirement(client, backlog, member):
    client.force_login(member)

    response = client.post(
        url("promote", 1), {"titles": "凑单提醒前端\n凑单提醒接口\n", "story_points": "3"}
    )

    assert response.status_code == 302
    assert response["Location"] == url("detail", 1) + "#work-items"
    items = list(WorkItem.objects.order_by("number"))
    assert [
        (i.title, i.type, i.story_points, i.requirement_link.requirement_id) for i in items
    ] == [
        ("凑单提醒前端", "story", 3, backlog[0].pk),
        ("凑单提醒接口", "story", 3, backlog[0].pk),
    ]
    assert Requirement.objects.get(pk=backlog[0].pk).status == "planned"
    page = client.get(response["Location"])
    assert [attr(tr, "data-item") for tr in having(html_of(page), "tr", "data-item")] == [
        "MALL-1",
        "MALL-2",
    ]
    assert flashes(page)
    # the backlog row shows the progress of its work items
    assert "▣ 0/2" in text(row(html_of(client.get(url("backlog"))), "MALL-R1"))


def test_promote_without_titles_makes_one_story_named_after_the_requirement(
    client, backlog, member
):
    client.force_login(member)

    client.post(url("promote", 1), {})

    assert list(WorkItem.objects.values_list("title", flat=True)) == ["购物车凑单提醒"]


@pytest.mark.parametrize("number", [4, 6])  # new; rejected
def test_promote_of_an_untriaged_or_rejected_requirement_is_an_error(
    client, backlog, member, number
):
    client.force_login(member)
    before = state()

    response = client.post(url("promote", number), {})

    assert response.status_code == 400
    (errors,) = with_class(html_of(response), "div", "form-errors")
    assert text(errors)
    assert state() == before


def test_reject_from_the_detail_page(client, backlog, member):
    client.force_login(member)

    response = client.post(url("reject", 2), {"rejection_reason": "会员体系重做后再议"})

    assert response.status_code == 302
    r2 = Requirement.objects.get(pk=backlog[1].pk)
    assert (r2.status, r2.rejection_reason) == ("rejected", "会员体系重做后再议")
    html = html_of(client.get(url("detail", 2)))
    assert "会员体系重做后再议" in html
    # no more reject or promote forms on a rejected requirement
    assert url("reject", 2) not in html
    assert url("promote", 2) not in html


def test_reject_without_a_reason_is_a_field_error(client, backlog, member):
    client.force_login(member)
    before = state()

    response = client.post(url("reject", 2), {"rejection_reason": "  "})

    assert response.status_code == 400
    assert field_errors(response, "rejection_reason")
    assert state() == before


def test_owner_deletes_a_requirement(client, backlog, owner):
    client.force_login(owner)

    response = client.post(url("delete", 4), follow=True)

    assert response.redirect_chain == [(url("backlog"), 302)]
    assert "MALL-R4" not in keys_shown(response)
    assert not Requirement.objects.filter(pk=backlog[3].pk).exists()
    assert Activity.objects.filter(verb="requirement.deleted").count() == 1


def test_owner_deletes_over_htmx_and_is_sent_to_the_backlog(client, backlog, owner):
    client.force_login(owner)

    response = client.post(url("delete", 4), **HTMX)

    assert response["HX-Redirect"] == url("backlog")
    assert not Requirement.objects.filter(pk=backlog[3].pk).exists()


def test_member_cannot_delete_a_requirement(client, backlog, member):
    client.force_login(member)
    before = state()

    response = client.post(url("delete", 4))

    assert response.status_code == 403
    assert state() == before


def test_delete_button_only_for_the_owner(client, backlog, owner, member):
    client.force_login(member)
    assert url("delete", 1) not in html_of(client.get(url("detail", 1)))

    client.force_login(owner)
    assert url("delete", 1) in html_of(client.get(url("detail", 1)))


def test_viewer_sees_the_detail_without_forms(client, backlog, viewer):
    client.force_login(viewer)

    html = html_of(client.get(url("detail", 1)))

    for name in ("edit", "kpi_link", "comment", "promote", "reject", "delete"):
        assert url(name, 1) not in html
    assert [attr(li, "data-kpi") for li in having(html, "li", "data-kpi")] == [
        "gmv",
        "conversion_rate",
    ]
    # the survey is open to everyone in the project
    assert url("survey", 1) in html


def test_unknown_requirement_is_404(client, backlog, member):
    client.force_login(member)

    assert client.get(url("detail", 99)).status_code == 404
    assert client.post(url("inline", 99), {"field": "moscow", "value": "must"}).status_code == 404


# ---------------------------------------------------------------- Kano survey


def _tally(html: str) -> dict[str, int]:
    return {
        attr(tr, "data-class"): int(text(find_all(str(tr), "strong")[0]))
        for tr in having(html, "tr", "data-class")
    }


def _answers_shown(html: str) -> list[str]:
    return [attr(tr, "data-answer") for tr in having(html, "tr", "data-answer")]


def test_member_answers_the_survey_and_sees_the_tally(client, backlog, member):
    client.force_login(member)

    response = client.post(url("survey", 1), {"functional": "like", "dysfunctional": "dislike"})

    assert response.status_code == 302
    assert response["Location"] == url("survey", 1)
    page = client.get(response["Location"])
    html = html_of(page)
    assert flashes(page)
    assert _tally(html) == {"A": 0, "O": 1, "M": 0, "I": 0, "R": 0, "Q": 0}
    (verdict,) = having(html, "strong", "data-survey-category")
    assert attr(verdict, "data-survey-category") == "performance"
    (mine,) = KanoResponse.objects.all()
    assert (mine.respondent, mine.recorded_by) == (member, member)


def test_the_survey_form_shows_my_earlier_answer(client, backlog, member):
    answer(backlog[0], member, "like", "dislike")
    client.force_login(member)

    html = html_of(client.get(url("survey", 1)))

    checked = [
        attr(i, "value") for i in find_all(html, "input", type="radio") if _has(i, "checked")
    ]
    assert checked == ["like", "dislike"]


def test_answering_again_replaces_the_answer(client, backlog, member):
    client.force_login(member)

    client.post(url("survey", 1), {"functional": "like", "dysfunctional": "dislike"})
    client.post(url("survey", 1), {"functional": "expect", "dysfunctional": "dislike"})

    html = html_of(client.get(url("survey", 1)))
    assert KanoResponse.objects.count() == 1
    assert _tally(html) == {"A": 0, "O": 0, "M": 1, "I": 0, "R": 0, "Q": 0}
    assert text(having(html, "dd", "data-better")[0]) == "0.0"
    assert text(having(html, "dd", "data-worse")[0]) == "-1.0"


def test_member_records_a_customers_answer_besides_their_own(client, backlog, member):
    client.force_login(member)

    client.post(url("survey", 1), {"functional": "like", "dysfunctional": "dislike"})
    client.post(
        url("survey", 1),
        {"functional": "like", "dysfunctional": "neutral", "respondent_name": "宝妈 王女士"},
    )

    assert KanoResponse.objects.count() == 2
    customer = KanoResponse.objects.get(respondent_name="宝妈 王女士")
    assert (customer.respondent, customer.recorded_by) == (None, member)
    html = html_of(client.get(url("survey", 1)))
    assert "宝妈 王女士" in html
    assert _tally(html)["A"] == 1


def test_viewer_answers_for_themself(client, backlog, viewer):
    client.force_login(viewer)

    response = client.post(url("survey", 1), {"functional": "neutral", "dysfunctional": "dislike"})

    assert response.status_code == 302
    (mine,) = KanoResponse.objects.all()
    assert mine.respondent == viewer
    html = html_of(client.get(url("survey", 1)))
    # a viewer is not offered to record other people's answers
    assert find_all(html, "input", name="respondent_name") == []


def test_viewer_cannot_record_someone_elses_answer(client, backlog, viewer):
    client.force_login(viewer)
    before = state()

    response = client.post(
        url("survey", 1),
        {"functional": "like", "dysfunctional": "dislike", "respondent_name": "路人"},
    )

    assert response.status_code == 400
    assert state() == before


def test_viewer_recording_someone_elses_answer_is_told_why(client, backlog, viewer):
    client.force_login(viewer)

    response = client.post(
        url("survey", 1),
        {"functional": "like", "dysfunctional": "dislike", "respondent_name": "路人"},
    )

    assert [e for e in find_all(html_of(response)) if attr(e, "role") == "alert"]


@pytest.mark.parametrize(
    ("data", "question"),
    [
        ({"functional": "love", "dysfunctional": "dislike"}, "functional"),
        ({"functional": "like", "dysfunctional": ""}, "dysfunctional"),
        ({"functional": "like"}, "dysfunctional"),
    ],
)
def test_a_bad_answer_is_a_400_with_the_error_on_its_question(
    client, backlog, member, data, question
):
    client.force_login(member)
    before = state()

    response = client.post(url("survey", 1), data)

    assert response.status_code == 400
    (fieldset,) = find_all(html_of(response), "fieldset", data_question=question)
    assert "has-error" in attr(fieldset, "class")
    assert text(with_class(str(fieldset), "div", "errorlist")[0])
    assert state() == before


@pytest.fixture
def surveyed(backlog, owner, member, viewer):
    """R1's answers: O, A, M, A (a customer), Q (a customer)."""
    r1 = backlog[0]
    answers = {
        "owner": answer(r1, owner, "like", "dislike"),
        "member": answer(r1, member, "like", "neutral"),
        "viewer": answer(r1, viewer, "expect", "dislike"),
        "customer": answer(r1, owner, "like", "expect", name="客户 A"),
        "angry": answer(r1, owner, "dislike", "dislike", name="客户 B"),
    }
    return answers


def test_survey_results_show_counts_category_and_coefficients(client, surveyed, viewer):
    client.force_login(viewer)

    html = html_of(client.get(url("survey", 1)))

    assert _tally(html) == {"A": 2, "O": 1, "M": 1, "I": 0, "R": 0, "Q": 1}
    (verdict,) = having(html, "strong", "data-survey-category")
    assert attr(verdict, "data-survey-category") == "attractive"
    assert text(having(html, "dd", "data-better")[0]) == "0.75"  # (2 + 1) / 4
    assert text(having(html, "dd", "data-worse")[0]) == "-0.5"  # −(1 + 1) / 4
    assert len(_answers_shown(html)) == 5
    # the PM's call (performance) is shown beside the differing verdict
    (line,) = with_class(html, "p", "survey-verdict")
    assert with_class(str(line), "span", "muted")


def test_survey_without_answers_says_so(client, backlog, member):
    client.force_login(member)

    html = html_of(client.get(url("survey", 2)))

    assert _tally(html) == {}
    assert having(html, "strong", "data-survey-category") == []


def test_delete_own_answer(client, surveyed, viewer):
    mine = surveyed["viewer"]
    client.force_login(viewer)

    response = client.post(url("survey_delete", 1, mine.pk), follow=True)

    assert response.redirect_chain == [(url("survey", 1), 302)]
    assert not KanoResponse.objects.filter(pk=mine.pk).exists()
    assert str(mine.pk) not in _answers_shown(html_of(response))


def test_viewer_cannot_delete_someone_elses_answer(client, surveyed, viewer):
    theirs = surveyed["member"]
    client.force_login(viewer)
    before = state()

    response = client.post(url("survey_delete", 1, theirs.pk), follow=True)

    assert KanoResponse.objects.filter(pk=theirs.pk).exists()
    assert state() == before
    assert flashes(response)
    # the remove button is on the viewer's own answer only
    html = html_of(response)
    assert [
        attr(f, "action") for f in find_all(html, "form") if "/delete/" in (attr(f, "action") or "")
    ] == [url("survey_delete", 1, surveyed["viewer"].pk)]


def test_member_removes_anyones_answer(client, surveyed, member):
    client.force_login(member)

    client.post(url("survey_delete", 1, surveyed["viewer"].pk))
    client.post(url("survey_delete", 1, surveyed["customer"].pk))

    assert sorted(KanoResponse.objects.values_list("pk", flat=True)) == sorted(
        [surveyed["owner"].pk, surveyed["member"].pk, surveyed["angry"].pk]
    )


def test_an_answer_of_another_requirement_is_404(client, surveyed, member):
    client.force_login(member)

    response = client.post(url("survey_delete", 2, surveyed["owner"].pk))

    assert response.status_code == 404
    assert KanoResponse.objects.count() == 5


def test_an_archived_project_refuses_answers(client, backlog, project, owner, member):
    project_services.project_update(project=project, actor=owner, archived=True)
    client.force_login(member)
    before = state()

    response = client.post(
        url("survey", 1), {"functional": "like", "dysfunctional": "dislike"}, follow=True
    )

    assert response.redirect_chain == [(url("survey", 1), 302)]
    assert state() == before
    assert flashes(response)
    assert with_class(html_of(response), "form", "kano-form") == []


def test_an_archived_project_keeps_its_answers(client, surveyed, project, owner, viewer):
    project_services.project_update(project=project, actor=owner, archived=True)
    client.force_login(viewer)

    client.post(url("survey_delete", 1, surveyed["viewer"].pk))

    assert KanoResponse.objects.filter(pk=surveyed["viewer"].pk).exists()


# ---------------------------------------------------------------- Kano overview


def test_kano_overview_lists_surveyed_requirements_with_the_chart_data(
    client, surveyed, backlog, member
):
    answer(backlog[2], member, "expect", "dislike")  # R3: M only
    answer(backlog[3], member, "dislike", "like")  # R4: R only, no coefficients
    client.force_login(member)

    html = html_of(client.get(url("kano")))

    points = {attr(tr, "data-point"): tr for tr in having(html, "tr", "data-point")}
    assert list(points) == ["MALL-R1", "MALL-R3"]
    r1_cells = [text(td) for td in find_all(str(points["MALL-R1"]), "td")]
    assert r1_cells[0] == "MALL-R1"
    assert r1_cells[3:] == ["0.75", "-0.5", "5"]
    r3_cells = [text(td) for td in find_all(str(points["MALL-R3"]), "td")]
    assert r3_cells[3:] == ["0.0", "-1.0", "1"]
    (link,) = find_all(str(points["MALL-R1"]), "a")
    assert attr(link, "href") == url("survey", 1)
    (data,) = find_all(html, "script", id="kano-points")
    chart = json.loads(text(data))
    assert [(p["key"], p["better"], p["worse"], p["category"]) for p in chart] == [
        ("MALL-R1", 0.75, -0.5, "attractive"),
        ("MALL-R3", 0.0, -1.0, "must_be"),
    ]
    assert find_all(html, "canvas", id="kano-chart")


def test_kano_overview_without_answers(client, backlog, member):
    client.force_login(member)

    html = html_of(client.get(url("kano")))

    assert find_all(html, "script", id="kano-points") == []
    assert having(html, "tr", "data-point") == []


# ---------------------------------------------------------------- auth matrix


@pytest.fixture
def world(project, owner, member, viewer, outsider, gmv, conversion):
    """MALL-R1 (triaged, GMV linked, the viewer's survey answer) and MALL-R2 (new)."""
    r1 = triaged(project, title="购物车凑单提醒")
    r2 = make_requirement(project, title="客服工单导出")
    link = services.requirement_kpi_link(requirement=r1, actor=owner, kpi=gmv, expected_change=1000)
    viewer_answer = answer(r1, viewer, "like", "dislike")
    return {
        "r1": r1,
        "r2": r2,
        "link": link,
        "viewer_answer": viewer_answer,
        "conversion": conversion,
    }


LOGIN = "login"
ROLES = ["owner", "member", "viewer", "outsider", "anonymous"]
READ = {"owner": 200, "member": 200, "viewer": 200, "outsider": 404, "anonymous": LOGIN}
WRITE_GET = {**READ, "viewer": 403}


def write(status: int) -> dict:
    return {"owner": status, "member": status, "viewer": 403, "outsider": 404, "anonymous": LOGIN}


def own(status: int) -> dict:
    """A write that is the user's own business (a saved view, a survey answer): viewers too."""
    return {**write(status), "viewer": status}


# (url name, method, url args, data, {role: status}); args and data may need the world.
MATRIX = [
    ("backlog", "get", (), None, READ),
    ("create", "get", (), None, WRITE_GET),
    ("create", "post", (), {"title": "新需求"}, write(302)),
    ("triage", "get", (), None, READ),
    ("kano", "get", (), None, READ),
    (
        "reorder",
        "post",
        (),
        lambda w: {"requirement": w["r2"].pk, "before": w["r1"].pk},
        write(204),
    ),
    ("bulk", "post", (), lambda w: {"ids": [w["r1"].pk], "priority": "P0"}, write(200)),
    ("view_save", "post", (), {"name": "我的视图", "query": "moscow=must"}, own(302)),
    ("view_delete", "post", lambda w: (w["view"].pk,), None, own(302)),
    ("detail", "get", (1,), None, READ),
    ("edit", "get", (1,), None, WRITE_GET),
    ("edit", "post", (1,), {"title": "改名", "moscow": "must", "priority": "P1"}, write(302)),
    ("inline", "post", (1,), {"field": "priority", "value": "P0"}, write(200)),
    ("triage_one", "post", (2,), {"moscow": "must", "priority": "P1"}, write(200)),
    ("reject", "post", (1,), {"rejection_reason": "不做了"}, write(302)),
    ("delete", "post", (1,), None, {**write(302), "member": 403}),
    ("survey", "get", (1,), None, READ),
    ("survey", "post", (1,), {"functional": "expect", "dysfunctional": "dislike"}, own(302)),
    ("survey_delete", "post", lambda w: (1, w["viewer_answer"].pk), None, own(302)),
    (
        "kpi_link",
        "post",
        (1,),
        lambda w: {"kpi": w["conversion"].pk, "expected_change": "1"},
        write(302),
    ),
    ("kpi_unlink", "post", lambda w: (1, w["link"].pk), None, write(302)),
    ("comment", "post", (1,), {"body": "好"}, write(302)),
    ("promote", "post", (1,), {}, write(302)),
]


def test_the_matrix_covers_every_url():
    names = {p.name for p in requirement_urls.urlpatterns} - {"export_csv", "import"}

    assert {name for name, *_ in MATRIX} == names


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "args", "data", "expected"),
    MATRIX,
    ids=[f"{name}-{method}" for name, method, *_ in MATRIX],
)
def test_every_url_by_role(request, client, world, owner, name, method, args, data, expected, who):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    if user is not None:
        client.force_login(user)
    # the saved view to delete is one's own (an outsider's would be in no project)
    world["view"] = BacklogView.objects.create(
        project=world["r1"].project,
        owner=user if who in ("owner", "member", "viewer") else owner,
        name="要删除的视图",
    )
    args = args(world) if callable(args) else args
    data = data(world) if callable(data) else data
    before = state()

    response = getattr(client, method)(url(name, *args), data or {})

    status = expected[who]
    if status == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:login"))
    else:
        assert response.status_code == status
    if method == "get" and status == 200 and name != "kano":
        assert "购物车凑单提醒" in html_of(response) or name in ("create", "triage")
    if method == "post":
        # a refused write changes nothing; an allowed one changes something
        assert (state() == before) == (status not in (200, 204, 302))


def test_post_only_urls_refuse_get(client, world, member):
    client.force_login(member)
    world["view"] = BacklogView.objects.create(project=world["r1"].project, owner=member, name="v")
    pages = {name for name, method, *_ in MATRIX if method == "get"}
    post_only = [(n, a) for n, method, a, *_ in MATRIX if method == "post" and n not in pages]

    for name, args in post_only:
        args = args(world) if callable(args) else args
        assert client.get(url(name, *args)).status_code == 405, name
    assert len(post_only) == 13


def test_staff_read_and_edit_any_backlog(client, world, staff):
    client.force_login(staff)

    page = client.get(url("backlog"))
    response = client.post(url("inline", 1), {"field": "priority", "value": "P0"}, **HTMX)

    assert keys_shown(page) == ["MALL-R1", "MALL-R2"]
    assert response.status_code == 200
    assert Requirement.objects.get(pk=world["r1"].pk).priority == "P0"


def test_an_archived_project_is_read_only_for_members(client, world, project, owner, member):
    project_services.project_update(project=project, actor=owner, archived=True)
    client.force_login(member)
    before = state()

    page = html_of(client.get(url("backlog")))
    inline = client.post(url("inline", 1), {"field": "priority", "value": "P0"}, **HTMX)

    assert find_all(page, "select", name="value") == []
    assert inline.status_code == 403
    assert state() == before
