"""The board in a real browser: a card dragged to 已完成 is done (the sprint's burndown
counts it today), and stand-up mode opens from the board with blocked work first."""

from __future__ import annotations

import os

# Playwright's sync API runs an event loop in this thread, which also seeds the database.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import json

import pytest
from playwright.sync_api import expect

from projects import services
from projects.models import WorkItem
from tests.projects.board_factories import (
    DOING,
    DONE,
    column,
    make_item,
    make_sprint,
    move,
    start_sprint,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-1"  # tests.portal.factories.UserFactory's


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form:has(#id_username) button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


def drag(page, source, target) -> None:
    """Drag like a hand does: press, move in small steps (SortableJS needs the moves), drop."""
    start = source.bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + start["height"] / 2 + 5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 30, steps=15)
    page.mouse.up()


@pytest.fixture
def running_sprint(project, owner, member):
    """MALL's sprint started today: MALL-1 (3 points) in 进行中, MALL-2 (5 points) in 待办."""
    sprint = make_sprint(project, owner, project.today(), name="S12 大促冲刺")
    doing = make_item(
        project, owner, "购物车凑单提示", sprint=sprint, story_points=3, assignee=member
    )
    make_item(project, owner, "订单导出", sprint=sprint, story_points=5)
    move(doing, DOING, member)
    return start_sprint(sprint, owner)


BOARD_JS_BUG = (
    "BUG: templates/projects/board.html loads static/js/board.js as a classic script at "
    "the end of <body>, but {% htmx_script %} (django-htmx) loads htmx with `defer`, so "
    "board.js runs first and throws 'htmx is not defined' at `htmx.onLoad(init)`: "
    "SortableJS is never attached and no card on the board can be dragged (checked: with "
    "`defer` added to the board.js tag this test passes)."
)


def test_dragging_a_card_to_done_finishes_it_and_burns_down_today(
    running_sprint, project, member, page, live_server, console_errors
):
    done = column(project, DONE)
    # Given 李雷 on MALL's board, with MALL-1 in 进行中
    sign_in(page, live_server, "member")
    page.goto(f"{live_server.url}/projects/MALL/board/")
    card = page.locator('.card-item[data-key="MALL-1"]')
    target = page.locator(f'.col-list[data-column="{done.pk}"]')
    expect(card).to_be_visible()
    expect(target.locator(".card-item")).to_have_count(0)
    page.wait_for_load_state("load")
    assert console_errors == [], "the board's scripts failed: cards cannot be dragged"

    # When he drags it into 已完成
    with page.expect_response(lambda r: r.url.endswith("/board/move/")) as moved:
        drag(page, card, target)
    assert moved.value.status == 204

    # Then the card sits in 已完成 and the item is done, in the database too
    expect(target.locator('.card-item[data-key="MALL-1"]')).to_have_count(1)
    item = WorkItem.objects.get(project=project, number=1)
    assert item.column == done
    assert item.done_at is not None
    assert item.started_at is not None

    # and the sprint page's burndown counts the 3 points as done today
    page.goto(f"{live_server.url}/projects/MALL/sprints/{running_sprint.pk}/")
    data = json.loads(page.locator("#sprint-chart-data").text_content())
    assert data["days"][0] == project.today().isoformat()
    assert data["done"][0] == 3
    assert data["remaining"][0] == 5
    assert data["scope"][0] == 8
    assert data["remaining"][1] is None
    expect(page.locator("#burndown-chart")).to_be_visible()
    assert console_errors == []


def test_standup_opens_from_the_board_with_blocked_work_first(
    running_sprint, project, owner, member, page, live_server, console_errors
):
    # Given MALL-2 is blocked
    blocked = WorkItem.objects.get(project=project, number=2)
    services.work_item_update(
        item=blocked, actor=owner, blocked=True, blocked_reason="等待支付宝沙箱账号"
    )
    sign_in(page, live_server, "member")
    page.goto(f"{live_server.url}/projects/MALL/board/")
    expect(page.locator('.card-item[data-key="MALL-2"]')).to_have_class("card-item blocked")
    # (the board's own script error is the bug the drag test above reports)
    page.wait_for_load_state("load")
    on_board = len(console_errors)

    # When the team starts the stand-up from the board
    page.locator('[data-action="standup"]').click()
    page.wait_for_url(f"{live_server.url}/projects/MALL/standup/")

    # Then blocked work is listed first, above everyone's in-progress work
    first_blocked = page.locator("#standup-blocked [data-blocked]").first
    expect(first_blocked).to_have_attribute("data-blocked", "MALL-2")
    expect(first_blocked).to_contain_text("等待支付宝沙箱账号")
    blocked_top = page.locator("#standup-blocked").bounding_box()["y"]
    people_top = page.locator("#standup-people").bounding_box()["y"]
    assert blocked_top < people_top
    # and 李雷's in-progress card is under his name
    expect(page.locator('[data-person="member"]')).to_contain_text("MALL-1")
    page.wait_for_load_state("load")
    assert console_errors[on_board:] == []
