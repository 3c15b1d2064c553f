"""The requirement backlog in a real browser: the triage queue driven by the keyboard,
a dragged row keeping its place, inline and bulk edits, filters kept in the URL, and the
Kano chart, each page without console errors."""

from __future__ import annotations

import os

# Playwright's sync API runs an event loop in this thread, which also seeds the database.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from portal import clock
from requirements import services
from requirements.models import Requirement

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-1"  # tests.portal.factories.UserFactory's
TIMEOUT_MS = 5_000

# MALL's requirements, oldest first: the triage queue and the backlog rank follow this order.
TITLES = ["购物车凑单提示", "订单导出 Excel", "优惠券叠加规则", "物流轨迹推送", "会员积分抵扣"]


@contextmanager
def step(what: str, page=None):
    """A failure inside says which step of a long scenario broke; with `page`, also what
    the page had answered and shows (a rare CI failure of the keyboard triage left only
    the title to go on)."""
    try:
        yield
    except AssertionError as exc:
        seen = ""
        if page is not None:
            panel = page.locator("#triage-panel")
            html = panel.inner_html()[:1500] if panel.count() else "(no triage panel)"
            seen = (
                f"\nresponses: {getattr(page, 'answers', [])}"
                f"\nerrors: {page.errors}\nfocus: "
                + page.evaluate(
                    "document.activeElement && document.activeElement.outerHTML.slice(0, 200)"
                )
                + f"\npanel: {html}"
            )
        pytest.fail(f"{what} broke: {exc}{seen}")


@pytest.fixture
def browser_page(page, live_server):
    """The page, failing fast, with every console error and uncaught exception collected."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.set_default_timeout(TIMEOUT_MS)
    page.errors = errors
    # What the server answered to the page's own requests (method, status, path).
    page.answers = []
    page.on(
        "response",
        lambda r: (
            page.answers.append((r.request.method, r.status, r.url.split("/", 3)[-1]))
            if r.request.resource_type in ("document", "fetch", "xhr")
            else None
        ),
    )
    return page


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form:has(#id_username) button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


def drag(page, source, target) -> None:
    """Drag like a hand does: press, move in small steps (SortableJS needs the moves), drop
    on the upper edge of `target` (so the row lands above it)."""
    start = source.bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 5, start["y"] + start["height"] / 2 - 5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 4, steps=20)
    # Let SortableJS settle the row in its new place (it reorders on the move events, and a
    # loaded CI machine may lag), then nudge once more on the same edge before dropping.
    page.wait_for_timeout(250)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 2, steps=2)
    page.wait_for_timeout(150)
    page.mouse.up()


def requirement(project, number: int) -> Requirement:
    return Requirement.objects.get(project=project, number=number)


def row_keys(page) -> list[str]:
    return page.locator("#backlog-rows tr.req-row").evaluate_all(
        "(rows) => rows.map((row) => row.dataset.key)"
    )


@pytest.fixture
def new_requirements(project, member):
    """Five new MALL requirements, one a day over the last week, so the oldest is R1."""
    start = timezone.now() - timedelta(days=7)
    created = []
    for day, title in enumerate(TITLES):
        with clock.frozen_at(start + timedelta(days=day)):
            created.append(
                services.requirement_create(
                    project=project, actor=project.owner, title=title, requester="运营部 小张"
                )
            )
    return created


@pytest.fixture
def backlog(project, member):
    """MALL's backlog, top to bottom: R1 Must P1, R2 Should P2, R3 Could P3, R4 Must P2
    (all triaged) and R5 still new (no MoSCoW, no priority)."""
    start = timezone.now() - timedelta(days=7)
    triage = [("must", "P1"), ("should", "P2"), ("could", "P3"), ("must", "P2"), None]
    created = []
    for day, (title, decision) in enumerate(zip(TITLES, triage, strict=True)):
        fields = {}
        if decision:
            fields = {"moscow": decision[0], "priority": decision[1], "status": "triaged"}
        with clock.frozen_at(start + timedelta(days=day)):
            created.append(
                services.requirement_create(
                    project=project, actor=project.owner, title=title, **fields
                )
            )
    return created


def test_triage_by_keyboard_then_drag_the_last_row_to_the_top(
    new_requirements, project, browser_page, live_server
):
    page = browser_page
    with step("the keyboard triage", page):
        # Given 李雷, a member of MALL, on the triage queue: R1, the oldest, comes first
        sign_in(page, live_server, "member")
        page.goto(f"{live_server.url}/projects/MALL/requirements/triage/")
        panel = page.locator("#triage-panel")
        title = panel.locator("[data-triage-title]")
        expect(title).to_have_text(TITLES[0])

        # When he presses M, 1, A and Enter
        for key in ("m", "1", "a", "Enter"):
            page.keyboard.press(key)

        # Then R2 is on screen, and R1 is triaged Must / P1 / attractive
        expect(title).to_have_text(TITLES[1])
        expect(panel).to_have_attribute("data-current", "2")
        expect(panel.locator("[data-flash]")).to_contain_text("MALL-R1")
        r1 = requirement(project, 1)
        assert (r1.moscow, r1.priority, r1.kano, r1.status) == (
            "must",
            "P1",
            "attractive",
            "triaged",
        )

        # When he presses S, 2 and Enter
        for key in ("s", "2", "Enter"):
            page.keyboard.press(key)

        # Then R3 is on screen, and R2 is triaged Should / P2 with no Kano verdict
        expect(title).to_have_text(TITLES[2])
        expect(panel).to_have_attribute("data-current", "3")
        r2 = requirement(project, 2)
        assert (r2.moscow, r2.priority, r2.kano, r2.status) == ("should", "P2", "", "triaged")

        # When he presses X, types why and presses Ctrl+Enter
        page.keyboard.press("x")
        reason = page.locator("#reject-reason")
        expect(reason).to_be_focused()
        page.keyboard.type("与平台规则冲突")
        page.keyboard.press("Control+Enter")

        # Then R4 is on screen, and R3 is rejected with that reason
        expect(title).to_have_text(TITLES[3])
        expect(panel).to_have_attribute("data-current", "4")
        r3 = requirement(project, 3)
        assert (r3.status, r3.rejection_reason, r3.moscow) == ("rejected", "与平台规则冲突", "")
        assert requirement(project, 4).status == "new"
        assert page.errors == [], "the triage page logged errors"

        # Given the backlog in rank order, R5 at the bottom
        page.goto(f"{live_server.url}/projects/MALL/requirements/")
        rows = page.locator("#backlog-rows tr.req-row")
        expect(rows).to_have_count(5)
        assert row_keys(page) == [f"MALL-R{n}" for n in range(1, 6)]
    page.wait_for_load_state("load")
    assert page.errors == [], "the backlog's scripts failed: rows cannot be dragged"

    # When he drags R5 by its handle above R1
    page.locator("#backlog-table").scroll_into_view_if_needed()
    with page.expect_response(lambda r: r.url.endswith("/requirements/reorder/")) as moved:
        drag(page, rows.nth(4).locator(".drag-handle"), rows.nth(0))
    assert moved.value.status == 204

    # Then, after a reload, R5 is first on screen and first by rank
    page.reload()
    expect(rows.first).to_have_attribute("data-key", "MALL-R5")
    assert row_keys(page) == ["MALL-R5", *[f"MALL-R{n}" for n in range(1, 5)]]
    by_rank = Requirement.objects.filter(project=project).order_by("rank", "id")
    assert [r.number for r in by_rank] == [5, 1, 2, 3, 4]


def test_keys_typed_while_a_triage_is_on_its_way_apply_to_the_next_requirement(
    new_requirements, project, browser_page, live_server
):
    page = browser_page
    with step("the fast keyboard triage", page):
        # Given 李雷 on the triage queue, R1 first
        sign_in(page, live_server, "member")
        page.goto(f"{live_server.url}/projects/MALL/requirements/triage/")
        panel = page.locator("#triage-panel")
        expect(panel.locator("[data-triage-title]")).to_have_text(TITLES[0])

        # When he types two triages in one go, not waiting for the next requirement
        for key in ("m", "1", "Enter", "s", "2", "Enter"):
            page.keyboard.press(key)

        # Then the keys after the first Enter went to R2, not to R1's vanishing panel
        expect(panel).to_have_attribute("data-current", "3")
        expect(panel.locator("[data-triage-title]")).to_have_text(TITLES[2])
        r1, r2 = requirement(project, 1), requirement(project, 2)
        assert (r1.moscow, r1.priority, r1.status) == ("must", "P1", "triaged")
        assert (r2.moscow, r2.priority, r2.status) == ("should", "P2", "triaged")
        assert requirement(project, 3).status == "new"
        assert page.errors == []


def test_inline_edits_swap_the_row_and_rejecting_asks_for_a_reason(
    backlog, project, browser_page, live_server
):
    page = browser_page
    # Given 李雷 on MALL's backlog: two Musts, one Should
    sign_in(page, live_server, "member")
    page.goto(f"{live_server.url}/projects/MALL/requirements/")
    must_count = page.locator('#backlog-counts [data-count="must"] strong')
    should_count = page.locator('#backlog-counts [data-count="should"] strong')
    expect(must_count).to_have_text("2")
    expect(should_count).to_have_text("1")
    page.evaluate("window.__sameDocument = 'still here'")
    r2 = page.locator(f"#req-{backlog[1].pk}")

    # When he makes R2 a Must in its row
    with page.expect_response(lambda r: "/2/inline/" in r.url) as saved:
        r2.locator('select[data-field="moscow"]').select_option("must")
    assert saved.value.status == 200

    # Then the row comes back from the server as a Must, and the Must badge counts 3
    expect(r2.locator('select[data-field="moscow"]')).to_have_class(re.compile(r"sel-moscow-must"))
    expect(must_count).to_have_text("3")
    expect(should_count).to_have_text("0")
    assert page.evaluate("window.__sameDocument") == "still here"
    assert requirement(project, 2).moscow == "must"

    # When he sets R3 to rejected without a reason
    r3 = page.locator(f"#req-{backlog[2].pk}")
    r3.locator('select[data-field="status"]').select_option("rejected")

    # Then the row says a reason is needed, offers a box for it, and R3 stays triaged
    error = r3.locator('.errorlist[data-error-field="rejection_reason"]')
    expect(error).to_be_visible()
    expect(r3).to_have_class(re.compile(r"\bhas-error\b"))
    reason = r3.locator("form.inline-reason input[name=rejection_reason]")
    expect(reason).to_be_visible()
    assert requirement(project, 3).status == "triaged"

    # When he types a reason and submits it
    reason.fill("二期再议")
    r3.locator("form.inline-reason button[type=submit]").click()

    # Then the row shows R3 rejected, without the error, and so does the database
    expect(r3.locator('select[data-field="status"]')).to_have_class(
        re.compile(r"sel-status-rejected")
    )
    expect(error).to_have_count(0)
    expect(r3).to_have_class(re.compile(r"\bstatus-rejected\b"))
    assert page.evaluate("window.__sameDocument") == "still here"
    r3_db = requirement(project, 3)
    assert (r3_db.status, r3_db.rejection_reason) == ("rejected", "二期再议")


def test_moscow_filter_lives_in_the_url(backlog, project, browser_page, live_server):
    page = browser_page
    backlog_url = f"{live_server.url}/projects/MALL/requirements/"
    # Given 李雷 on MALL's backlog, all five rows shown
    sign_in(page, live_server, "member")
    page.goto(backlog_url)
    rows = page.locator("#backlog-rows tr.req-row")
    expect(rows).to_have_count(5)

    # When he ticks Must in the MoSCoW filter
    moscow = page.locator('#backlog-filters details[data-filter="moscow"]')
    moscow.locator("summary").click()
    moscow.locator('input[name="moscow"][value="must"]').check()

    # Then the URL says moscow=must and only the two Musts are listed
    expect(page).to_have_url(re.compile(r"[?&]moscow=must(&|$)"))
    expect(rows).to_have_count(2)
    assert row_keys(page) == ["MALL-R1", "MALL-R4"]
    filtered_url = page.url

    # When he goes back
    page.go_back()

    # Then the whole backlog is listed again
    expect(page).to_have_url(backlog_url)
    expect(rows).to_have_count(5)

    # When he opens the filtered link in a new tab
    tab = page.context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.goto(filtered_url)

    # Then it shows the two Musts, with Must ticked
    tab_rows = tab.locator("#backlog-rows tr.req-row")
    expect(tab_rows).to_have_count(2)
    expect(tab.locator('#backlog-filters input[name="moscow"][value="must"]')).to_be_checked()
    expect(tab.locator('#backlog-counts [data-count="must"] strong')).to_have_text("2")


def test_bulk_edit_sets_the_priority_of_the_selected_rows(
    backlog, project, browser_page, live_server
):
    page = browser_page
    # Given 李雷 on MALL's backlog, no row selected
    sign_in(page, live_server, "member")
    page.goto(f"{live_server.url}/projects/MALL/requirements/")
    bar = page.locator("#bulk-bar")
    expect(bar).to_be_hidden()
    r4, r5 = (page.locator(f"#req-{r.pk}") for r in backlog[3:5])

    # When he ticks R4 and R5
    r4.locator("input[name=ids]").check()
    r5.locator("input[name=ids]").check()

    # Then the bulk bar shows "2 selected"
    expect(bar).to_be_visible()
    expect(page.locator("#bulk-count")).to_have_text("2")

    # When he chooses P1 and applies it
    bar.locator("select[name=priority]").select_option("P1")
    with page.expect_response(lambda r: r.url.endswith("/requirements/bulk/")) as applied:
        bar.locator("button[type=submit]").click()
    assert applied.value.status == 200

    # Then both rows show P1 once the list refreshes, and so does the database
    expect(page.locator('#bulk-result [data-bulk-result="ok"]')).to_have_count(1)
    for row in (r4, r5):
        expect(row.locator('select[data-field="priority"]')).to_have_class(
            re.compile(r"sel-priority-P1")
        )
    assert [requirement(project, n).priority for n in (4, 5)] == ["P1", "P1"]
    # and the others are untouched
    assert [requirement(project, n).priority for n in (1, 2, 3)] == ["P1", "P2", "P3"]


def test_kano_chart_draws_without_console_errors(backlog, project, browser_page, live_server):
    # Given survey answers for R1 (performance, twice) and R2 (attractive)
    for functional, dysfunctional, number, who in [
        ("like", "dislike", 1, "客户甲"),
        ("like", "dislike", 1, "客户乙"),
        ("like", "neutral", 2, "客户丙"),
    ]:
        services.kano_response_record(
            requirement=requirement(project, number),
            actor=project.owner,
            functional=functional,
            dysfunctional=dysfunctional,
            respondent_name=who,
        )
    page = browser_page
    sign_in(page, live_server, "member")

    # When 李雷 opens the Kano chart
    page.goto(f"{live_server.url}/projects/MALL/requirements/kano/")
    expect(page.locator("#kano-chart")).to_be_visible()

    # Then Chart.js has drawn the two surveyed requirements on it
    chart = page.evaluate(
        """() => {
        const chart = window.Chart && Chart.getChart('kano-chart');
        const canvas = document.getElementById('kano-chart');
        return chart && {points: chart.data.datasets[0].data.length,
                         width: canvas.width, height: canvas.height};
    }"""
    )
    assert chart, "no Chart.js chart on #kano-chart"
    assert chart["points"] == 2
    assert chart["width"] > 0
    assert chart["height"] > 0
    expect(page.locator("tr[data-point]")).to_have_count(2)
    page.wait_for_load_state("load")
    assert page.errors == []

    # and R1's survey page opens without errors either
    page.goto(f"{live_server.url}/projects/MALL/requirements/1/survey/")
    expect(page.locator("h1")).to_be_visible()
    page.wait_for_load_state("load")
    assert page.errors == []


def test_backlog_and_triage_pages_load_without_console_errors(
    backlog, project, browser_page, live_server
):
    page = browser_page
    sign_in(page, live_server, "member")
    with step("the triage page"):
        # When 李雷 opens the triage queue, R5 (the only new one) is on screen, no errors
        page.goto(f"{live_server.url}/projects/MALL/requirements/triage/")
        expect(page.locator("[data-triage-title]")).to_have_text(TITLES[4])
        page.wait_for_load_state("load")
        assert page.errors == []

        # When he opens the backlog, its five rows are listed
        page.goto(f"{live_server.url}/projects/MALL/requirements/")
        expect(page.locator("#backlog-rows tr.req-row")).to_have_count(5)
    # with no console error either
    page.wait_for_load_state("load")
    assert page.errors == []


def test_a_row_rejected_with_a_reason_keeps_its_drag_handle(
    backlog, project, browser_page, live_server
):
    page = browser_page
    with step("rejecting from a backlog row"):
        # Given 李雷 on MALL's backlog in rank order: every row has a drag handle
        sign_in(page, live_server, "member")
        page.goto(f"{live_server.url}/projects/MALL/requirements/")
        r3 = page.locator(f"#req-{backlog[2].pk}")
        expect(r3.locator(".drag-handle")).to_have_count(1)

        # When he rejects R3 from its row, giving the reason it asks for
        r3.locator('select[data-field="status"]').select_option("rejected")
        r3.locator("form.inline-reason input[name=rejection_reason]").fill("二期再议")
        r3.locator("form.inline-reason button[type=submit]").click()
        expect(r3).to_have_class(re.compile(r"\bstatus-rejected\b"))
        assert requirement(project, 3).status == "rejected"

    # Then the row can still be dragged, like the rows around it
    assert page.locator("#backlog-rows .drag-handle").count() == 5
    assert r3.locator(".drag-handle").count() == 1
