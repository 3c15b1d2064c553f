"""The card side panel on the demo boards, in a real browser, in both languages.

A card opens its panel beside the board; editing, blocking and unblocking there shows on
the card at once (no reload), a bad title or a missing block reason is a field error in
the panel, and no htmx request ever misses its target (the board's `hx-swap="outerHTML"`
used to be inherited by the cards, so the panel replaced itself and saving failed with
`htmx:targetError #card-panel`).
"""

from __future__ import annotations

import os
import re

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from playwright.sync_api import expect

from projects.models import WorkItem

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Every htmx failure event, collected in the page for the test to read.
HTMX_ERROR_EVENTS = (
    "htmx:targetError",
    "htmx:responseError",
    "htmx:swapError",
    "htmx:sendError",
    "htmx:oobErrorNoTarget",
)
LISTEN_FOR_HTMX_ERRORS = """(names) => {
  window.__htmxErrors = [];
  for (const name of names) {
    document.body.addEventListener(name, (evt) => {
      const path = evt.detail && evt.detail.requestConfig ? evt.detail.requestConfig.path : "";
      window.__htmxErrors.push(`${name} ${path}`);
    });
  }
}"""

SAVED = {"zh-hans": "已保存。", "en": "Saved."}


def htmx_errors(page) -> list[str]:
    return page.evaluate("window.__htmxErrors")


@pytest.mark.parametrize(
    ("username", "key", "language"),
    [("lilei", "MALL", "zh-hans"), ("emily", "PAY", "en")],
    ids=["lilei-MALL-zh-hans", "emily-PAY-en"],
)
def test_a_card_is_edited_blocked_and_unblocked_from_its_side_panel(
    demo, page, live_server, login, username, key, language
):
    # Given a demo member on the project's board, in their own language
    login(username)
    page.goto(f"{live_server.url}/projects/{key}/board/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.evaluate(LISTEN_FOR_HTMX_ERRORS, list(HTMX_ERROR_EVENTS))
    card = page.locator("#board .col-list .card-item:not(.blocked)").first
    card_key = card.get_attribute("data-key")
    card = page.locator(f'#board .card-item[data-key="{card_key}"]')
    item = WorkItem.objects.get(project__key=key, number=int(card_key.rsplit("-", 1)[1]))
    old_title = item.title
    panel = page.locator("#card-panel")

    # When they click the card
    card.click()

    # Then its panel opens beside the board, styled as a drawer, with the card's form
    expect(panel).to_have_class("side-panel open")
    expect(panel.locator(f'[data-panel-item="{item.pk}"]')).to_be_visible()
    expect(panel.locator("h3").first).to_have_text(old_title)
    page.wait_for_timeout(300)  # the drawer slides in
    viewport = page.viewport_size
    panel_box = panel.bounding_box()
    board_box = page.locator("#board").bounding_box()
    assert panel_box["width"] >= 320
    assert panel_box["x"] + panel_box["width"] == pytest.approx(viewport["width"], abs=1)
    assert panel_box["x"] >= board_box["x"] + board_box["width"] - 1, "the panel covers the board"
    assert panel_box["y"] < viewport["height"] / 4
    card_box = card.bounding_box()
    assert card_box["x"] + card_box["width"] <= panel_box["x"], "the card hides under the panel"

    # When they save a title longer than 200 characters (pasted past the input's maxlength)
    panel.locator("input[name=title]").evaluate("(el) => { el.value = 'x'.repeat(201); }")
    panel.locator("form:has([name=title]) button[type=submit]").click()

    # Then the panel shows the title's field error and the card keeps its title
    expect(panel.locator("[data-field=title] .errorlist")).to_be_visible()
    expect(card.locator(".card-title")).to_have_text(old_title)

    # When they block it with a new title but no reason
    new_title = f"{old_title} · v2"
    panel.locator("input[name=title]").fill(new_title)
    panel.locator("input[name=blocked]").check()
    panel.locator("input[name=blocked_reason]").fill("")
    panel.locator("form:has([name=title]) button[type=submit]").click()

    # Then the reason is a field error, and nothing changed on the board
    expect(panel.locator("[data-field=blocked_reason] .errorlist")).to_be_visible()
    expect(panel.locator("[data-field=title] .errorlist")).to_have_count(0)
    expect(card).not_to_have_class("card-item blocked")
    expect(card.locator(".card-title")).to_have_text(old_title)

    # When they give the reason and save
    panel.locator("input[name=blocked_reason]").fill("等待第三方接口 / waiting on the API")
    panel.locator("form:has([name=title]) button[type=submit]").click()

    # Then the card on the board shows the new title and the blocked badge at once
    expect(panel.locator(".messages .success")).to_have_text(SAVED[language])
    expect(card.locator(".card-title")).to_have_text(new_title)
    expect(card).to_have_class("card-item blocked")
    expect(card.locator(".blocked-tag")).to_be_visible()
    expect(panel.locator("[data-panel-blocked]")).to_be_visible()

    # When they unblock it
    panel.locator("input[name=blocked]").uncheck()
    panel.locator("form:has([name=title]) button[type=submit]").click()

    # Then the badge is gone from the card, which keeps its new title
    expect(panel.locator("[data-panel-blocked]")).to_have_count(0)
    expect(card.locator(".blocked-tag")).to_have_count(0)
    expect(card).not_to_have_class("card-item blocked")
    expect(card.locator(".card-title")).to_have_text(new_title)
    item.refresh_from_db()
    assert (item.title, item.blocked, item.blocked_reason) == (new_title, False, "")

    # When they change the points (a change the sprint bar counts: the board is redrawn)
    panel.locator("input[name=story_points]").fill("13")
    panel.locator("form:has([name=title]) button[type=submit]").click()

    # Then the redrawn board shows them, and the panel stays open
    expect(card.locator(".points")).to_have_text("13")
    expect(panel).to_have_class("side-panel open")

    # When they press Escape
    page.keyboard.press("Escape")

    # Then the panel closes and the card has the focus again
    expect(panel).not_to_have_class("side-panel open")
    expect(panel.locator("[data-panel-item]")).to_have_count(0)
    expect(card).to_be_focused()

    # And the close button closes it too, after the redraw (the new cards open it as well)
    card.click()
    expect(panel.locator(f'[data-panel-item="{item.pk}"]')).to_be_visible()
    panel.locator("[data-close-panel]").click()
    expect(panel).not_to_have_class("side-panel open")

    # And with no htmx request missing its target or failing on the way
    assert htmx_errors(page) == []


def test_the_boards_other_swapping_controls_still_work(demo, page, live_server, login):
    # Given 李雷 on MALL's board
    login("lilei")
    page.goto(f"{live_server.url}/projects/MALL/board/")
    page.evaluate(LISTEN_FOR_HTMX_ERRORS, list(HTMX_ERROR_EVENTS))
    board = page.locator("#board")

    # When he adds a card with the quick-add field
    page.locator(".quick-add input[name=title]").fill("快速新增的卡片")
    page.locator(".quick-add input[name=title]").press("Enter")

    # Then it appears at the top of the first column, without a reload
    first_column = board.locator(".col-list").first
    expect(first_column.locator(".card-item").first.locator(".card-title")).to_have_text(
        "快速新增的卡片"
    )

    # When he searches the board
    page.locator("input[name=q]").fill("快速新增")
    expect(board.locator(".card-item")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/projects/MALL/board/\?.*q="))

    # Then the filtered board's card still opens its panel
    board.locator(".card-item").first.click()
    expect(page.locator("#card-panel.open [data-panel-item]")).to_be_visible()
    expect(page.locator("#card-panel h3").first).to_have_text("快速新增的卡片")
    page.keyboard.press("Escape")

    # When he clears the search and shows blocked work only
    page.locator("input[name=q]").fill("")
    page.locator("input[name=blocked]").check()

    # Then only blocked cards are on the board
    expect(board.locator(".card-item").first).to_be_visible()
    expect(board.locator(".card-item:not(.blocked)")).to_have_count(0)

    # When he picks swimlanes by assignee
    page.locator("select[name=swimlane]").select_option("assignee")

    # Then the board is redrawn in lanes, and its cards still open the panel
    expect(board.locator(".lane-head").first).to_be_visible()
    board.locator(".card-item").first.click()
    expect(page.locator("#card-panel.open [data-panel-item]")).to_be_visible()
    assert htmx_errors(page) == []
