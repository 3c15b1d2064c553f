"""The release pages (issue #15) in a real browser: a release planned through its form,
its scope, plan, guard, checklist and notes edited on its page, its gray rollout started,
passed, halted, restarted and rolled back; a hotfix approved then cancelled; a planned
release deleted; a card put in a release from its board panel; and what viewers and
members may press. Every page: no console error, no htmx error, no 4xx/5xx the test did
not provoke on purpose."""

from __future__ import annotations

import os

# Playwright's sync API runs an event loop in this thread, which also seeds the database.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import json
import re
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from delivery import services as delivery_services
from delivery.models import Release, ReleaseState, StageState
from tests.projects.board_factories import make_item

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-1"  # tests.portal.factories.UserFactory's
TIMEOUT_MS = 5_000

# Every htmx failure event, reported to the test from every document the page loads.
HTMX_ERROR_EVENTS = (
    "htmx:responseError",
    "htmx:sendError",
    "htmx:targetError",
    "htmx:swapError",
    "htmx:oobErrorNoTarget",
)
HTMX_LISTENER = (
    "const htmxErrorEvents = "
    + json.dumps(HTMX_ERROR_EVENTS)
    + """;
for (const name of htmxErrorEvents) {
  document.addEventListener(name, (evt) => {
    const config = evt.detail && evt.detail.requestConfig;
    window.__reportHtmxError(`${name} ${config ? config.verb + " " + config.path : ""}`);
  }, true);
}
"""
)


@contextmanager
def step(what: str):
    """A failure inside says which step of a long scenario broke."""
    try:
        yield
    except AssertionError as exc:
        pytest.fail(f"{what} broke: {exc}")


class PageProblems:
    """What went wrong in the page: console errors, uncaught exceptions, htmx error events
    and 4xx/5xx answers. A test that provokes an error answer on purpose declares it with
    `allow_status(status, method, path)` first."""

    # Chromium's network line for an answer the test allowed (checked below by status).
    FAILED_LOAD = re.compile(r"^Failed to load resource: .* status of (\d{3}) ")

    def __init__(self) -> None:
        self.console: list[str] = []
        self.htmx: list[str] = []
        self.responses: list[tuple[int, str, str]] = []
        self._allowed: list[tuple[int, str, re.Pattern[str]]] = []

    def allow_status(self, status: int, method: str, path: str) -> None:
        self._allowed.append((status, method, re.compile(path)))

    def _allowed_response(self, status: int, method: str, url: str) -> bool:
        return any(status == s and method == m and p.search(url) for s, m, p in self._allowed)

    def on_response(self, response) -> None:
        if response.status >= 400:
            self.responses.append((response.status, response.request.method, response.url))

    def unexpected(self) -> list[str]:
        allowed_statuses = {s for s, _m, _p in self._allowed}
        console = [
            e
            for e in self.console
            if not ((m := self.FAILED_LOAD.search(e)) and int(m.group(1)) in allowed_statuses)
        ]
        responses = [
            f"{status} {method} {url}"
            for status, method, url in self.responses
            if not self._allowed_response(status, method, url)
        ]
        return console + [f"htmx: {e}" for e in self.htmx] + [f"HTTP {r}" for r in responses]

    def assert_clean(self, where: str) -> None:
        problems = self.unexpected()
        assert problems == [], f"{where}: the page went wrong:\n  " + "\n  ".join(problems)


@pytest.fixture
def browser_page(page, live_server):
    """The page, failing fast, recording every console error, uncaught exception, htmx
    error event and 4xx/5xx answer; accepting every confirm dialog (and recording it)."""
    problems = PageProblems()
    page.on(
        "console", lambda msg: problems.console.append(msg.text) if msg.type == "error" else None
    )
    page.on("pageerror", lambda exc: problems.console.append(f"uncaught: {exc}"))
    page.on("response", problems.on_response)
    page.expose_function("__reportHtmxError", lambda text: problems.htmx.append(text))
    page.add_init_script(HTMX_LISTENER)
    page.dialogs = []

    def accept(dialog) -> None:
        page.dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.set_default_timeout(TIMEOUT_MS)
    page.problems = problems
    yield page
    if leftover := problems.unexpected():
        pytest.fail(
            "the page went wrong in ways the test did not expect:\n  " + "\n  ".join(leftover),
            pytrace=False,
        )


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form:has(#id_username) button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


def stage_percents(page) -> list[str]:
    return page.locator("#rollout tr[data-stage] td:nth-child(2)").all_inner_texts()


@pytest.fixture
def work(project, owner):
    """Two stories on MALL's backlog: MALL-1 and MALL-2 (no sprint: the board shows all)."""
    return [
        make_item(project, owner, "购物车凑单提示", story_points=3),
        make_item(project, owner, "订单导出 Excel", story_points=5),
    ]


def test_a_release_is_planned_scoped_rolled_out_halted_and_rolled_back(
    project, owner, member, work, browser_page, live_server
):
    page = browser_page
    releases = f"{live_server.url}/projects/MALL/releases/"
    sign_in(page, live_server, "owner")

    with step("planning with a bad plan"):
        # Given 王芳, MALL's owner, on the release list
        page.goto(releases)
        # When she plans 2.3.0 with a plan that goes down (5 → 1)
        page.locator("[data-new-release]").click()
        expect(page).to_have_url(f"{releases}new/")
        form = page.locator("#release-form")
        form.locator("#id_version").fill("2.3.0")
        form.locator("#id_name").fill("大促版本")
        form.locator("#id_plan").fill("5, 1")
        form.locator("#id_observe_minutes").fill("0")
        page.problems.allow_status(400, "POST", r"/projects/MALL/releases/new/$")
        form.locator("button[type=submit]").click()
        # Then the plan field says why, and nothing was created
        expect(form.locator("[data-field=plan] .errorlist")).to_be_visible()
        expect(form.locator("#id_version")).to_have_value("2.3.0")
        assert not Release.objects.filter(project=project).exists()

    with step("planning with a good plan"):
        # When she writes 10 → 100, observed 0 minutes each
        form.locator("#id_plan").fill("10 → 100")
        form.locator("#id_observe_minutes").fill("0")
        form.locator("button[type=submit]").click()
        # Then she lands on the release's page: planned, two stages
        expect(page).to_have_url(f"{releases}2.3.0/")
        expect(page.locator("[data-release-state]")).to_have_attribute(
            "data-release-state", "planned"
        )
        expect(page.locator("#rollout tr[data-stage]")).to_have_count(2)
        assert stage_percents(page) == ["10%", "100%"]
        page.problems.assert_clean("the new release's page")

    scope = page.locator("#scope")
    with step("adding work by key"):
        # When she adds an unknown key
        page.problems.allow_status(400, "POST", r"/releases/2\.3\.0/scope/$")
        scope.locator("#scope-add").fill("MALL-99")
        scope.locator("[data-scope-add]").click()
        # Then the field says which key is unknown, and nothing was added
        expect(scope.locator("#scope-add-error")).to_contain_text("MALL-99")
        expect(scope.locator("tr[data-scope]")).to_have_count(0)
        # When she adds MALL-1 and MALL-2
        scope.locator("#scope-add").fill("MALL-1, MALL-2")
        scope.locator("[data-scope-add]").click()
        # Then both are in the release
        expect(scope.locator("tr[data-scope]")).to_have_count(2)
        expect(scope.locator("#scope-add-error")).to_have_count(0)
        expect(scope.locator('tr[data-scope="MALL-1"]')).to_be_visible()
        expect(scope.locator('tr[data-scope="MALL-2"]')).to_be_visible()

    with step("taking one out with ×"):
        scope.locator('tr[data-scope="MALL-2"] button[name=remove]').click()
        expect(scope.locator('tr[data-scope="MALL-2"]')).to_have_count(0)
        expect(scope.locator("tr[data-scope]")).to_have_count(1)
        release = Release.objects.get(project=project, version="2.3.0")
        assert [i.number for i in release.work_items.all()] == [1]
        page.problems.assert_clean("the scope")

    with step("editing the plan"):
        # When she opens the plan, adds a stage (JS) and writes 10 → 50 → 100
        box = page.locator("[data-plan-box]")
        box.locator("summary").click()
        rows = box.locator("tr[data-plan-row]")
        expect(rows).to_have_count(2)
        box.locator("[data-add-stage]").click()
        expect(rows).to_have_count(3)
        expect(box.locator("input[name=plan-TOTAL_FORMS]")).to_have_value("3")
        expect(box.locator("input[name=plan-2-percent]")).to_be_focused()
        box.locator("input[name=plan-1-percent]").fill("50")
        box.locator("input[name=plan-2-percent]").fill("100")
        box.locator("input[name=plan-2-observe_minutes]").fill("0")
        box.locator("[data-save-plan]").click()
        # Then the rollout has three stages
        expect(page.locator("#rollout tr[data-stage]")).to_have_count(3)
        assert stage_percents(page) == ["10%", "50%", "100%"]

    with step("adding a guard"):
        box = page.locator("[data-guard-box]")
        box.locator("summary").click()
        box.locator("select[name=stage]").select_option(label="1. 10%")
        box.locator("input[name=metric]").fill("error_rate")
        box.locator("select[name=operator]").select_option("lte")
        box.locator("input[name=threshold]").fill("0.5")
        box.locator("[data-add-guard]").click()
        guard = page.locator("#rollout li[data-guard]")
        expect(guard).to_have_count(1)
        expect(guard).to_contain_text("error_rate")
        expect(guard).to_contain_text("0.5")
        expect(guard).to_have_attribute("data-holds", "unknown")
        page.problems.assert_clean("the plan and the guard")

    with step("ticking and unticking a checklist item"):
        item = page.locator('#go-no-go li[data-check="monitoring"]')
        expect(item).to_have_attribute("data-done", "0")
        item.locator("button.check-toggle").click()
        expect(item).to_have_attribute("data-done", "1")
        expect(item.locator("button.check-toggle")).to_have_attribute("aria-checked", "true")
        item.locator("button.check-toggle").click()
        expect(item).to_have_attribute("data-done", "0")
        expect(item.locator("button.check-toggle")).to_have_attribute("aria-checked", "false")

    notes = page.locator("#release-notes")
    with step("switching the notes' language"):
        expect(notes).to_have_attribute("lang", "zh-hans")
        chinese = notes.input_value()
        assert "MALL-1" in chinese, chinese
        assert "MALL-2" not in chinese, chinese
        page.locator('[data-notes-language="en"]').click()
        expect(page).to_have_url(re.compile(r"\?notes=en#notes$"))
        expect(notes).to_have_attribute("lang", "en")
        expect(notes).to_have_value(re.compile(r"^# Release 2\.3\.0"))
        assert notes.input_value() != chinese, "the notes did not change language"
        expect(page.locator("[data-notes-download]")).to_have_attribute(
            "href", re.compile(r"notes\.md\?language=en$")
        )
        page.locator('[data-notes-language="zh-hans"]').click()
        expect(page).to_have_url(re.compile(r"\?notes=zh-hans#notes$"))
        expect(notes).to_have_attribute("lang", "zh-hans")
        expect(notes).to_have_value(chinese)

    with step("copying the notes"):
        page.context.grant_permissions(
            ["clipboard-read", "clipboard-write"], origin=live_server.url
        )
        copy = page.locator("#notes [data-copy]")
        copied = copy.get_attribute("data-copied")
        assert copied
        # The site's Permissions-Policy forbids reading the clipboard (clipboard-read=()):
        # record what the button writes instead.
        page.evaluate(
            """() => {
              const write = navigator.clipboard.writeText.bind(navigator.clipboard);
              navigator.clipboard.writeText = (text) => {
                window.__copied = text;
                return write(text);
              };
            }"""
        )
        copy.click()
        expect(copy).to_have_text(copied)
        assert page.evaluate("window.__copied") == chinese

    with step("downloading the notes"):
        with page.expect_download() as download:
            page.locator("[data-notes-download]").click()
        assert download.value.suggested_filename == "MALL-2.3.0-zh-hans.md"
        with open(download.value.path(), encoding="utf-8") as file:
            assert file.read() == chinese
        page.problems.assert_clean("the checklist and the notes")

    rollout = page.locator("#rollout")
    with step("starting and passing the first stage"):
        rollout.locator('[data-advance="start:1"]').click()
        expect(rollout.locator('tr[data-stage="1"]')).to_have_attribute(
            "data-stage-state", "running"
        )
        expect(page.locator("[data-release-state]")).to_have_attribute("data-release-state", "gray")
        # Observed for 0 minutes: it can be passed at once
        rollout.locator('[data-advance="pass:1"]').click()
        expect(rollout.locator('tr[data-stage="1"]')).to_have_attribute(
            "data-stage-state", "passed"
        )
        rollout.locator('[data-advance="start:2"]').click()
        expect(rollout.locator('tr[data-stage="2"]')).to_have_attribute(
            "data-stage-state", "running"
        )
        page.problems.assert_clean("the rollout")

    with step("halting without and with a reason"):
        halt = page.locator("[data-halt-box]")
        halt.locator("summary").click()
        page.problems.allow_status(400, "POST", r"/releases/2\.3\.0/halt/$")
        halt.locator("[data-halt]").click()
        halt = page.locator("[data-halt-box]")
        expect(halt).to_have_attribute("open", "")
        expect(halt.locator("[data-field=reason] .errorlist")).to_be_visible()
        expect(page.locator("[data-release-state]")).to_have_attribute("data-release-state", "gray")
        halt.locator("textarea[name=halt-reason]").fill("支付成功率下降")
        halt.locator("[data-halt]").click()
        expect(page.locator("[data-stop-reason]")).to_contain_text("支付成功率下降")
        expect(page.locator("[data-release-state]")).to_have_attribute(
            "data-release-state", "halted"
        )
        expect(rollout.locator('tr[data-stage="2"]')).to_have_attribute(
            "data-stage-state", "halted"
        )

    with step("restarting"):
        rollout.locator('[data-advance="start:2"]').click()
        expect(page.locator("[data-stop-reason]")).to_have_count(0)
        expect(page.locator("[data-release-state]")).to_have_attribute("data-release-state", "gray")
        expect(rollout.locator('tr[data-stage="2"]')).to_have_attribute(
            "data-stage-state", "running"
        )

    with step("rolling back"):
        back = page.locator("[data-rollback-box]")
        back.locator("summary").click()
        back.locator("textarea[name=rollback-reason]").fill("订单重复扣款")
        back.locator("[data-rollback]").click()
        expect(page.locator("[data-release-state]")).to_have_attribute(
            "data-release-state", "rolled_back"
        )
        banner = page.locator("[data-stop-reason]")
        expect(banner).to_contain_text("订单重复扣款")
        expect(banner).to_contain_text("王芳")
        # A rolled-back release is closed: nothing more to press
        expect(page.locator("[data-advance]")).to_have_count(0)
        expect(page.locator("[data-rollback-box]")).to_have_count(0)
        assert len(page.dialogs) == 1, page.dialogs  # the roll back's confirmation
        release.refresh_from_db()
        assert (release.state, release.stop_reason) == (ReleaseState.ROLLED_BACK, "订单重复扣款")
        assert release.stages.get(position=2).state == StageState.HALTED
        page.problems.assert_clean("the halt, restart and roll back")


def test_a_hotfix_is_approved_and_cancelled_and_a_planned_release_deleted(
    project, owner, browser_page, live_server
):
    page = browser_page
    releases = f"{live_server.url}/projects/MALL/releases/"
    sign_in(page, live_server, "owner")

    with step("planning a hotfix"):
        page.goto(f"{releases}new/")
        form = page.locator("#release-form")
        form.locator("#id_version").fill("2.3.1")
        form.locator("#id_hotfix").check()
        form.locator("button[type=submit]").click()
        expect(page).to_have_url(f"{releases}2.3.1/")
        expect(page.locator("[data-hotfix]")).to_be_visible()

    with step("approving the hotfix"):
        page.locator("[data-approve-hotfix]").click()
        expect(page.locator("[data-approve-hotfix]")).to_have_count(0)
        expect(page.locator("[data-hotfix]")).to_contain_text("王芳")
        assert Release.objects.get(version="2.3.1").hotfix_approved_by == owner

    with step("cancelling it"):
        page.locator("[data-cancel-release]").click()
        expect(page.locator("[data-release-state]")).to_have_attribute(
            "data-release-state", "cancelled"
        )
        expect(page.locator("[data-cancel-release]")).to_have_count(0)
        expect(page.locator("[data-delete-release]")).to_have_count(0)
        assert len(page.dialogs) == 2, page.dialogs
        page.problems.assert_clean("the hotfix")

    with step("deleting a planned release"):
        page.goto(f"{releases}new/")
        form = page.locator("#release-form")
        form.locator("#id_version").fill("2.4.0")
        form.locator("button[type=submit]").click()
        expect(page).to_have_url(f"{releases}2.4.0/")
        page.locator("[data-delete-release]").click()
        expect(page).to_have_url(releases)
        expect(page.locator('tr[data-release="2.4.0"]')).to_have_count(0)
        assert len(page.dialogs) == 3, page.dialogs
        page.goto(f"{releases}?show=all")
        expect(page.locator('tr[data-release="2.3.1"]')).to_have_attribute(
            "data-state", "cancelled"
        )
        expect(page.locator('tr[data-release="2.4.0"]')).to_have_count(0)
        assert not Release.objects.filter(version="2.4.0").exists()
        page.problems.assert_clean("the delete")


def test_a_card_is_put_in_a_release_from_its_board_panel(
    project, owner, work, browser_page, live_server
):
    page = browser_page
    delivery_services.release_create(project=project, actor=owner, version="2.3.0", name="大促")
    sign_in(page, live_server, "owner")

    # Given 王芳 on MALL's board, MALL-2 in no release
    page.goto(f"{live_server.url}/projects/MALL/board/")
    card = page.locator('#board .card-item[data-key="MALL-2"]')
    expect(card).to_be_visible()
    expect(card.locator("[data-card-release]")).to_have_count(0)
    page.evaluate("window.__sameDocument = 'still here'")

    # When she opens its panel, chooses 2.3.0 and sets the release
    card.click()
    section = page.locator("#card-panel [data-item-release]")
    expect(section).to_be_visible()
    expect(section.locator("[data-release-link]")).to_have_count(0)
    section.locator("select[name=release]").select_option("2.3.0")
    section.locator("button[type=submit]").click()

    # Then the section shows the release, and the card on the board its badge
    section = page.locator("#card-panel [data-item-release]")
    expect(section.locator('[data-release-link="2.3.0"]')).to_be_visible()
    expect(section.locator("select[name=release]")).to_have_value("2.3.0")
    expect(card.locator('[data-card-release="2.3.0"]')).to_be_visible()
    expect(page.locator('#board .card-item[data-key="MALL-1"] [data-card-release]')).to_have_count(
        0
    )
    assert page.evaluate("window.__sameDocument") == "still here", "the board reloaded"
    release = Release.objects.get(version="2.3.0")
    assert [i.key for i in release.work_items.all()] == ["MALL-2"]
    page.problems.assert_clean("the board")


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_what_viewers_and_members_may_press_on_a_release(
    project, owner, member, viewer, work, browser_page, live_server, role
):
    page = browser_page
    release = delivery_services.release_create(
        project=project,
        actor=owner,
        version="2.3.0",
        stages=[{"percent": 10, "observe_minutes": 0}, {"percent": 100, "observe_minutes": 0}],
    )
    delivery_services.release_scope_set(release=release, actor=owner, work_items=work[:1])
    sign_in(page, live_server, role)

    page.goto(f"{live_server.url}/projects/MALL/releases/2.3.0/")
    expect(page.locator("#scope tr[data-scope]")).to_have_count(1)
    # Nobody but owners edits, deletes, cancels or plans
    for owners_only in (
        'a[href$="/releases/2.3.0/edit/"]',
        "[data-delete-release]",
        "[data-cancel-release]",
        "[data-plan-box]",
        "[data-guard-box]",
        "[data-rollback-box]",
        "#scope-form",
        "#scope button[name=remove]",
        "#go-no-go button.check-toggle",
    ):
        expect(page.locator(owners_only)).to_have_count(0)
    # Everyone reads the notes
    expect(page.locator("[data-notes-download]")).to_be_visible()

    if role == "viewer":
        expect(page.locator("[data-advance]")).to_have_count(0)
        expect(page.locator("[data-halt-box]")).to_have_count(0)
    else:
        # A member starts the stage, and may then halt it
        page.locator('[data-advance="start:1"]').click()
        expect(page.locator('#rollout tr[data-stage="1"]')).to_have_attribute(
            "data-stage-state", "running"
        )
        expect(page.locator('[data-advance="pass:1"]')).to_be_visible()
        expect(page.locator("[data-halt-box]")).to_be_visible()
        expect(page.locator("[data-rollback-box]")).to_have_count(0)
    page.problems.assert_clean(f"the release page, as a {role}")


def test_the_notes_links_still_work_on_a_page_answering_a_refused_form(
    project, owner, work, browser_page, live_server
):
    # BUG (fails until fixed): a refused form answers the release page at the form's URL
    # (…/2.3.0/scope/, …/halt/, …), and the notes' 中文/English links are relative
    # (href="?notes=en#notes"), so they GET that POST-only URL: 405 and a blank page.
    page = browser_page
    delivery_services.release_create(project=project, actor=owner, version="2.3.0")
    sign_in(page, live_server, "owner")

    # Given 王芳 on the release page answering her unknown key
    page.goto(f"{live_server.url}/projects/MALL/releases/2.3.0/")
    page.problems.allow_status(400, "POST", r"/releases/2\.3\.0/scope/$")
    page.locator("#scope-add").fill("MALL-99")
    page.locator("[data-scope-add]").click()
    expect(page.locator("#scope-add-error")).to_contain_text("MALL-99")

    # When she switches the notes to English
    page.locator('[data-notes-language="en"]').click()

    # Then she sees the release's notes in English
    expect(page.locator("#release-notes")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/releases/2\.3\.0/\?notes=en#notes$"))
