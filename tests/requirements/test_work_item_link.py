"""The requirement a work item delivers: a link requirements owns (issue #14).

The board knows nothing above it; requirements registers how a card learns its requirement
(projects.extensions). These check what a user sees of the link through every way a card
is read and written: the API (read, edit, move, list), the card panel before and after an
edit, and the refusals.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.errors import ApplicationError
from projects.models import WorkflowColumn, WorkItem
from projects.services import work_item_create
from requirements import services
from requirements.models import WorkItemLink
from tests.conftest import api_as
from tests.projects.factories import make_project
from tests.requirements.factories import triaged

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(project, owner):
    requirement = triaged(project, owner, title="积分抵现")
    (item,) = services.requirement_promote(requirement=requirement, actor=owner)
    return item, requirement


def item_url(item) -> str:
    return f"/api/v1/work-items/{item.pk}/"


def test_the_api_shows_the_requirement_through_read_edit_move_and_list(story, member, project):
    item, requirement = story
    client = api_as(member)

    assert client.get(item_url(item)).json()["requirement"] == requirement.pk

    edited = client.patch(item_url(item), {"story_points": 5}, format="json")
    assert edited.status_code == 200
    assert edited.json()["story_points"] == 5
    assert edited.json()["requirement"] == requirement.pk

    doing = WorkflowColumn.objects.get(project=project, order=1)
    moved = client.post(item_url(item) + "move/", {"column": doing.pk}, format="json")
    assert moved.status_code == 200
    assert moved.json()["column"] == doing.pk
    assert moved.json()["requirement"] == requirement.pk

    loose = work_item_create(project=project, actor=member, title="与需求无关的卡片")
    listed = client.get(f"/api/v1/work-items/?project={project.pk}").json()["results"]
    assert {row["key"]: row["requirement"] for row in listed} == {
        item.key: requirement.pk,
        loose.key: None,
    }


def test_a_card_made_through_the_api_delivers_nothing_and_cannot_be_given_a_requirement(
    story, member, project
):
    _item, requirement = story
    column = WorkflowColumn.objects.get(project=project, order=0)
    created = api_as(member).post(
        "/api/v1/work-items/",
        {"project": project.pk, "title": "新卡片", "column": column.pk,
         "requirement": requirement.pk},
        format="json",
    )  # fmt: skip

    assert created.status_code == 201
    assert created.json()["requirement"] is None
    assert not WorkItemLink.objects.filter(work_item_id=created.json()["id"]).exists()


def test_the_card_panel_keeps_showing_the_requirement_after_an_edit(client, story, member):
    item, requirement = story
    client.force_login(member)
    url = reverse("projects:item", args=["MALL", item.number])

    response = client.post(
        url,
        {"title": "积分抵现（一期）", "type": "story", "priority": "P1", "story_points": "2"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "data-requirement" in html
    assert f"MALL-R{requirement.number}" in html
    assert WorkItem.objects.get(pk=item.pk).title == "积分抵现（一期）"


def test_a_requirement_of_another_project_is_refused_and_nothing_is_linked(story, owner, member):
    item, _requirement = story
    elsewhere = make_project(owner=owner, key="PAY")
    foreign = triaged(elsewhere, owner, title="跨境支付")

    with pytest.raises(ApplicationError) as refused:
        services.work_item_link(requirement=foreign, work_item=item)

    assert refused.value.field == "requirement"
    assert WorkItemLink.objects.get(work_item=item).requirement_id != foreign.pk


def test_linking_again_moves_the_card_to_the_other_requirement(story, project, owner):
    item, first = story
    second = triaged(project, owner, title="积分抵现二期")

    services.work_item_link(requirement=second, work_item=item)

    assert list(first.work_items.all()) == []
    assert list(second.work_items.all()) == [item]
    assert WorkItemLink.objects.filter(work_item=item).count() == 1


def test_listing_cards_costs_the_same_queries_however_many_deliver_a_requirement(
    project, owner, member, django_assert_max_num_queries
):
    client = api_as(member)
    url = f"/api/v1/work-items/?project={project.pk}"
    for n in range(12):
        requirement = triaged(project, owner, title=f"需求 {n}")
        services.requirement_promote(requirement=requirement, actor=owner)
    with django_assert_max_num_queries(8):
        rows = client.get(url).json()["results"]
    assert len(rows) == 12
    assert all(row["requirement"] for row in rows)
