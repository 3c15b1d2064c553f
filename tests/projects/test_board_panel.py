"""The card side panel and the htmx wiring of the board page.

htmx attributes inherit: `#board` swaps itself with `outerHTML`, and before it said
`hx-disinherit="*"` every card inherited that swap, so opening a card replaced the side
panel itself and the panel's save failed with `htmx:targetError #card-panel`. These tests
read the markup the browser gets and the answers the panel gives; tests/e2e/
test_board_panel.py clicks through the same in Chromium.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from projects.models import WorkItem
from tests.projects.board_factories import make_item, make_sprint

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
REQUEST_ATTRIBUTES = ("hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete")


class _Tags(HTMLParser):
    """Every start tag with its attributes and the ids of the elements around it."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "area", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str], tuple[str, ...]]] = []
        self._open: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes, tuple(i for _, i in self._open if i)))
        if tag not in self.VOID:
            self._open.append((tag, attributes.get("id", "")))

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                break


def tags(html: str) -> list[tuple[str, dict[str, str], tuple[str, ...]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def by_id(html: str, element_id: str) -> dict[str, str]:
    found = [attrs for _, attrs, _ in tags(html) if attrs.get("id") == element_id]
    assert len(found) == 1, f"one #{element_id} expected, found {len(found)}"
    return found[0]


def hx_trigger(response) -> dict:
    raw = response.headers.get("HX-Trigger", "")
    return json.loads(raw) if raw.startswith("{") else dict.fromkeys(filter(None, raw.split(",")))


def item_url(item: WorkItem) -> str:
    return reverse("projects:item", args=[item.project.key, item.number])


def panel_form(item: WorkItem, **changes) -> dict:
    data = {
        "title": item.title,
        "type": item.type,
        "priority": item.priority,
        "story_points": "" if item.story_points is None else str(item.story_points),
        "assignee": item.assignee_id or "",
        "sprint": item.sprint_id or "",
        "labels": ", ".join(item.labels),
        "due_date": "",
        "blocked_reason": item.blocked_reason,
        "description": item.description,
    }
    if item.blocked:
        data["blocked"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def card(project, owner, member):
    return make_item(project, owner, "支付回调", type="bug", assignee=member, story_points=3)


def test_every_request_inside_the_board_names_its_own_target_and_swap(
    client, project, card, member
):
    # Given 李雷 (a member: the quick-add form is there too) opens the board
    client.force_login(member)
    html = client.get(reverse("projects:board", args=[project.key])).content.decode()

    # Then the board and the filter form, which set a target and a swap, pass neither on
    assert by_id(html, "board").get("hx-disinherit") == "*"
    filters = [a for tag, a, _ in tags(html) if tag == "form" and "filters" in a.get("class", "")]
    assert filters
    assert filters[0].get("hx-disinherit") == "*"
    # and every card and form inside the board says where its answer goes and how
    inside = [
        (tag, attrs)
        for tag, attrs, around in tags(html)
        if "board" in around and any(a in attrs for a in REQUEST_ATTRIBUTES)
    ]
    assert {tag for tag, _ in inside} == {"article", "form"}
    for tag, attrs in inside:
        assert attrs.get("hx-target"), (tag, attrs)
        assert attrs.get("hx-swap"), (tag, attrs)
    card_attrs = by_id(html, f"item-{card.pk}")
    assert (card_attrs["hx-target"], card_attrs["hx-swap"]) == ("#card-panel", "innerHTML")
    # and the panel it opens into is on the page, beside the board
    assert "side-panel" in by_id(html, "card-panel")["class"]


def test_leaving_a_search_field_does_not_redraw_the_board_again(client, project, card, member):
    # Given the board's filter form
    client.force_login(member)
    html = client.get(reverse("projects:board", args=[project.key])).content.decode()
    form = next(a for tag, a, _ in tags(html) if tag == "form" and "filters" in a.get("class", ""))

    # Then its `change` triggers are for the selects and the check box only: a search field
    # already redraws as one types, and its `change` on blur redrew the board under the
    # click that left the field (the clicked card was replaced and the click lost)
    triggers = [t.strip() for t in form["hx-trigger"].split(",")]
    changes = [t for t in triggers if t.split()[0] == "change"]
    assert changes
    assert all("target:" in t for t in changes), triggers
    assert any(t.startswith("input changed") for t in triggers)


def test_the_panel_form_saves_into_the_panel(client, card, member):
    client.force_login(member)
    html = client.get(item_url(card), **HTMX, HTTP_HX_TARGET="card-panel").content.decode()
    form = next(attrs for tag, attrs, _ in tags(html) if tag == "form" and "hx-post" in attrs)
    assert (form["hx-target"], form["hx-swap"]) == ("#card-panel", "innerHTML")


def test_a_save_that_changes_only_the_card_redraws_only_that_card(client, card, member):
    # Given 李雷 with the panel of MALL-1 open
    client.force_login(member)

    # When he renames it and blocks it with a reason
    response = client.post(
        item_url(card),
        panel_form(card, title="支付回调 v2", blocked="on", blocked_reason="等支付宝沙箱"),
        **HTMX,
    )

    # Then the panel says it is saved, and the board is told to redraw that card only
    assert response.status_code == 200
    assert hx_trigger(response) == {"card-changed": {"item": card.pk}}
    # and the card, asked for as board.js asks, is the card as the board draws it
    redrawn = client.get(item_url(card), **HTMX, HTTP_HX_TARGET=f"item-{card.pk}")
    html = redrawn.content.decode()
    assert redrawn.status_code == 200
    assert html.lstrip().startswith("<article")
    assert "data-panel-item" not in html
    attrs = by_id(html, f"item-{card.pk}")
    assert "blocked" in attrs["class"].split()
    assert "支付回调 v2" in html
    assert "等支付宝沙箱" in html


def test_unblocking_from_the_panel_clears_the_badge(client, card, member, owner):
    from projects import services

    services.work_item_update(item=card, actor=owner, blocked=True, blocked_reason="等接口")
    card.refresh_from_db()
    client.force_login(member)

    response = client.post(item_url(card), panel_form(card, blocked=None), **HTMX)

    assert hx_trigger(response) == {"card-changed": {"item": card.pk}}
    card.refresh_from_db()
    assert (card.blocked, card.blocked_reason) == (False, "")
    html = client.get(item_url(card), **HTMX, HTTP_HX_TARGET=f"item-{card.pk}").content.decode()
    assert "blocked" not in by_id(html, f"item-{card.pk}")["class"].split()
    assert "blocked-tag" not in html
    # and the panel's form shows the saved state: not blocked, no reason
    panel = response.content.decode()
    blocked_box = next(a for t, a, _ in tags(panel) if a.get("name") == "blocked")
    assert "checked" not in blocked_box
    assert "data-panel-blocked" not in panel


def test_a_save_that_can_move_the_card_redraws_the_board(client, project, card, member, owner):
    # Given a planned sprint
    sprint = make_sprint(project, owner, name="S2")
    client.force_login(member)

    # When the card is put into it from the panel
    response = client.post(item_url(card), panel_form(card, sprint=sprint.pk), **HTMX)

    # Then the whole board is redrawn (the card may leave it), not just the card
    assert response.status_code == 200
    assert set(hx_trigger(response)) == {"board-changed"}


def test_a_refused_save_tells_the_board_nothing(client, card, member):
    client.force_login(member)
    response = client.post(item_url(card), panel_form(card, title="x" * 201), **HTMX)
    assert response.status_code == 400
    assert "HX-Trigger" not in response.headers
    assert WorkItem.objects.get(pk=card.pk).title == "支付回调"


@pytest.mark.parametrize(("who", "status"), [("viewer", 200), ("outsider", 404)])
def test_the_card_fragment_is_for_those_who_see_the_project(client, request, card, who, status):
    client.force_login(request.getfixturevalue(who))
    response = client.get(item_url(card), **HTMX, HTTP_HX_TARGET=f"item-{card.pk}")
    assert response.status_code == status
