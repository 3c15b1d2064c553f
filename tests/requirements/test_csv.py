"""The backlog's CSV export and import, as a PM uses them.

Export a backlog and import the file into another project: the same backlog comes out
(order, fields, tags, KPI links, statuses). An import checks every row first: one bad
cell and nothing is saved, the page lists each problem by spreadsheet row and column,
and offers to import only the good rows. Labels in either language are accepted, the
filtered export holds only what the backlog page shows, and the roles hold.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from portal.errors import ApplicationError
from portal.models import Activity
from requirements import csv_io
from requirements.models import Kano, MoSCoW, Requirement, RequirementKPI, Status
from requirements.selectors import requirement_backlog
from tests.metrics.factories import KPIFactory
from tests.portal.factories import UserFactory
from tests.projects.factories import make_project
from tests.requirements.factories import make_requirement

pytestmark = pytest.mark.django_db

COMPARED = [
    "title",
    "description",
    "status",
    "rejection_reason",
    "moscow",
    "kano",
    "priority",
    "phase",
    "tags",
    "source_department",
    "requester",
    "target_date",
    "reach",
    "impact",
    "confidence",
    "effort",
    "business_value",
    "time_criticality",
    "risk_reduction",
    "job_size",
    "rice_score",
    "wsjf_score",
]


# ---------------------------------------------------------------- helpers


def snapshot(project) -> list[tuple]:
    """The backlog as a user sees it: order, every field, KPI codes with their changes."""
    return [
        (
            *(getattr(r, name) for name in COMPARED),
            [(link.kpi.code, link.expected_change) for link in r.kpi_links.all()],
        )
        for r in requirement_backlog(project=project)
    ]


def to_csv(rows: list[dict[str, str]], columns: list[str] | None = None) -> str:
    """A sheet with the given columns (default: every key of the rows, in order)."""
    columns = columns or list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return buffer.getvalue()


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def upload(text: str | bytes, name: str = "backlog.csv") -> SimpleUploadedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def where(plan) -> list[tuple[int, str]]:
    return [(e.row, e.column) for e in plan.errors]


@pytest.fixture
def gmv(db):
    admin = UserFactory(username="kpi-admin", is_staff=True)
    return KPIFactory(actor=admin, code="gmv", name="Gmv", unit="money")


@pytest.fixture
def conversion(project):
    return KPIFactory(project=project, code="conversion_rate", name="Conversion Rate")


@pytest.fixture
def target(owner):
    """Another project of the same PM, with its own conversion-rate KPI."""
    other = make_project(owner=owner, key="SHOP", name="小程序商城")
    KPIFactory(project=other, code="conversion_rate", name="Conversion Rate")
    return other


@pytest.fixture
def backlog(project, gmv, conversion):
    """A backlog with every kind of requirement, not in creation order."""
    first = make_requirement(
        project,
        title="支付宝一键支付",
        description='支持花呗分期，"免密"支付。\n\n- 回归测试\n- 灰度 10%',
        status=Status.IN_PROGRESS,
        moscow=MoSCoW.MUST,
        kano=Kano.MUST_BE,
        priority="P0",
        phase=1,
        tags=["支付", "checkout"],
        source_department="product",
        requester="王芳",
        target_date=date(2026, 12, 15),
        reach=12000,
        impact=Decimal("2"),
        confidence=80,
        effort=Decimal("2.5"),
        business_value=13,
        time_criticality=8,
        risk_reduction=3,
        job_size=5,
        kpi_links=[
            {"kpi": conversion, "expected_change": Decimal("2")},
            {"kpi": gmv, "expected_change": Decimal("50000")},
        ],
    )
    make_requirement(
        project,
        title='=HYPERLINK("http://evil")',
        description="- starts like a list",
        status=Status.TRIAGED,
        moscow=MoSCoW.SHOULD,
        priority="P2",
        kano=Kano.ATTRACTIVE,
        phase=2,
        impact=Decimal("0.25"),
        reach=0,
        confidence=0,
        effort=Decimal("0.5"),
        kpi_links=[{"kpi": gmv, "expected_change": Decimal("-5000.50")}],
    )
    make_requirement(
        project,
        title="商品详情页视频",
        status=Status.REJECTED,
        rejection_reason="带宽成本太高, 下季度再议",
        source_department="marketing",
        tags=["内容"],
    )
    make_requirement(
        project,
        title="Order export, with commas",
        status=Status.DONE,
        moscow="could",
        priority="P3",
    )
    top = make_requirement(project, title="新人礼包", position="top", tags=["增长"])
    assert requirement_backlog(project=project)[0] == top
    assert first.rice_score is not None
    return project


# ---------------------------------------------------------------- round trip


def test_round_trip_gives_the_same_backlog(backlog, target, member):
    """Given a backlog, when it is exported and the file imported into another project,
    then that project's backlog is the same one: order, fields, tags, KPIs, statuses."""
    exported = csv_io.backlog_csv(requirement_backlog(project=backlog))

    plan = csv_io.parse_backlog_csv(exported, project=target)
    assert plan.errors == []
    created = csv_io.import_backlog(project=target, actor=member, plan=plan)

    assert [r.key for r in created] == [f"SHOP-R{n}" for n in range(1, 6)]
    assert snapshot(target) == snapshot(backlog)
    # The project's own KPI is linked, not the source project's of the same code.
    links = RequirementKPI.objects.filter(requirement__project=target).select_related("kpi")
    assert {link.kpi.project_id for link in links} == {target.pk, None}
    # And the file of the copy is the file of the original, keys aside.
    again = read_csv(csv_io.backlog_csv(requirement_backlog(project=target)))
    original = read_csv(exported)
    for row in (*again, *original):
        row.pop("key")
    assert again == original


def test_round_trip_through_the_pages(client, backlog, target, owner):
    client.force_login(owner)
    exported = client.get(reverse("requirements:export_csv", args=[backlog.key]))

    response = client.post(
        reverse("requirements:import", args=[target.key]), {"file": upload(exported.content)}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("requirements:backlog", args=[target.key])
    assert snapshot(target) == snapshot(backlog)


def test_imported_rows_go_below_the_existing_backlog(project, target, member):
    make_requirement(target, title="已有需求")
    plan = csv_io.parse_backlog_csv(to_csv([{"title": "甲"}, {"title": "乙"}]), project=target)

    csv_io.import_backlog(project=target, actor=member, plan=plan)

    titles = [r.title for r in requirement_backlog(project=target)]
    assert titles == ["已有需求", "甲", "乙"]
    assert Activity.objects.filter(project=target, verb="requirement.created").count() == 3


# ---------------------------------------------------------------- the export


def test_export_uses_machine_columns_and_codes(backlog):
    text = csv_io.backlog_csv(requirement_backlog(project=backlog))

    assert text.startswith("\ufeffkey,title,description,status,rejection_reason,")
    rows = read_csv(text)
    assert list(rows[0]) == csv_io.COLUMNS
    pay = next(r for r in rows if r["title"] == "支付宝一键支付")
    assert pay == {
        **pay,
        "key": "MALL-R1",
        "status": "in_progress",
        "moscow": "must",
        "kano": "must_be",
        "priority": "P0",
        "phase": "1",
        "tags": "支付, checkout",
        "source_department": "product",
        "target_date": "2026-12-15",
        "reach": "12000",
        "impact": "2",
        "confidence": "80",
        "effort": "2.5",
        "business_value": "13",
        "rice_score": "7680.00",
        "wsjf_score": "4.80",
        "target_kpis": "conversion_rate:+2.00; gmv:+50000.00",
    }
    # A cell Excel would run as a formula is defused; a list in Markdown too.
    formula = next(r for r in rows if r["key"] == "MALL-R2")
    assert formula["title"] == '\'=HYPERLINK("http://evil")'
    assert formula["description"] == "'- starts like a list"
    assert formula["target_kpis"] == "gmv:-5000.50"
    assert formula["impact"] == "0.25"


def test_filtered_export_holds_only_the_filtered_rows(client, backlog, member):
    client.force_login(member)
    url = reverse("requirements:export_csv", args=[backlog.key])

    must = read_csv(client.get(url, {"moscow": "must"}).content.decode())
    phase_2 = read_csv(client.get(url, {"phase": "2"}).content.decode())
    open_by_key = read_csv(client.get(url, {"open": "on", "sort": "key"}).content.decode())
    tagged = read_csv(client.get(url, {"tag": "增长"}).content.decode())
    # A stale value in a shared link drops that filter only, as on the backlog page.
    stale = read_csv(client.get(url, {"moscow": "bogus", "priority": "P2"}).content.decode())
    everything = read_csv(client.get(url).content.decode())

    assert [r["title"] for r in must] == ["支付宝一键支付"]
    assert [r["key"] for r in phase_2] == ["MALL-R2"]
    assert [r["key"] for r in open_by_key] == ["MALL-R1", "MALL-R2", "MALL-R5"]
    assert [r["title"] for r in tagged] == ["新人礼包"]
    assert [r["key"] for r in stale] == ["MALL-R2"]
    assert [r["key"] for r in everything] == ["MALL-R5", "MALL-R1", "MALL-R2", "MALL-R3", "MALL-R4"]


def test_filtered_export_by_tag_matches_whole_tags(client, project, member):
    make_requirement(project, title="两个标签", tags=["x", "y"])
    make_requirement(project, title="相近标签", tags=["xy"])
    make_requirement(project, title="普通标签", tags=["x"])
    client.force_login(member)

    response = client.get(reverse("requirements:export_csv", args=[project.key]), {"tag": "x"})

    assert [r["title"] for r in read_csv(response.content.decode())] == ["两个标签", "普通标签"]


def test_export_is_a_named_excel_friendly_download(client, backlog, viewer):
    client.force_login(viewer)
    with time_machine.travel(datetime(2026, 11, 29, 2, 15, tzinfo=UTC), tick=False):
        response = client.get(reverse("requirements:export_csv", args=[backlog.key]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    # 10:15 in Shanghai, the viewer's time zone.
    assert response["Content-Disposition"] == (
        'attachment; filename="MALL-requirements-20261129-1015.csv"'
    )
    assert response.content.startswith("\ufeff".encode())


def test_template_is_the_header_only(client, backlog, member):
    client.force_login(member)
    response = client.get(reverse("requirements:export_csv", args=[backlog.key]), {"template": 1})

    assert response.content.decode() == "\ufeff" + ",".join(csv_io.COLUMNS) + "\r\n"
    assert "MALL-requirements-template.csv" in response["Content-Disposition"]


def test_export_costs_the_same_queries_for_more_rows(client, project, member, gmv):
    client.force_login(member)
    url = reverse("requirements:export_csv", args=[project.key])
    for n in range(3):
        make_requirement(project, title=f"需求 {n}", kpi_links=[{"kpi": gmv, "expected_change": 1}])
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(30):
        make_requirement(
            project,
            title=f"更多需求 {n}",
            tags=["x"],
            kpi_links=[{"kpi": gmv, "expected_change": 2}],
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert len(read_csv(response.content.decode())) == 33
    assert len(many) == len(few) <= 8


# ---------------------------------------------------------------- labels and formats


def test_labels_in_either_language_are_accepted(project, member, gmv, conversion):
    """Given a sheet a Chinese-speaking PM filled in by hand (Chinese header and labels,
    a BOM, full-width "８０％"), when it is imported, then the codes are stored."""
    with translation.override("zh-hans"):
        zh = {
            "title": str(Requirement._meta.get_field("title").verbose_name),
            "must": str(MoSCoW.MUST.label),
            "attractive": str(Kano.ATTRACTIVE.label),
        }
    rows = [
        {
            zh["title"]: "购物车凑单提示",
            "status": "进行中",
            "moscow": zh["must"],
            "kano": zh["attractive"],
            "priority": "p1",
            "phase": "二期",
            "source_department": "技术",
            "confidence": "８０％",
            "reach": "12,000",
            "target_date": "2026/3/5",
            "tags": "购物车，凑单",
            "target_kpis": "gmv：+1000；conversion_rate:−0.5",
        },
        {
            zh["title"]: "English labels",
            "status": "In progress",
            "moscow": "should have",
            "kano": "Performance",
            "priority": "P2",
            "phase": "Phase 3",
            "source_department": "Customer service",
        },
    ]
    plan = csv_io.parse_backlog_csv("\ufeff" + to_csv(rows), project=project)
    assert plan.errors == []
    first, second = csv_io.import_backlog(project=project, actor=member, plan=plan)

    assert (first.status, first.moscow, first.kano, first.priority, first.phase) == (
        "in_progress",
        "must",
        "attractive",
        "P1",
        2,
    )
    assert (first.source_department, first.confidence, first.reach, first.target_date) == (
        "tech",
        80,
        12000,
        date(2026, 3, 5),
    )
    assert first.tags == ["购物车", "凑单"]
    assert [(k.kpi.code, k.expected_change) for k in first.kpi_links.all()] == [
        ("gmv", Decimal("1000")),
        ("conversion_rate", Decimal("-0.5")),
    ]
    assert (second.status, second.moscow, second.kano, second.phase) == (
        "in_progress",
        "should",
        "performance",
        3,
    )
    assert second.source_department == "customer_service"


@pytest.mark.parametrize(
    ("prefix", "newline"), [("\ufeff", "\r\n"), ("", "\n"), ("\ufeff", "\n")], ids=str
)
def test_bom_and_line_endings_are_handled(project, member, prefix, newline):
    text = prefix + newline.join(["title,description", '甲,"两行\r\n描述"', "乙,", ""])

    plan = csv_io.parse_backlog_csv(text, project=project)
    created = csv_io.import_backlog(project=project, actor=member, plan=plan)

    assert [(r.title, r.description) for r in created] == [("甲", "两行\n描述"), ("乙", "")]


def test_bom_in_an_uploaded_file(client, project, member):
    client.force_login(member)
    data = "\ufefftitle,priority\r\n带 BOM 的文件,P1\r\n".encode()

    response = client.post(
        reverse("requirements:import", args=[project.key]), {"file": upload(data)}
    )

    assert response.status_code == 302
    assert Requirement.objects.get(project=project).title == "带 BOM 的文件"


def test_ignored_and_unknown_columns(project, member):
    text = to_csv(
        [{"key": "OLD-R9", "title": "甲", "rice_score": "999", "wsjf_score": "1", "备注": "x"}]
    )

    plan = csv_io.parse_backlog_csv(text, project=project)
    (created,) = csv_io.import_backlog(project=project, actor=member, plan=plan)

    assert created.key == "MALL-R1"
    assert created.rice_score is None
    assert created.wsjf_score is None
    assert len(plan.warnings) == 1
    assert "备注" in plan.warnings[0]


def test_blank_lines_are_skipped_but_keep_row_numbers(project):
    text = "title,priority\r\n甲,P1\r\n,\r\n\r\n乙,P7\r\n"

    plan = csv_io.parse_backlog_csv(text, project=project)

    assert [r.row for r in plan.rows] == [2, 5]
    assert where(plan) == [(5, "priority")]


# ---------------------------------------------------------------- bad rows


BAD_CELLS = [
    ({"title": ""}, "title"),
    ({"title": "长" * 201}, "title"),
    ({"status": "maybe"}, "status"),
    ({"moscow": "sometimes"}, "moscow"),
    ({"kano": "meh"}, "kano"),
    ({"priority": "P9"}, "priority"),
    ({"source_department": "hr"}, "source_department"),
    ({"phase": "0"}, "phase"),
    ({"phase": "100"}, "phase"),
    ({"phase": "soon"}, "phase"),
    ({"tags": "a" * 31}, "tags"),
    ({"tags": ",".join(f"t{n}" for n in range(13))}, "tags"),
    ({"requester": "名" * 81}, "requester"),
    ({"target_date": "2026-02-30"}, "target_date"),
    ({"target_date": "30.11.2026"}, "target_date"),
    ({"reach": "-1"}, "reach"),
    ({"reach": "1.5"}, "reach"),
    ({"reach": "many"}, "reach"),
    ({"reach": "٣"}, "reach"),
    ({"impact": "4"}, "impact"),
    ({"impact": "0.3"}, "impact"),
    ({"impact": "-1"}, "impact"),
    ({"confidence": "101"}, "confidence"),
    ({"confidence": "-5"}, "confidence"),
    ({"confidence": "50.5"}, "confidence"),
    ({"effort": "0"}, "effort"),
    ({"effort": "-2"}, "effort"),
    ({"effort": "1.005"}, "effort"),
    ({"effort": "lots"}, "effort"),
    ({"business_value": "4"}, "business_value"),
    ({"time_criticality": "21"}, "time_criticality"),
    ({"risk_reduction": "0"}, "risk_reduction"),
    ({"job_size": "1.5"}, "job_size"),
    ({"status": "rejected"}, "rejection_reason"),
    ({"status": "triaged", "priority": "P1"}, "moscow"),
    ({"status": "done", "moscow": "must"}, "priority"),
    ({"target_kpis": "nps:+1"}, "target_kpis"),
    ({"target_kpis": "other_kpi:+1"}, "target_kpis"),
    ({"target_kpis": "gmv"}, "target_kpis"),
    ({"target_kpis": "gmv:+1.234"}, "target_kpis"),
    ({"target_kpis": "gmv:+1; gmv:+2"}, "target_kpis"),
]
COLUMNS = ["title", *[c for c in csv_io.COLUMNS if c != "title"]]


@pytest.mark.parametrize(("cells", "column"), BAD_CELLS, ids=lambda v: str(v)[:40])
def test_each_bad_cell_is_reported_and_nothing_imported(project, member, gmv, cells, column):
    KPIFactory(project=make_project(key="ELSE"), code="other_kpi", name="Other Kpi")
    rows = [
        {"title": "好的一行", "priority": "P1"},
        {"title": "有问题的一行", "description": "说明", **cells},
    ]
    plan = csv_io.parse_backlog_csv(to_csv(rows, COLUMNS), project=project)

    assert where(plan) == [(3, column)]
    assert plan.errors[0].message
    assert (plan.valid_count, plan.invalid_count) == (1, 1)
    with translation.override("en"), pytest.raises(ApplicationError, match="Nothing was imported"):
        csv_io.import_backlog(project=project, actor=member, plan=plan)
    assert not Requirement.objects.filter(project=project).exists()


def test_every_problem_of_a_file_is_listed(project):
    rows = [
        {"title": "", "priority": "P9", "confidence": "120"},
        {"title": "好的"},
        {"title": "坏的", "impact": "7", "job_size": "4"},
    ]

    plan = csv_io.parse_backlog_csv(to_csv(rows, COLUMNS), project=project)

    assert where(plan) == [
        (2, "title"),
        (2, "priority"),
        (2, "confidence"),
        (4, "impact"),
        (4, "job_size"),
    ]


def test_valid_only_imports_only_the_good_rows(project, member):
    rows = [{"title": "一"}, {"title": "二", "phase": "x"}, {"title": "三"}]
    plan = csv_io.parse_backlog_csv(to_csv(rows), project=project)

    created = csv_io.import_backlog(project=project, actor=member, plan=plan, valid_only=True)

    assert [r.title for r in created] == ["一", "三"]
    assert [r.title for r in requirement_backlog(project=project)] == ["一", "三"]


def test_a_plan_is_for_its_project(project, target, member):
    plan = csv_io.parse_backlog_csv("title\n甲\n", project=project)
    with pytest.raises(ValueError, match="another project"):
        csv_io.import_backlog(project=target, actor=member, plan=plan)


def test_the_import_is_all_or_nothing_when_the_service_refuses(project, member, gmv):
    """A KPI deleted between the check and the import: the rows before it roll back."""
    rows = [{"title": "一"}, {"title": "二", "target_kpis": "gmv:+1"}]
    plan = csv_io.parse_backlog_csv(to_csv(rows), project=project)
    gmv.delete()

    with translation.override("en"), pytest.raises(ApplicationError, match="Row 3"):
        csv_io.import_backlog(project=project, actor=member, plan=plan)
    assert not Requirement.objects.filter(project=project).exists()


# ---------------------------------------------------------------- file-level errors


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\ufeff\r\n",
        "name,priority\r\n甲,P1\r\n",
        "title,title\r\n甲,乙\r\n",
        "title\r\n",
        'title\r\n"unterminated\r\nmore\r\n',
        "title\r\nPK\x03\x04\x00\x00\r\n",
    ],
    ids=["empty", "bom only", "no title column", "title twice", "no rows", "bad quotes", "binary"],
)
def test_file_level_problems(project, text):
    with pytest.raises(ApplicationError) as caught:
        csv_io.parse_backlog_csv(text, project=project)
    assert caught.value.field == "file"


def test_too_many_rows(project):
    text = "title\n" + "需求\n" * (csv_io.MAX_ROWS + 1)
    with pytest.raises(ApplicationError, match="5,000"):
        csv_io.parse_backlog_csv(text, project=project)
    assert csv_io.parse_backlog_csv("title\n" + "需求\n" * csv_io.MAX_ROWS, project=project)


def test_too_big(project):
    text = "title,description\n" + f"需求,{'x' * csv_io.MAX_BYTES}\n"
    with pytest.raises(ApplicationError, match="2 MB"):
        csv_io.parse_backlog_csv(text, project=project)
    with pytest.raises(ApplicationError, match="2 MB"):
        csv_io.decode_csv(text.encode())


def test_not_utf8(project):
    with pytest.raises(ApplicationError, match="UTF-8"):
        csv_io.decode_csv("title\n支付\n".encode("gbk"))


# ---------------------------------------------------------------- the import page


@pytest.fixture
def english(member):
    member.language = "en"
    member.save(update_fields=["language"])
    return member


def test_import_page_offers_the_form_and_the_template(client, project, member):
    client.force_login(member)

    response = client.get(reverse("requirements:import", args=[project.key]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html
    assert 'name="file"' in html
    assert reverse("requirements:export_csv", args=[project.key]) + "?template=1" in html
    assert 'class="tabs"' in html


def test_good_file_is_imported_with_a_message(client, project, english):
    client.force_login(english)
    text = to_csv([{"title": "一", "priority": "P1"}, {"title": "二"}, {"title": "三"}])

    response = client.post(
        reverse("requirements:import", args=[project.key]), {"file": upload(text)}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("requirements:backlog", args=[project.key])
    assert "3 requirements imported." in [str(m) for m in response.context["messages"]]
    assert [r.title for r in requirement_backlog(project=project)] == ["一", "二", "三"]


def test_bad_rows_are_listed_and_the_good_ones_offered(client, project, english):
    client.force_login(english)
    rows = [
        {"title": "一"},
        {"title": "二", "moscow": "maybe"},
        {"title": "三"},
        {"title": "", "impact": "9"},
    ]
    url = reverse("requirements:import", args=[project.key])

    response = client.post(url, {"file": upload(to_csv(rows, COLUMNS))})

    html = response.content.decode()
    assert response.status_code == 200
    assert not Requirement.objects.filter(project=project).exists()
    assert "Nothing was imported." in html
    assert "2 rows have errors." in html
    cells = re.findall(r'<tr data-row="(\d+)" data-column="(\w*)">', html)
    assert cells == [("3", "moscow"), ("5", "title"), ("5", "impact")]
    assert "Import the 2 valid rows" in html
    content = re.search(r'name="content" value="([^"]*)"', html, re.S).group(1)

    # When the PM takes the offer, the page re-posts the file's text: the two good rows.
    response = client.post(url, {"content": unescape(content), "valid_only": "1"}, follow=True)

    assert [r.title for r in requirement_backlog(project=project)] == ["一", "三"]
    shown = [str(m) for m in response.context["messages"]]
    assert "2 requirements imported." in shown
    assert "2 rows with errors were skipped." in shown


def test_file_level_problem_is_a_form_error(client, project, english):
    client.force_login(english)
    url = reverse("requirements:import", args=[project.key])

    no_title = client.post(url, {"file": upload("name,priority\n甲,P1\n")})
    gbk = client.post(url, {"file": upload("title\n支付\n".encode("gbk"))})
    nothing = client.post(url, {})

    assert "no “title” column" in no_title.content.decode()
    assert "not UTF-8" in gbk.content.decode()
    assert "Choose a CSV file." in nothing.content.decode()
    for response in (no_title, gbk, nothing):
        assert response.status_code == 200
        assert 'class="errorlist"' in response.content.decode()
        assert "import-errors" not in response.content.decode()
    assert not Requirement.objects.filter(project=project).exists()


def test_import_page_speaks_chinese(client, project, member):
    client.force_login(member)  # language zh-hans
    response = client.get(reverse("requirements:import", args=[project.key]))
    assert '<html lang="zh-hans">' in response.content.decode()


def test_import_query_count_is_reasonable(client, project, member, gmv, conversion):
    """Per row: only requirement_create's own queries; checking the file costs a fixed
    handful whatever its length."""
    client.force_login(member)
    url = reverse("requirements:import", args=[project.key])
    rows = [
        {"title": f"需求 {n}", "tags": "a, b", "target_kpis": "gmv:+1; conversion_rate:+2"}
        for n in range(40)
    ]
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.post(url, {"file": upload(to_csv(rows[:10]))})
    with CaptureQueriesContext(connection) as many:
        response = client.post(url, {"file": upload(to_csv(rows[10:]))})

    assert response.status_code == 302
    assert Requirement.objects.filter(project=project).count() == 40
    per_row = (len(many) - len(few)) / 20
    # requirement_create: lock, number, rank, insert, activity, savepoint (7); each
    # KPI link: lookup and update_or_create (7). Nothing of the check is per row.
    assert per_row <= 7 + 2 * 7
    assert len(few) - 10 * per_row <= 15  # the check: a fixed handful


# ---------------------------------------------------------------- who may


ROLES = ["owner", "member", "viewer", "outsider", "anonymous"]
EXPORT = {"owner": 200, "member": 200, "viewer": 200, "outsider": 404, "anonymous": "login"}
IMPORT_PAGE = {"owner": 200, "member": 200, "viewer": 403, "outsider": 404, "anonymous": "login"}
IMPORT_POST = {"owner": 302, "member": 302, "viewer": 403, "outsider": 404, "anonymous": "login"}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "expected"),
    [
        ("export_csv", "get", EXPORT),
        ("import", "get", IMPORT_PAGE),
        ("import", "post", IMPORT_POST),
    ],
)
def test_who_may(request, client, project, member, viewer, outsider, who, name, method, expected):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    url = reverse(f"requirements:{name}", args=[project.key])
    data = {"file": upload("title\n甲\n")} if method == "post" else {}

    response = getattr(client, method)(url, data)

    status = expected[who]
    if status == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:login"))
    else:
        assert response.status_code == status
    created = Requirement.objects.filter(project=project).exists()
    assert created == (method == "post" and status == 302)


def test_archived_project_cannot_import(client, project, owner):
    from projects import services as project_services

    project_services.project_update(project=project, actor=owner, archived=True)
    client.force_login(owner)

    response = client.post(
        reverse("requirements:import", args=[project.key]), {"file": upload("title\n甲\n")}
    )

    assert response.status_code == 403
    assert not Requirement.objects.filter(project=project).exists()
