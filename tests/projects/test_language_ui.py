"""Pages in the reader's language: stand-up ages in Chinese or English units, the label
of an item made from a retrospective in the project's language, and a badge saying a
project is written in another language (PAY, the demo's English project)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, pgettext

from portal import clock
from portal.models import Project
from portal.roles import Role
from projects import services
from projects.models import WorkItem
from tests.conftest import api_as
from tests.portal.factories import UserFactory
from tests.projects.board_factories import (
    DOING,
    at,
    close_sprint,
    make_item,
    make_sprint,
    move,
    start_sprint,
)
from tests.projects.factories import add_member, make_project

pytestmark = pytest.mark.django_db

MON = date(2026, 12, 7)
RETRO_LABEL = "label of a work item made from a retrospective action"


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def emily(project):
    """A member who reads the portal in English."""
    return add_member(
        project, UserFactory(username="emily", display_name="Emily", language="en"), Role.MEMBER
    )


# ---------------------------------------------------------------- stand-up


@pytest.fixture
def waiting(project, member):
    """A card in progress since Monday 09:00: at Thursday 20:00 that is 3 days 11 hours."""
    item = make_item(project, member, "支付回调重试", assignee=member, when=at(MON, 8))
    move(item, DOING, member, when=at(MON, 9))
    return item


@pytest.mark.parametrize(
    ("who", "shown", "not_shown"),
    [("member", "3天 11小时", "3d 11h"), ("emily", "3d 11h", "3天 11小时")],
)
def test_stand_up_ages_read_in_the_readers_units(
    request, client, project, waiting, emily, who, shown, not_shown
):
    client.force_login(request.getfixturevalue(who))

    with clock.frozen_at(at(MON + timedelta(days=3), 20)):
        page = visible(client.get(reverse("projects:standup", args=["MALL"])).content.decode())

    assert f"{DOING} · {shown}" in page
    assert not_shown not in page


# ---------------------------------------------------------------- retrospective actions


def _retro_action(project, owner, member):
    sprint = start_sprint(make_sprint(project, owner, MON, name="S1"), owner, when=at(MON, 9))
    close_sprint(sprint, owner, when=at(MON + timedelta(days=13), 18))
    return sprint, services.retro_item_add(
        sprint=sprint, actor=owner, kind="action", text="发版前跑完整回归", owner=member
    )


def test_an_action_becomes_an_item_in_the_projects_language_whoever_clicks(
    client, project, owner, member, emily
):
    sprint, action = _retro_action(project, owner, member)
    client.force_login(emily)  # reads in English; MALL is written in Chinese

    client.post(reverse("projects:retro_to_item", args=["MALL", sprint.pk, action.pk]))

    item = WorkItem.objects.get(title="发版前跑完整回归")
    with translation.override("zh-hans"):
        assert item.labels == [pgettext(RETRO_LABEL, "retro")]
        assert item.description == gettext("Action item from the retrospective of %(sprint)s.") % {
            "sprint": "S1"
        }
    plan = client.get(reverse("projects:sprint_plan", args=["MALL", sprint.pk])).content.decode()
    assert item.labels[0] in plan


def test_in_an_english_project_the_action_item_is_labelled_in_english(owner, member):
    pay = make_project(owner=owner, key="PAY", name="Cross-border payments")
    services.project_update(project=pay, actor=owner, language="en")
    add_member(pay, member, Role.MEMBER)
    _sprint, action = _retro_action(Project.objects.get(pk=pay.pk), owner, member)

    with translation.override("zh-hans"):  # a Chinese reader clicks
        item = services.retro_action_to_work_item(action=action, actor=owner)

    assert item.labels == ["retro"]
    assert item.description == "Action item from the retrospective of S1."


# ---------------------------------------------------------------- the language badge


@pytest.fixture
def pay(emily, member):
    """The English project: emily's, written in English, lilei a member."""
    project = make_project(owner=emily, key="PAY", name="Cross-border payments")
    add_member(project, member, Role.MEMBER)
    return project


def badges(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", b).strip()
        for b in re.findall(r'<span class="badge badge-language"[^>]*>(.*?)</span>', html)
    ]


def test_a_project_takes_its_creators_language(pay, project):
    assert (pay.language, project.language) == ("en", "zh-hans")


@pytest.mark.parametrize(
    ("who", "key", "badge"),
    [
        ("member", "PAY", "English project"),  # a Chinese reader on the English project
        ("member", "MALL", None),
        ("emily", "PAY", None),
        ("emily", "MALL", "Chinese project"),
    ],
)
def test_the_header_says_when_a_project_is_written_in_another_language(
    request, client, project, pay, who, key, badge
):
    reader = request.getfixturevalue(who)
    client.force_login(reader)

    page = client.get(reverse("projects:detail", args=[key])).content.decode()

    with translation.override(reader.language):
        expected = [gettext(badge)] if badge else []
    assert badges(page) == expected


def test_the_project_list_badges_only_the_other_language(client, project, pay, member):
    client.force_login(member)

    page = client.get(reverse("projects:list")).content.decode()

    (pay_row,) = re.findall(r'<tr data-project="PAY">.*?</tr>', page, flags=re.S)
    (mall_row,) = re.findall(r'<tr data-project="MALL">.*?</tr>', page, flags=re.S)
    with translation.override("zh-hans"):
        assert badges(pay_row) == [gettext("English project")]
    assert badges(mall_row) == []


def test_the_api_reads_and_writes_the_language(owner, project):
    api = api_as(owner)

    created = api.post(
        "/api/v1/projects/", {"key": "GLOBAL", "name": "Global", "language": "en"}, format="json"
    )
    changed = api.patch(f"/api/v1/projects/{project.pk}/", {"language": "en"}, format="json")
    refused = api.patch(f"/api/v1/projects/{project.pk}/", {"language": "fr"}, format="json")

    assert created.status_code == 201
    assert created.json()["language"] == "en"
    assert changed.json()["language"] == "en"
    assert refused.status_code == 400
    assert "language" in refused.json()


def test_the_settings_form_keeps_the_language_when_an_older_page_posts_without_it(
    client, project, owner
):
    client.force_login(owner)
    data = {
        "name": project.name,
        "description": "",
        "phase": project.phase,
        "health": "at_risk",
        "currency": project.currency,
        "timezone": project.timezone,
    }

    response = client.post(reverse("projects:settings", args=["MALL"]), data)

    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.health, project.language) == ("at_risk", "zh-hans")
