"""The three journeys of issue #13, end to end on the demo organisation, in zh-Hans and in
English, as the demo people do them:

1. PM triage: the requirement backlog, two requirements triaged from the queue, one dragged
   to the top, two edited in bulk, the backlog exported as CSV.
2. Team stand-up: a card dragged on the sprint board, edited and blocked from its side panel,
   the stand-up with blocked work first, a retrospective action turned into a backlog item.
3. Executive: the portfolio dashboard, a project dashboard and its latest daily report.

Chinese runs are the demo's Chinese people on MALL; English runs are Emily on PAY (English UI
and English project data) and, for the executive, 陈总 with his UI switched to English.
Every step fails on an htmx error event, an unexpected HTTP error or failed request, a console
error, and (zh-Hans) English text outside journeys_support's allow-list; each step leaves a
full-page screenshot in build/journeys/<language>/<journey>/.
"""

from __future__ import annotations

import os

# Playwright's sync API runs an event loop in this thread, which also reads the database.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from metrics.models import DailyReport, ProjectSnapshot
from metrics.reports import daily_report_generate
from metrics.selectors import kpi_list
from portal.models import Project
from projects.models import RetroItem, RetroKind, Sprint, SprintState, WorkItem
from projects.selectors.board import active_sprint, sprint_progress
from requirements.csv_io import COLUMNS
from requirements.models import Requirement, Status
from requirements.selectors import requirement_backlog, triage_queue
from risks.models import ACTIVE_STATUSES, Risk
from tests.e2e.journeys_support import Journey, drag

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["zh-hans", "en"]

# What the pages say, in each language (the product's own catalogue, read off the pages).
TEXT = {
    "zh-hans": {
        "backlog": "需求池",
        "triage_queue": "待分诊队列",
        "triaged": "{key} 已分诊。",
        "left": "还有 {n} 条待分诊",
        "bulk_done": "已更新 {n} 条需求。",
        "saved": "已保存。",
        "reviewed": "已评审",
        "standup": "站会",
        "blocked": "阻塞",
        "retro": "迭代回顾",
        "added": "{key} 已加入待办列表。",
        "retro_label": "复盘",
        "planning": "迭代计划",
        "backlog_items": "待办列表",
        "portfolio": "项目组合仪表盘",
        "latest_report": "最新运营日报",
        "report": "运营日报 · {day}",
        "report_sprint": "{sprint}：已完成 {done} / {total} 点，剩余 {days} 天",
        "report_done": "当天完成 {n} 个工作项。",
    },
    "en": {
        "backlog": "Requirement backlog",
        "triage_queue": "Triage queue",
        "triaged": "{key} triaged.",
        "left": "{n} left to triage",
        "bulk_done": "{n} requirements updated.",
        "saved": "Saved.",
        "reviewed": "reviewed",
        "standup": "Stand-up",
        "blocked": "Blocked",
        "retro": "Retrospective",
        "added": "{key} added to the backlog.",
        "retro_label": "retro",
        "planning": "Sprint planning",
        "backlog_items": "Backlog",
        "portfolio": "Portfolio dashboard",
        "latest_report": "Latest daily report",
        "report": "Daily operations report · {day}",
        "report_sprint": "{sprint}: {done} of {total} points done, {days} days left",
        "report_done": "{n} items finished that day.",
    },
}
# Who does each journey in each language, on which project.
PM = {"zh-hans": ("wangfang", "MALL"), "en": ("emily", "PAY")}
TEAM = {"zh-hans": ("lilei", "MALL"), "en": ("emily", "PAY")}
EXECUTIVE = "chenzong"
EXECUTIVE_PROJECT = {"zh-hans": "MALL", "en": "PAY"}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A laptop screen: the backlog's filtered list and the board's columns fit without
    # scrolling, so a drag stays inside the viewport.
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}}


@pytest.fixture
def start_journey(page, live_server, console_errors):
    """A Journey for this page: call it before signing in, so every document is watched."""

    def start(language: str, name: str, data_phrases: frozenset[str] = frozenset()) -> Journey:
        return Journey(
            page=page,
            base_url=live_server.url,
            language=language,
            name=name,
            browser_errors=console_errors,
            data_phrases=data_phrases,
        )

    return start


def pay_data_phrases() -> frozenset[str]:
    """PAY is an English project (its content language is `en`): its name, sprints, risks,
    KPIs, objectives and items are English data, which a Chinese executive sees in the
    portfolio. Only these exact strings are allowed, not their words anywhere."""
    from delivery.models import Release
    from kpis.models import KPI
    from metrics.models import KeyResult, Objective

    pay = Project.objects.get(key="PAY")
    phrases = {pay.name}
    phrases.update(pay.sprints.values_list("name", flat=True))
    phrases.update(pay.sprints.exclude(goal="").values_list("goal", flat=True))
    phrases.update(Risk.objects.filter(project=pay).values_list("title", flat=True))
    phrases.update(KPI.objects.filter(project=pay).values_list("name", flat=True))
    phrases.update(Objective.objects.filter(project=pay).values_list("title", flat=True))
    phrases.update(KeyResult.objects.filter(objective__project=pay).values_list("title", flat=True))
    phrases.update(WorkItem.objects.filter(project=pay).values_list("title", flat=True))
    phrases.update(Requirement.objects.filter(project=pay).values_list("title", flat=True))
    # Its releases' names, and why one halted (written in the team's language when it did).
    phrases.update(Release.objects.filter(project=pay).values_list("name", flat=True))
    phrases.update(Release.objects.filter(project=pay).values_list("stop_reason", flat=True))
    return frozenset(p for p in phrases if p)


def row_keys(page) -> list[str]:
    return page.locator("#backlog-rows tr.req-row").evaluate_all(
        "(rows) => rows.map((row) => row.dataset.key)"
    )


# ---------------------------------------------------------------- 1. PM triage


@pytest.mark.parametrize("language", LANGUAGES)
def test_pm_triages_ranks_bulk_edits_and_exports_the_backlog(
    demo, page, login, start_journey, language
):
    t = TEXT[language]
    username, key = PM[language]
    project = Project.objects.get(key=key)
    first, second = list(triage_queue(project=project)[:2])
    untriaged = Requirement.objects.filter(project=project, status=Status.NEW).count()
    total = Requirement.objects.filter(project=project).count()
    journey = start_journey(language, "pm-triage")
    login(username)
    backlog_url = journey.url(f"/projects/{key}/requirements/")

    with journey.step("backlog"):
        # When the PM opens the project's requirement backlog
        page.goto(backlog_url)
        # Then it is in their language, counts every requirement, lists them by rank, and
        # the Triage button says how many wait
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator(".page-head h2").first).to_have_text(t["backlog"])
        expect(page.locator("#backlog-counts .muted")).to_contain_text(str(total))
        expect(page.locator("#backlog-rows tr.req-row")).to_have_count(total)
        ranked = list(requirement_backlog(project=project)[:3])
        assert row_keys(page)[:3] == [r.key for r in ranked]
        expect(page.locator("#backlog-rows tr.req-row .req-title").first).to_have_text(
            ranked[0].title
        )
        expect(page.locator('[data-link="triage"] .badge')).to_have_text(str(untriaged))

    with journey.step("triage-first-by-clicking"):
        # When they open the triage queue: the oldest new requirement is on screen
        page.locator('[data-link="triage"]').click()
        panel = page.locator("#triage-panel")
        expect(page.locator(".page-head h2").first).to_have_text(t["triage_queue"])
        expect(panel.locator("[data-triage-title]")).to_have_text(first.title)
        expect(panel.locator(".triage-head")).to_contain_text(first.key)
        expect(panel.locator(".triage-head")).to_contain_text(t["left"].format(n=untriaged))
        # and pick Must, P1 and Kano "attractive" with the mouse, then Triage
        for name, value in (("moscow", "must"), ("priority", "P1"), ("kano", "attractive")):
            panel.locator(f'label.chip:has(input[name="{name}"][value="{value}"])').click()
        panel.locator('#triage-form button[type="submit"]').click()
        # Then the panel says it is triaged and shows the next one
        expect(panel.locator("[data-flash]")).to_have_text(t["triaged"].format(key=first.key))
        expect(panel.locator("[data-triage-title]")).to_have_text(second.title)
        first.refresh_from_db()
        assert (first.status, first.moscow, first.priority, first.kano) == (
            Status.TRIAGED,
            "must",
            "P1",
            "attractive",
        )

    with journey.step("triage-second-by-keyboard"):
        # When they press S, 2, P and Enter
        for press in ("s", "2", "p", "Enter"):
            page.keyboard.press(press)
        # Then the second one is triaged Should / P2 / performance, two fewer wait
        expect(panel.locator("[data-flash]")).to_have_text(t["triaged"].format(key=second.key))
        expect(panel.locator(".triage-head")).to_contain_text(t["left"].format(n=untriaged - 2))
        second.refresh_from_db()
        assert (second.status, second.moscow, second.priority, second.kano) == (
            Status.TRIAGED,
            "should",
            "P2",
            "performance",
        )

    triaged = list(
        requirement_backlog(project=project, filters={"status": [Status.TRIAGED]}).values_list(
            "number", flat=True
        )
    )
    with journey.step("backlog-filtered-to-triaged"):
        # When they go back to the backlog and show only triaged requirements
        page.locator(".page-head a", has_text=t["backlog"]).click()
        expect(page).to_have_url(backlog_url)
        status = page.locator('#backlog-filters details[data-filter="status"]')
        status.locator("summary").click()
        status.locator('input[name="status"][value="triaged"]').check()
        # Then the URL keeps the filter and the list holds the triaged ones, theirs among them
        expect(page).to_have_url(re.compile(r"[?&]status=triaged(&|$)"))
        expect(page.locator("#backlog-rows tr.req-row")).to_have_count(len(triaged))
        keys = row_keys(page)
        assert keys == [f"{key}-R{n}" for n in triaged]
        assert {first.key, second.key} <= set(keys)
        expect(page.locator('#backlog-counts [data-count="must"] strong')).to_have_text(
            str(
                Requirement.objects.filter(
                    project=project, status=Status.TRIAGED, moscow="must"
                ).count()
            )
        )
        status.locator("summary").click()  # close the filter's drop-down

    with journey.step("drag-to-the-top"):
        # Given the first one they triaged is not at the top
        rows = page.locator("#backlog-rows tr.req-row")
        top_key = row_keys(page)[0]
        assert top_key != first.key
        page.locator("#backlog-table").evaluate("(el) => el.scrollIntoView({block: 'start'})")
        # When they drag it by its handle above the top row
        with page.expect_response(lambda r: r.url.endswith("/requirements/reorder/")) as moved:
            drag(
                page,
                page.locator(f'tr[data-key="{first.key}"] .drag-handle'),
                rows.first,
                placed=f"() => document.querySelector('#backlog-rows tr.req-row')"
                f".dataset.key === '{first.key}'",
            )
        assert moved.value.status == 204
        # Then after a reload it is still first, the former top row second
        page.reload()
        expect(rows.first).to_have_attribute("data-key", first.key)
        assert row_keys(page)[:2] == [first.key, top_key]
        by_rank = requirement_backlog(project=project, filters={"status": [Status.TRIAGED]})
        assert [r.key for r in by_rank[:2]] == [first.key, top_key]

    with journey.step("bulk-edit"):
        # When they tick the two requirements they triaged and make both P0
        for requirement in (first, second):
            page.locator(f'tr[data-key="{requirement.key}"] input[name="ids"]').check()
        bar = page.locator("#bulk-bar")
        expect(bar).to_be_visible()
        expect(page.locator("#bulk-count")).to_have_text("2")
        bar.locator('select[name="priority"]').select_option("P0")
        with page.expect_response(lambda r: r.url.endswith("/requirements/bulk/")) as applied:
            bar.locator('button[type="submit"]').click()
        assert applied.value.status == 200
        # Then the page says two were updated, and both rows show P0 once the list reloads
        expect(page.locator("#toast")).to_have_text(t["bulk_done"].format(n=2))
        for requirement in (first, second):
            expect(
                page.locator(f'tr[data-key="{requirement.key}"] select[data-field="priority"]')
            ).to_have_value("P0")
        assert [Requirement.objects.get(pk=r.pk).priority for r in (first, second)] == ["P0", "P0"]

    with journey.step("export-csv"):
        # When they export what the page shows
        shown = row_keys(page)
        journey.expect_download_abort("/requirements/export.csv")
        with page.expect_download() as download_info:
            page.locator('[data-export="csv"]').click()
        download = download_info.value
        # Then a CSV file named after the project arrives with exactly those rows, in order
        assert re.fullmatch(
            rf"{key}-requirements-\d{{8}}-\d{{4}}\.csv", download.suggested_filename
        )
        with open(download.path(), encoding="utf-8-sig", newline="") as f:
            table = list(csv.reader(io.StringIO(f.read())))
        assert table[0] == COLUMNS
        records = [dict(zip(COLUMNS, row, strict=True)) for row in table[1:]]
        assert [r["key"] for r in records] == shown
        exported = {r["key"]: r for r in records}
        for requirement in (first, second):
            assert exported[requirement.key]["title"] == requirement.title
            assert exported[requirement.key]["priority"] == "P0"
            assert exported[requirement.key]["status"] == Status.TRIAGED
        assert exported[first.key]["moscow"] == "must"
        assert exported[second.key]["kano"] == "performance"

    journey.finish()


# ---------------------------------------------------------------- 2. Team stand-up


@pytest.mark.parametrize("language", LANGUAGES)
def test_team_moves_edits_and_blocks_a_card_then_holds_the_standup_and_retro(
    demo, page, login, start_journey, language
):
    t = TEXT[language]
    username, key = TEAM[language]
    project = Project.objects.get(key=key)
    sprint = active_sprint(project=project)
    todo, doing = list(project.columns.order_by("order", "id"))[:2]
    journey = start_journey(language, "team-standup")
    login(username)
    board = page.locator("#board")

    with journey.step("board"):
        # When a team member opens the board: the running sprint and its progress
        page.goto(journey.url(f"/projects/{key}/board/"))
        expect(page.locator("html")).to_have_attribute("lang", language)
        progress = sprint_progress(sprints=[sprint])[sprint.pk]
        expect(board.locator(".sprint-bar strong")).to_have_text(sprint.name)
        expect(board.locator(".sprint-stats")).to_contain_text(
            f"{progress.points_done} / {progress.points_total}"
        )
        expect(board.locator(f'[data-column-head="{todo.pk}"] .col-name')).to_have_text(todo.name)
        card = board.locator(f'.col-list[data-column="{todo.pk}"] .card-item:not(.blocked)').first
        card_key = card.get_attribute("data-key")
        item = WorkItem.objects.get(project=project, number=int(card_key.rsplit("-", 1)[1]))
        card = board.locator(f'.card-item[data-key="{card_key}"]')
        expect(card.locator(".card-title")).to_have_text(item.title)
        in_doing = WorkItem.objects.filter(project=project, sprint=sprint, column=doing).count()
        expect(board.locator(f'[data-count="{doing.pk}"]')).to_have_text(str(in_doing))

    with journey.step("drag-card-to-next-column"):
        # When they drag the card from the first column into the second
        target = board.locator(f'.col-list[data-column="{doing.pk}"]')
        with page.expect_response(lambda r: r.url.endswith("/board/move/")) as moved:
            drag(
                page,
                card,
                target,
                y_offset=30,
                placed=f"() => !!document.querySelector("
                f'\'.col-list[data-column="{doing.pk}"] .card-item[data-key="{card_key}"]\')',
            )
        assert moved.value.status == 204
        # Then it sits there, the column counts one more, and so says the database
        expect(target.locator(f'.card-item[data-key="{card_key}"]')).to_have_count(1)
        expect(board.locator(f'[data-count="{doing.pk}"]')).to_have_text(str(in_doing + 1))
        item.refresh_from_db()
        assert item.column_id == doing.pk

    panel = page.locator("#card-panel")
    with journey.step("open-side-panel"):
        # When they click the card
        card.click()
        # Then its panel opens with its title, key and new column
        expect(panel).to_have_class(re.compile(r"\bopen\b"))
        expect(panel.locator("h3").first).to_have_text(item.title)
        expect(panel.locator(".panel-head .mono")).to_contain_text(f"{card_key} · {doing.name}")

    new_title = f"{item.title} · {t['reviewed']}"
    with journey.step("edit-title"):
        # When they rename it and save
        panel.locator('input[name="title"]').fill(new_title)
        panel.locator('form:has([name=title]) button[type="submit"]').click()
        # Then the panel says saved and the card on the board shows the new title at once
        expect(panel.locator(".messages .success")).to_have_text(t["saved"])
        expect(card.locator(".card-title")).to_have_text(new_title)

    with journey.step("edit-points"):
        # When they set 8 story points (the sprint's totals change: the board is redrawn)
        panel.locator('input[name="story_points"]').fill("8")
        panel.locator('form:has([name=title]) button[type="submit"]').click()
        # Then the card shows 8 and the sprint bar the new total
        expect(card.locator(".points")).to_have_text("8")
        progress = sprint_progress(sprints=[sprint])[sprint.pk]
        expect(board.locator(".sprint-stats")).to_contain_text(
            f"{progress.points_done} / {progress.points_total}"
        )
        expect(panel).to_have_class(re.compile(r"\bopen\b"))

    reason = {"zh-hans": "等待支付网关联调", "en": "Waiting on PSP sandbox"}[language]
    with journey.step("block-with-reason"):
        # When they block it, giving the reason
        panel.locator('input[name="blocked"]').check()
        panel.locator('input[name="blocked_reason"]').fill(reason)
        panel.locator('form:has([name=title]) button[type="submit"]').click()
        # Then the card turns blocked with the reason on it, and the panel says blocked
        expect(panel.locator(".messages .success")).to_have_text(t["saved"])
        expect(card).to_have_class(re.compile(r"\bblocked\b"))
        expect(card.locator(".blocked-tag")).to_have_text(reason)
        expect(panel.locator("[data-panel-blocked]")).to_be_visible()
        item.refresh_from_db()
        assert (item.title, item.story_points, item.blocked, item.blocked_reason) == (
            new_title,
            8,
            True,
            reason,
        )

    with journey.step("standup-blocked-first"):
        # When they close the panel and start the stand-up from the board
        page.keyboard.press("Escape")
        expect(panel).not_to_have_class(re.compile(r"\bopen\b"))
        page.locator('[data-action="standup"]').click()
        expect(page).to_have_url(journey.url(f"/projects/{key}/standup/"))
        # Then blocked work comes first, above everyone's cards, their card among it with
        # its new title and the reason
        expect(page.locator(".page-head h2").first).to_contain_text(t["standup"])
        blocked = page.locator("#standup-blocked")
        expect(blocked.locator("h2")).to_contain_text(t["blocked"])
        count = WorkItem.objects.filter(project=project, sprint=sprint, blocked=True).count()
        expect(blocked.locator("h2 .muted")).to_have_text(str(count))
        expect(blocked.locator("[data-blocked]")).to_have_count(count)
        entry = blocked.locator(f'[data-blocked="{card_key}"]')
        expect(entry).to_contain_text(new_title)
        expect(entry).to_contain_text(reason)
        expect(entry).to_contain_text(doing.name)
        assert blocked.bounding_box()["y"] < page.locator("#standup-people").bounding_box()["y"], (
            "the blocked section is not above the people's work"
        )

    closed = (
        Sprint.objects.filter(project=project, state=SprintState.CLOSED).order_by("-end").first()
    )
    action = RetroItem.objects.get(
        retrospective__sprint=closed, kind=RetroKind.ACTION, work_item__isnull=True
    )
    with journey.step("retro-action-to-work-item"):
        # When they open the last closed sprint's retrospective
        page.goto(journey.url(f"/projects/{key}/sprints/{closed.pk}/retro/"))
        expect(page.locator(".page-head h2")).to_have_text(t["retro"])
        expect(page.locator('.page-head .muted a[href*="/sprints/"]')).to_have_text(closed.name)
        row = page.locator(f'[data-action-item="{action.pk}"]')
        expect(row).to_contain_text(action.text)
        # and turn its action item into a work item
        row.locator('button[type="submit"]').click()
        # Then the page says which item was added to the backlog and links to it
        action.refresh_from_db()
        made = action.work_item
        assert made is not None
        made_key = f"{key}-{made.number}"
        expect(page.locator("main .messages .success")).to_have_text(
            t["added"].format(key=made_key)
        )
        expect(row.locator("a.mono")).to_have_text(made_key)
        expect(row.locator('button[type="submit"]')).to_have_count(0)

    planned = Sprint.objects.filter(project=project, state=SprintState.PLANNED).order_by("start")[0]
    with journey.step("work-item-in-the-backlog"):
        # When they open the next sprint's planning
        page.goto(journey.url(f"/projects/{key}/sprints/{planned.pk}/plan/"))
        expect(page.locator(".page-head h2")).to_contain_text(t["planning"])
        # Then the new item waits in the backlog, labelled as coming from the retrospective
        backlog = page.locator(".plan-cols section").first
        expect(backlog.locator("h2")).to_contain_text(t["backlog_items"])
        backlog_row = backlog.locator(f'tr[data-backlog="{made_key}"]')
        expect(backlog_row).to_contain_text(action.text)
        expect(backlog_row.locator(".badge")).to_have_text(t["retro_label"])

    journey.finish()


# ---------------------------------------------------------------- 3. Executive


@pytest.mark.parametrize("language", LANGUAGES)
def test_executive_reads_the_portfolio_a_project_dashboard_and_its_daily_report(
    demo, page, login, start_journey, language
):
    t = TEXT[language]
    key = EXECUTIVE_PROJECT[language]
    # The demo has no daily report (the beat task writes them each morning): write
    # yesterday's for every project, as the task would have.
    for each in Project.objects.filter(archived=False):
        daily_report_generate(each, each.today() - timedelta(days=1))
    project = Project.objects.get(key=key)
    report = DailyReport.objects.get(project=project)
    day = report.date.isoformat()
    executive = get_user_model().objects.get(username=EXECUTIVE)
    if language == "en":
        executive.language = "en"
        executive.save(update_fields=["language"])
    # 陈总 sees PAY, an English project, in his portfolio: its data may be English.
    journey = start_journey(language, "executive", data_phrases=pay_data_phrases())
    login(EXECUTIVE)
    projects = list(Project.objects.filter(archived=False).order_by("name"))

    with journey.step("portfolio"):
        # When the executive opens the portfolio dashboard
        page.goto(journey.url("/dashboard/"))
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator(".page-head h1")).to_have_text(t["portfolio"])
        # Then every project is a row with its running sprint's progress and its figures
        expect(page.locator("tr[data-portfolio]")).to_have_count(len(projects))
        running = {s.project_id: s for s in Sprint.objects.filter(state=SprintState.ACTIVE)}
        progress = sprint_progress(sprints=running.values())
        for each in projects:
            row = page.locator(f'tr[data-portfolio="{each.key}"]')
            expect(row.locator("td").first).to_have_text(f"{each.key} · {each.name}")
            sprint = running[each.pk]
            expect(row.locator("td").nth(3)).to_contain_text(sprint.name)
            expect(row.locator('[data-figure="sprint_percent"]')).to_have_text(
                f"{progress[sprint.pk].percent}%"
            )
            latest = ProjectSnapshot.objects.filter(project=each).order_by("-date").first()
            expect(row.locator('[data-figure="throughput"]')).to_have_text(
                str(latest.throughput_7d)
            )
        # and the top risks start with the highest-scored open one
        # and the top risks are the highest-scored open ones, highest first
        open_risks = {
            r.key: r
            for r in Risk.objects.filter(status__in=ACTIVE_STATUSES).select_related("project")
        }
        top_scores = sorted((r.score for r in open_risks.values()), reverse=True)[:8]
        shown_risks = page.locator('[data-section="risks"] .feed li')
        expect(shown_risks).to_have_count(len(top_scores))
        for n, score in enumerate(top_scores):
            shown = shown_risks.nth(n)
            risk = open_risks[shown.locator("a.mono").inner_text()]
            assert risk.score == score
            expect(shown).to_contain_text(risk.title)
            expect(shown.locator(".badge").last).to_contain_text(f"{score} · ")
        # and the company KPIs are all there, each with its latest value
        company_kpis = list(kpi_list(user=executive, company_only=True))
        tiles = page.locator('[data-section="kpis"] .kpi-mini')
        expect(tiles).to_have_count(len(company_kpis))
        for n, kpi in enumerate(company_kpis):
            expect(tiles.nth(n)).to_contain_text(kpi.name)
            expect(tiles.nth(n).locator("strong")).not_to_have_text("—")
        throughput = page.locator(f'tr[data-portfolio="{key}"] [data-figure="throughput"]')
        portfolio_throughput = throughput.inner_text()

    with journey.step("project-dashboard"):
        # When they open the project's dashboard from its row
        page.locator(f'tr[data-portfolio="{key}"] td a').first.click()
        expect(page).to_have_url(journey.url(f"/projects/{key}/dashboard/"))
        expect(page.locator(".page-head h1")).to_contain_text(project.name)
        # Then its tiles show the same throughput as the portfolio, the burndown is the
        # running sprint's, every chart is drawn, and the latest daily report is linked
        expect(page.locator('[data-figure="throughput"] [data-value]')).to_have_text(
            portfolio_throughput
        )
        expect(
            page.locator("section h2", has_text=active_sprint(project=project).name)
        ).to_have_count(1)
        page.wait_for_function(
            "() => window.Chart && [...document.querySelectorAll('canvas')]"
            ".every((c) => Chart.getChart(c))"
        )
        assert page.evaluate("() => document.querySelectorAll('canvas').length") == 6
        link = page.locator("section", has_text=t["latest_report"]).locator("a")
        expect(link).to_contain_text(t["report"].format(day=day))

    with journey.step("daily-report"):
        # When they follow it
        link.click()
        expect(page).to_have_url(journey.url(f"/projects/{key}/reports/{day}/"))
        # Then the report for yesterday shows its KPIs, the sprint's progress, the blocked
        # work and what was finished that day
        c = report.content
        expect(page.locator(".page-head h2")).to_have_text(t["report"].format(day=day))
        kpi_rows = page.locator(".grid-2 section").first.locator("tbody tr")
        expect(kpi_rows).to_have_count(max(len(c["kpis"]), 1))
        for n, kpi in enumerate(c["kpis"]):
            expect(kpi_rows.nth(n).locator("td").first).to_have_text(kpi["name"])
        delivery = page.locator(".grid-2 section").nth(1)
        sprint = c["sprint"]
        expect(delivery).to_contain_text(
            t["report_sprint"].format(
                sprint=sprint["name"],
                done=sprint["points_done"],
                total=sprint["points_total"],
                days=sprint["days_left"],
            )
        )
        expect(delivery).to_contain_text(t["report_done"].format(n=c["done_items"]))
        assert c["blocked"], "the demo has blocked work"
        for blocked in c["blocked"]:
            expect(delivery.locator("li", has_text=blocked["key"])).to_contain_text(
                blocked["title"]
            )
        expect(page.locator('select[name="day"]')).to_have_value(day)

    journey.finish()
