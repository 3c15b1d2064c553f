"""The triage queue as a PM works through it: the oldest new requirement first, one at a
time; MoSCoW and a priority (Kano and phase if known) and Enter; skip; reject with a
reason. Every answer is the next item's panel over htmx; errors come back in place."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.test.html import Element

from portal.models import Activity
from requirements.models import Requirement
from tests.requirements.factories import make_requirement, triaged
from tests.requirements.test_views import (
    HTMX,
    attr,
    find_all,
    having,
    html_of,
    state,
    text,
    url,
    with_class,
)

pytestmark = pytest.mark.django_db

PANEL = {**HTMX, "HTTP_HX_TARGET": "triage-panel"}


def panel(response) -> Element:
    (section,) = find_all(html_of(response), "section", id="triage-panel")
    return section


def current(response) -> str | None:
    """The number of the requirement on the panel (None: nothing left)."""
    return attr(panel(response), "data-current")


def left(response) -> int:
    (head,) = with_class(str(panel(response)), "div", "triage-head")
    return int(re.search(r"\d+", text(find_all(str(head), "span")[1])).group())


def upcoming(response) -> list[str]:
    lists = with_class(str(panel(response)), "ol", "upcoming")
    return [text(li).split()[0] for ol in lists for li in find_all(str(ol), "li")]


def error(response) -> str:
    (block,) = having(str(panel(response)), "div", "data-triage-error")
    return text(block)


def flash(response) -> str:
    (block,) = having(str(panel(response)), "div", "data-flash")
    return text(block)


def at(day: int):
    return time_machine.travel(datetime(2026, 3, day, 2, 0, tzinfo=UTC), tick=False)


@pytest.fixture
def queue(project):
    """New requirements R1 (added 03-02), R2 (03-01, the oldest), R3 (03-03); R4 triaged."""
    with at(2):
        r1 = make_requirement(
            project,
            title="退货运费险",
            description="**七天无理由**退货",
            source_department="customer_service",
            requester="客服 小王",
            tags="售后",
        )
    with at(1):
        r2 = make_requirement(project, title="奶粉防伪溯源")
    with at(3):
        r3 = make_requirement(project, title="宝宝月龄推荐")
        r4 = triaged(project, title="已分诊的需求")
    return r1, r2, r3, r4


@pytest.fixture
def english(member):
    member.language = "en"
    member.save(update_fields=["language"])
    return member


def test_triage_shows_the_oldest_new_requirement_first(client, queue, member):
    client.force_login(member)

    response = client.get(url("triage"))

    assert response.status_code == 200
    assert "<html" in html_of(response)
    assert current(response) == "2"
    (title,) = having(str(panel(response)), "h2", "data-triage-title")
    assert text(title) == "奶粉防伪溯源"
    assert left(response) == 3
    assert upcoming(response) == ["MALL-R1", "MALL-R3"]
    assert find_all(str(panel(response)), "form", id="triage-form")
    (skip,) = having(str(panel(response)), "a", "data-skip")
    assert attr(skip, "href") == f"{url('triage')}?after=2"


def test_the_panel_shows_what_the_requester_wrote(client, queue, member):
    client.force_login(member)

    response = client.get(f"{url('triage')}?after=2")

    assert current(response) == "1"
    html = str(panel(response))
    assert [text(s) for s in find_all(html, "strong")] == ["七天无理由"]
    assert "客服 小王" in text(panel(response))
    assert [text(t) for t in with_class(html, "span", "tag")] == ["售后"]


def test_triage_marks_it_triaged_and_answers_the_next_panel(client, queue, member):
    r2 = queue[1]
    client.force_login(member)

    response = client.post(
        url("triage_one", 2),
        {"moscow": "must", "priority": "P1", "kano": "attractive", "phase": "2"},
        **PANEL,
    )

    assert response.status_code == 200
    html = html_of(response).strip()
    assert html.startswith('<section id="triage-panel"')
    assert "<html" not in html
    assert current(response) == "1"
    assert left(response) == 2
    assert "MALL-R2" in flash(response)
    assert "requirements-changed" in json.loads(response["HX-Trigger"])
    r2.refresh_from_db()
    assert (r2.status, r2.moscow, r2.priority, r2.kano, r2.phase) == (
        "triaged",
        "must",
        "P1",
        "attractive",
        2,
    )
    assert r2.triaged_at is not None
    assert Activity.objects.filter(verb="requirement.triaged", actor=member).count() == 1


def test_kano_and_phase_may_wait(client, queue, member):
    client.force_login(member)

    response = client.post(
        url("triage_one", 2),
        {"moscow": "could", "priority": "P3", "kano": "", "phase": ""},
        **PANEL,
    )

    assert response.status_code == 200
    r2 = Requirement.objects.get(pk=queue[1].pk)
    assert (r2.status, r2.moscow, r2.priority, r2.kano, r2.phase) == (
        "triaged",
        "could",
        "P3",
        "",
        None,
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"priority": "P1"}, "moscow"),
        ({"moscow": "", "priority": "P1"}, "moscow"),
        ({"moscow": "maybe", "priority": "P1"}, "moscow"),
        ({"moscow": "must"}, "priority"),
        ({"moscow": "must", "priority": "P7"}, "priority"),
    ],
)
def test_triage_without_moscow_or_priority_is_a_400_panel_with_the_error(
    client, queue, member, data, field
):
    client.force_login(member)
    before = state()

    response = client.post(url("triage_one", 2), data, **PANEL)

    assert response.status_code == 400
    assert current(response) == "2"
    assert error(response)
    (group,) = find_all(str(panel(response)), "fieldset", data_group=field)
    assert with_class(str(group), "div", "errorlist")
    assert "HX-Trigger" not in response
    assert state() == before


def test_a_refused_triage_keeps_what_was_chosen(client, queue, member):
    client.force_login(member)

    response = client.post(url("triage_one", 2), {"priority": "P2", "kano": "reverse"}, **PANEL)

    checked = {
        attr(i, "name"): attr(i, "value")
        for i in find_all(str(panel(response)), "input", type="radio")
        if "checked" in dict(i.attributes)
    }
    assert checked == {"priority": "P2", "kano": "reverse"}


def test_a_bad_phase_is_reported_as_a_bad_phase(client, queue, english):
    client.force_login(english)

    response = client.post(
        url("triage_one", 2), {"moscow": "must", "priority": "P1", "phase": "0"}, **PANEL
    )

    assert response.status_code == 400
    assert "phase" in error(response).lower()


def test_reject_without_a_reason_is_refused_with_the_reason_box_open(client, queue, member):
    client.force_login(member)
    before = state()

    response = client.post(url("triage_one", 2), {"reject": "1", "rejection_reason": "  "}, **PANEL)

    assert response.status_code == 400
    assert current(response) == "2"
    assert error(response)
    (reject_form,) = find_all(str(panel(response)), "form", id="reject-form")
    assert "hidden" not in dict(reject_form.attributes)
    assert state() == before


def test_reject_with_a_reason_rejects_and_answers_the_next_panel(client, queue, member):
    client.force_login(member)

    response = client.post(
        url("triage_one", 2), {"reject": "1", "rejection_reason": "已有供应商方案"}, **PANEL
    )

    assert response.status_code == 200
    assert current(response) == "1"
    assert "MALL-R2" in flash(response)
    r2 = Requirement.objects.get(pk=queue[1].pk)
    assert (r2.status, r2.rejection_reason) == ("rejected", "已有供应商方案")
    # the reject form of the next item is closed again
    (reject_form,) = find_all(str(panel(response)), "form", id="reject-form")
    assert "hidden" in dict(reject_form.attributes)


@pytest.mark.parametrize(
    ("after", "shown"),
    [("2", "1"), ("1", "3"), ("3", "2"), ("4", "2"), ("99", "2"), ("abc", "2")],
)
def test_skip_goes_to_the_next_and_wraps_around(client, queue, member, after, shown):
    client.force_login(member)

    response = client.get(f"{url('triage')}?after={after}", **PANEL)

    assert response.status_code == 200
    assert html_of(response).strip().startswith('<section id="triage-panel"')
    assert current(response) == shown
    assert left(response) == 3


def test_after_a_skip_triage_continues_past_the_skipped_item(client, queue, member):
    client.force_login(member)
    skipped = client.get(f"{url('triage')}?after=2", **PANEL)
    assert current(skipped) == "1"

    response = client.post(url("triage_one", 1), {"moscow": "must", "priority": "P1"}, **PANEL)

    assert current(response) == "3"


def test_the_last_one_triaged_leaves_an_empty_queue(client, queue, member):
    client.force_login(member)

    for number in (2, 1):
        client.post(url("triage_one", number), {"moscow": "should", "priority": "P2"}, **PANEL)
    response = client.post(url("triage_one", 3), {"moscow": "should", "priority": "P2"}, **PANEL)

    assert response.status_code == 200
    assert current(response) is None
    assert "MALL-R3" in flash(response)
    assert having(str(panel(response)), "div", "data-triage-empty")
    assert find_all(str(panel(response)), "form") == []
    assert not Requirement.objects.filter(status="new").exists()


def test_empty_queue_says_so(client, project, member):
    triaged(project, title="都分诊过了")
    client.force_login(member)

    response = client.get(url("triage"))

    assert response.status_code == 200
    assert current(response) is None
    assert having(str(panel(response)), "div", "data-triage-empty")


def test_viewer_reads_the_queue_without_a_form(client, queue, viewer):
    client.force_login(viewer)

    response = client.get(url("triage"))

    assert current(response) == "2"
    assert attr(panel(response), "data-can-edit") == "0"
    assert find_all(str(panel(response)), "form") == []


@pytest.mark.parametrize(
    "data",
    [{"moscow": "must", "priority": "P1"}, {"reject": "1", "rejection_reason": "老板不要"}],
)
def test_viewer_cannot_triage(client, queue, viewer, data):
    client.force_login(viewer)
    before = state()

    response = client.post(url("triage_one", 2), data, **PANEL)

    assert response.status_code == 403
    assert state() == before


def test_outsider_and_anonymous_are_kept_out(client, queue, outsider):
    anonymous = client.post(url("triage_one", 2), {"moscow": "must", "priority": "P1"})
    client.force_login(outsider)
    outside = client.post(url("triage_one", 2), {"moscow": "must", "priority": "P1"})

    assert anonymous.status_code == 302
    assert outside.status_code == 404
    assert client.get(url("triage")).status_code == 404
    assert Requirement.objects.filter(status="new").count() == 3
