"""Inputs that broke the board and sprint pages for everyone, and writes that happened
outside the services (DESIGN §7: bad input gets a field error and changes nothing).

- A move to rank 2^63−1 was accepted, and then every card appended to that column
  answered 500 (the next rank overflowed the BIGINT column); 2^63 was a 500 at once.
- A sprint in year 1 was saved; its page and its burndown then answered 500.
- PUT /retrospectives/{id}/ always answered 500; so did POST /retrospectives/.
- Deleting a card was written in the API view, outside a service and its transaction.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import DatabaseError
from django.test import Client
from rest_framework.test import APIClient

from portal.models import Activity, Event
from projects import services
from projects.calculations import RANK_GAP, RANK_LIMIT
from projects.models import RetroItem, Sprint, SprintScopeChange, WorkflowColumn, WorkItem
from tests.projects.board_factories import (
    DOING,
    DONE,
    TODO,
    column,
    make_item,
    make_sprint,
    ordered_titles,
    start_sprint,
)
from tests.projects.db_faults import deletes_refused, inserts_refused

pytestmark = pytest.mark.django_db

ITEMS = "/api/v1/work-items/"
SPRINTS = "/api/v1/sprints/"
RETROS = "/api/v1/retrospectives/"
DAY0 = date(2026, 3, 2)


def api_as(user) -> APIClient:
    # raise_request_exception=False: a server error comes back as the 500 a client sees.
    client = APIClient(raise_request_exception=False)
    if user is not None:
        client.force_authenticate(user)
    return client


def web_as(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def field_error(response, field: str) -> str:
    """The error text shown under one field of the page's form."""
    html = response.content.decode()
    return html.split(f'data-field="{field}"')[1].split("</div>")[0]


def cards(project) -> list[tuple[str, str, int]]:
    return list(
        WorkItem.objects.filter(project=project)
        .order_by("pk")
        .values_list("title", "column__name", "rank")
    )


@pytest.fixture
def todo_column(project, owner):
    """MALL's to-do column holding 购物车 and 结算, and 地址簿 in progress."""
    make_item(project, owner, "购物车")
    make_item(project, owner, "结算")
    make_item(project, owner, "地址簿", column=column(project, DOING))
    return column(project, TODO)


# ---------------------------------------------------------------- ranks


@pytest.mark.parametrize("rank", [2**63 - 1, 2**63, -(2**63) - 1, 2**64, RANK_LIMIT + 1])
def test_a_rank_outside_the_range_is_a_rank_error_and_moves_nothing(
    project, member, todo_column, rank
):
    item = WorkItem.objects.get(title="地址簿")
    before = cards(project)

    response = api_as(member).post(
        f"{ITEMS}{item.pk}/move/", {"column": todo_column.pk, "rank": rank}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["rank"]
    assert cards(project) == before
    # Cards still go below the last one of that column, as before.
    third = WorkItem.objects.get(title="地址簿")
    response = api_as(member).post(f"{ITEMS}{third.pk}/move/", {"column": todo_column.pk})
    assert response.status_code == 200
    assert ordered_titles(todo_column) == ["购物车", "结算", "地址簿"]


@pytest.mark.parametrize("rank", [RANK_LIMIT, -RANK_LIMIT])
def test_a_card_at_the_end_of_the_range_still_lets_cards_in_below_it(
    project, member, todo_column, rank
):
    item = WorkItem.objects.get(title="结算")
    response = api_as(member).post(
        f"{ITEMS}{item.pk}/move/", {"column": todo_column.pk, "rank": rank}, format="json"
    )
    assert response.status_code == 200

    doing = WorkItem.objects.get(title="地址簿")
    moved = api_as(member).post(f"{ITEMS}{doing.pk}/move/", {"column": todo_column.pk})
    created = api_as(member).post(ITEMS, {"project": project.pk, "title": "发票"}, format="json")

    assert (moved.status_code, created.status_code) == (200, 201)
    expected_top = ["购物车", "结算"] if rank > 0 else ["结算", "购物车"]
    assert ordered_titles(todo_column) == [*expected_top, "地址簿", "发票"]
    assert all(abs(r) <= RANK_LIMIT for *_, r in cards(project))


def test_a_column_left_at_the_end_of_the_bigint_range_heals_on_the_next_card(
    project, member, todo_column
):
    # A rank stored by the old code, before the API bounded it.
    WorkItem.objects.filter(title="结算").update(rank=2**63 - 1)

    created = api_as(member).post(ITEMS, {"project": project.pk, "title": "发票"}, format="json")
    doing = WorkItem.objects.get(title="地址簿")
    moved = api_as(member).post(f"{ITEMS}{doing.pk}/move/", {"column": todo_column.pk})
    board = web_as(member).get(f"/projects/{project.key}/board/")

    assert (created.status_code, moved.status_code, board.status_code) == (201, 200, 200)
    assert ordered_titles(todo_column) == ["购物车", "结算", "发票", "地址簿"]
    assert all(abs(r) <= RANK_LIMIT for *_, r in cards(project))


def test_a_card_added_on_top_of_a_column_at_the_low_end_heals_too(project, owner, todo_column):
    WorkItem.objects.filter(title="购物车").update(rank=-(2**63))

    services.work_item_create(project=project, actor=owner, title="置顶", position="top")

    assert ordered_titles(todo_column) == ["置顶", "购物车", "结算"]


@pytest.mark.parametrize("field", ["column", "before", "after"])
@pytest.mark.parametrize("value", [0, -1, 2**63])
def test_neighbour_and_column_ids_outside_the_id_range_are_field_errors(
    project, member, todo_column, field, value
):
    item = WorkItem.objects.get(title="购物车")
    body = {"column": todo_column.pk, field: value}
    response = api_as(member).post(f"{ITEMS}{item.pk}/move/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


# ---------------------------------------------------------------- dates and numbers


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("0001-01-01", "0001-01-15", "start"),
        ("1999-12-20", "2000-01-03", "start"),
        ("2100-12-20", "2101-01-03", "end"),
    ],
)
def test_a_sprint_outside_the_planning_years_is_a_date_error(
    project, member, owner, start, end, field
):
    make_sprint(project, owner, DAY0, name="S1")
    response = api_as(member).post(
        SPRINTS,
        {"project": project.pk, "name": "古代冲刺", "start": start, "end": end},
        format="json",
    )

    assert response.status_code == 400
    assert field in response.json()
    assert list(Sprint.objects.values_list("name", flat=True)) == ["S1"]
    # Every page that lists sprints still renders.
    sprint = Sprint.objects.get()
    assert api_as(member).get(SPRINTS, {"project": project.pk}).status_code == 200
    assert api_as(member).get(f"{SPRINTS}{sprint.pk}/burndown/").status_code == 200
    assert web_as(member).get(f"/projects/{project.key}/sprints/").status_code == 200
    assert web_as(member).get(f"/projects/{project.key}/sprints/{sprint.pk}/").status_code == 200


def test_a_sprint_cannot_be_moved_to_year_one(project, member, owner):
    sprint = make_sprint(project, owner, DAY0, name="S1")
    response = api_as(member).patch(
        f"{SPRINTS}{sprint.pk}/", {"start": "0001-03-02", "end": "0001-03-16"}, format="json"
    )
    assert response.status_code == 400
    sprint.refresh_from_db()
    assert (sprint.start, sprint.end) == (DAY0, DAY0 + timedelta(days=13))


def test_the_sprint_form_shows_the_year_error_beside_the_field(project, member):
    response = web_as(member).post(
        f"/projects/{project.key}/sprints/",
        {"name": "古代冲刺", "goal": "", "start": "0001-01-01", "end": "0001-01-15"},
    )
    assert response.status_code == 400
    assert "2000" in field_error(response, "start")
    assert not Sprint.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"due_date": "0001-01-01"}, "due_date"),
        ({"due_date": "9999-12-31"}, "due_date"),
        ({"story_points": 101}, "story_points"),
        ({"story_points": 2**40}, "story_points"),
    ],
)
def test_a_card_with_an_unbounded_date_or_number_is_a_field_error(project, member, body, field):
    response = api_as(member).post(
        ITEMS, {"project": project.pk, "title": "卡片", **body}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not WorkItem.objects.exists()


def test_the_service_refuses_out_of_range_points_and_dates_too(project, owner):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.work_item_create(
            project=project, actor=owner, title="卡片", story_points=500, due_date=date(1, 1, 1)
        )
    assert set(error.value.message_dict) == {"story_points", "due_date"}


@pytest.mark.parametrize("day", ["0001-01-01", "2101-01-01"])
def test_the_card_panel_shows_the_year_error_beside_the_due_date(project, member, day):
    item = make_item(project, member, "购物车")
    response = web_as(member).post(
        f"/projects/{project.key}/items/{item.number}/",
        {"title": "购物车", "type": "story", "priority": "P2", "due_date": day},
    )
    assert response.status_code == 400
    assert "2000" in field_error(response, "due_date")
    item.refresh_from_db()
    assert item.due_date is None


def test_the_retro_form_shows_the_year_error_beside_the_due_date(project, owner, member):
    sprint = make_sprint(project, owner, DAY0, name="S1")
    response = web_as(member).post(
        f"/projects/{project.key}/sprints/{sprint.pk}/retro/",
        {"kind": "action", "text": "补测试", "owner": member.pk, "due_date": "9999-12-31"},
    )
    assert response.status_code == 400
    assert "2000" in field_error(response, "due_date")
    assert not RetroItem.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start_date": "0001-01-01"}, "start_date"),
        ({"target_date": "9999-12-31"}, "target_date"),
        ({"budget": "1e14"}, "budget"),
    ],
)
def test_a_project_with_an_unbounded_date_or_budget_is_a_field_error(owner, body, field):
    response = api_as(owner).post(
        "/api/v1/projects/", {"key": "SHOP", "name": "新商城", **body}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()


def test_a_wip_limit_past_999_is_refused_beside_its_field(project, owner):
    response = web_as(owner).post(
        f"/projects/{project.key}/board/settings/",
        {
            "action": "add",
            "new-name": "验收",
            "new-category": "in_progress",
            "new-wip_limit": "40000",
        },
    )
    assert response.status_code == 400
    assert "999" in field_error(response, "wip_limit")
    assert not WorkflowColumn.objects.filter(name="验收").exists()


@pytest.mark.parametrize("raw", ["abc", "²", ""])
def test_a_column_or_card_id_that_is_not_a_number_is_404_not_500(project, owner, raw):
    sprint = make_sprint(project, owner, DAY0, name="S1")
    client = web_as(owner)
    settings_url = f"/projects/{project.key}/board/settings/"
    for action in ("update", "delete"):
        response = client.post(settings_url, {"action": action, "column": raw})
        assert response.status_code == 404
    response = client.post(settings_url, {"action": "up", "column": raw})
    assert response.status_code == 302
    plan = f"/projects/{project.key}/sprints/{sprint.pk}/plan/"
    assert client.post(plan, {"action": "add", "item": raw}).status_code == 404
    board = client.get(f"/projects/{project.key}/board/", {"sprint": raw})
    assert board.status_code == 200


# ---------------------------------------------------------------- retrospectives


@pytest.fixture
def retro(project, owner, member, viewer, outsider):
    sprint = make_sprint(project, owner, DAY0 - timedelta(days=14), name="S0")
    make_item(project, owner, "上期完成", sprint=sprint, column=column(project, DONE))
    start_sprint(sprint, owner)
    services.sprint_close(sprint=Sprint.objects.get(pk=sprint.pk), actor=owner)
    services.retro_item_add(sprint=sprint, actor=owner, kind="went_well", text="上线顺利")
    return sprint.retrospective


def who_is(request, who):
    return None if who == "anonymous" else request.getfixturevalue(who)


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("member", 200), ("viewer", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_retrospective_put_and_patch_by_role(request, retro, method, who, status):
    activity = Activity.objects.count()

    response = getattr(api_as(who_is(request, who)), method)(
        f"{RETROS}{retro.pk}/", {"sprint": 999, "items": []}, format="json"
    )

    assert response.status_code == status
    if status == 200:
        body = response.json()
        # Nothing of the retrospective's own is writable: it answers as it is.
        assert (body["id"], body["sprint_name"]) == (retro.pk, "S0")
        assert [i["text"] for i in body["items"]] == ["上线顺利"]
    retro.refresh_from_db()
    assert retro.sprint.name == "S0"
    assert retro.items.count() == 1
    assert Activity.objects.count() == activity


@pytest.mark.parametrize("method", ["post", "delete"])
def test_retrospectives_are_not_created_or_deleted_through_the_api(retro, member, method):
    url = RETROS if method == "post" else f"{RETROS}{retro.pk}/"
    body = {"project": retro.sprint.project_id, "sprint": retro.sprint_id}
    response = getattr(api_as(member), method)(url, body, format="json")
    assert response.status_code == 405
    assert retro.items.count() == 1


# ---------------------------------------------------------------- deleting a card


@pytest.fixture
def running(project, owner):
    sprint = make_sprint(project, owner, DAY0, name="S1")
    item = make_item(project, owner, "购物车", sprint=sprint, story_points=5, labels=["前端"])
    start_sprint(sprint, owner)
    return WorkItem.objects.get(pk=item.pk)


def test_deleting_a_card_is_in_the_projects_activity_with_what_it_was(
    project, owner, member, running
):
    response = api_as(owner).delete(f"{ITEMS}{running.pk}/")

    assert response.status_code == 204
    assert not WorkItem.objects.filter(pk=running.pk).exists()
    feed = api_as(member).get("/api/v1/activity/", {"project": project.pk}).json()["results"]
    deleted = feed[0]
    assert (deleted["verb"], deleted["target_label"]) == ("work_item.deleted", "MALL-1 购物车")
    assert deleted["before"] == {
        "title": "购物车",
        "type": "story",
        "column": TODO,
        "sprint": "S1",
        "assignee": None,
        "story_points": 5,
        "priority": "P2",
        "labels": ["前端"],
        "blocked": False,
        "blocked_reason": "",
        "due_date": None,
        "description": "",
    }
    # The running sprint's burndown keeps the card as removed scope.
    removed = SprintScopeChange.objects.get(change="removed")
    assert (removed.points, removed.item_id) == (-5, None)


def test_a_delete_the_database_refuses_leaves_the_card_and_writes_nothing(project, owner, running):
    activity = Activity.objects.count()

    with deletes_refused(WorkItem), pytest.raises(DatabaseError):
        services.work_item_delete(item=running, actor=owner)

    assert WorkItem.objects.filter(pk=running.pk).exists()
    assert running.column_changes.count() == 1  # its history was not taken away either
    assert not SprintScopeChange.objects.filter(change="removed").exists()
    assert Activity.objects.count() == activity


def test_a_failed_delete_through_the_api_leaves_the_card(project, owner, running):
    activity = Activity.objects.count()

    with deletes_refused(WorkItem):
        response = api_as(owner).delete(f"{ITEMS}{running.pk}/")

    assert response.status_code == 500
    assert WorkItem.objects.filter(pk=running.pk).exists()
    assert Activity.objects.count() == activity


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("viewer", 403), ("outsider", 404)])
def test_only_owners_delete_cards(request, running, who, status):
    response = api_as(request.getfixturevalue(who)).delete(f"{ITEMS}{running.pk}/")
    assert response.status_code == status
    assert WorkItem.objects.filter(pk=running.pk).exists()
    assert not Activity.objects.filter(verb="work_item.deleted").exists()


def test_a_rank_gap_is_still_the_renumbering_step(project, owner, todo_column):
    # Renumbering spreads cards RANK_GAP apart: far inside the range whatever the size.
    WorkItem.objects.filter(title="结算").update(rank=RANK_LIMIT)
    services.work_item_create(project=project, actor=owner, title="发票")
    ranks = list(
        WorkItem.objects.filter(column=todo_column).order_by("rank").values_list("rank", flat=True)
    )
    assert ranks == [RANK_GAP, 2 * RANK_GAP, 3 * RANK_GAP]


# ---------------------------------------------------------------- a create that fails late


def test_a_blocked_card_whose_event_fails_is_not_left_half_made(project, member):
    # A card created blocked records the work_item.blocked event last (it used to be a
    # second service call after the create had committed). If that fails, no card stays.
    with inserts_refused(Event):
        response = api_as(member).post(
            ITEMS,
            {
                "project": project.pk,
                "title": "支付回调",
                "blocked": True,
                "blocked_reason": "等网关",
            },
            format="json",
        )

    assert response.status_code == 500
    assert not WorkItem.objects.exists()
    assert not Activity.objects.filter(verb__startswith="work_item.").exists()
    response = api_as(member).post(
        ITEMS,
        {"project": project.pk, "title": "支付回调", "blocked": True, "blocked_reason": "等网关"},
        format="json",
    )
    assert response.status_code == 201
    assert WorkItem.objects.get().number == 1
