"""Refusals a person can act on: the 403 page says who may do this and where to go instead,
in the portal's layout (its navigation bar), for every HTML page that refuses.

Expected texts are looked up with gettext in the person's language, so these tests hold
before and after the Chinese translations are added.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from portal.refusals import NextStep, Refused, refusal_for_exception, refusal_response
from portal.roles import Role
from tests.portal.factories import UserFactory
from tests.projects.factories import add_member, make_project

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    html = response.content.decode()
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def next_links(response) -> list[tuple[str, str]]:
    """(href, text) of the refusal page's "go here instead" links."""
    html = response.content.decode()
    return [
        (href, unescape(text).strip())
        for href, text in re.findall(
            r'<a class="btn[^"]*" href="([^"]+)" data-next>([^<]+)</a>', html
        )
    ]


def in_layout(response) -> bool:
    """The portal's own page: its top bar with the site navigation, not the admin's."""
    html = response.content.decode()
    return 'class="topbar"' in html and "data-nav=" in html and "/admin/login/" not in html


def say(user, text: str, **values) -> str:
    with translation.override(user.language):
        message = gettext(text)
    return message % values if values else message


# ---------------------------------------------------------------- the helper


def test_the_helper_renders_the_reason_and_next_steps_in_the_layout_with_403(rf_user):
    request, _user = rf_user
    response = refusal_response(
        request,
        reason="只有负责人可以这样做。",
        detail="负责人：王芳。",
        next_steps=[NextStep("/projects/MALL/board/", "回到看板"), NextStep("/", "首页")],
    )

    assert response.status_code == 403
    assert in_layout(response)
    text = page_text(response)
    assert "只有负责人可以这样做。" in text
    assert "负责人：王芳。" in text
    assert next_links(response) == [("/projects/MALL/board/", "回到看板"), ("/", "首页")]


def test_the_helper_without_a_reason_or_next_step_gives_the_general_one_and_home(rf_user):
    request, user = rf_user
    response = refusal_response(request)

    assert response.status_code == 403
    assert in_layout(response)
    assert say(
        user, "Your role in this project does not allow this. Ask a project owner if you need it."
    ) in page_text(response)
    assert next_links(response) == [(reverse("website:home"), say(user, "Home"))]


def test_the_403_handler_keeps_a_refusals_reason_and_handles_a_plain_permission_denied(rf_user):
    request, user = rf_user
    refused = Refused("只有站点管理员可以。", next_steps=[NextStep("/x/", "去 X")])

    specific = refusal_for_exception(request, refused)
    general = refusal_for_exception(request, PermissionDenied())

    assert specific.status_code == general.status_code == 403
    assert "只有站点管理员可以。" in page_text(specific)
    assert next_links(specific) == [("/x/", "去 X")]
    assert next_links(general) == [(reverse("website:home"), say(user, "Home"))]


@pytest.fixture
def rf_user(db):
    user = UserFactory(username="someone", language="zh-hans")
    request = RequestFactory().get("/somewhere/")
    request.user = user
    return request, user


# ---------------------------------------------------------------- the site-wide notifications


def test_a_project_owner_on_the_site_notifications_page_is_told_who_may_and_where_to_go(
    client, project, owner
):
    # Given 王芳, owner of MALL but not a site admin
    other = make_project(owner=owner, key="S11", name="双11 大促")
    client.force_login(owner)

    # When she opens the site-wide notification channels
    response = client.get(reverse("portal:notifications"))

    # Then she stays in the portal (not the admin's login page) and reads why
    assert response.status_code == 403
    assert in_layout(response)
    text = page_text(response)
    assert say(owner, "Only site admins can manage site-wide notification channels.") in text
    # and is pointed at the channels she does manage: each of her projects' own
    assert next_links(response) == [
        (
            reverse("projects:notifications", args=[p.key]),
            say(owner, "Notifications of %(project)s", project=p.key),
        )
        for p in (project, other)
    ]


def test_someone_who_owns_no_project_is_sent_home_from_the_site_notifications(
    client, project, member
):
    client.force_login(member)
    response = client.get(reverse("portal:notifications"))
    assert response.status_code == 403
    assert next_links(response) == [(reverse("website:home"), say(member, "Home"))]


def test_the_anonymous_are_sent_to_the_portals_sign_in_not_the_admins(client):
    response = client.get(reverse("portal:notifications"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


# ---------------------------------------------------------------- project pages


def test_a_member_on_board_settings_is_told_only_owners_may_and_sent_back_to_the_board(
    client, project, owner, member
):
    # Given 李雷, a member of MALL
    client.force_login(member)

    # When he opens the board settings
    response = client.get(reverse("projects:board_settings", args=[project.key]))

    # Then he reads that only the owners may, who they are, and can go back to the board
    assert response.status_code == 403
    assert in_layout(response)
    text = page_text(response)
    assert say(member, "Only the project's owners can change board settings.") in text
    assert say(member, "Its owners: %(names)s.", names=owner.label) in text
    assert next_links(response) == [
        (reverse("projects:board", args=[project.key]), say(member, "Back to the board"))
    ]


def test_a_member_on_the_projects_notifications_is_told_only_owners_may(client, project, member):
    client.force_login(member)
    response = client.get(reverse("projects:notifications", args=[project.key]))
    assert response.status_code == 403
    assert say(
        member, "Only the project's owners can manage its notification channels."
    ) in page_text(response)
    assert next_links(response) == [
        (
            reverse("projects:detail", args=[project.key]),
            say(member, "Back to %(project)s", project="MALL"),
        )
    ]


def test_a_viewer_writing_is_told_viewers_only_read(client, project, viewer):
    # Given 陈总, a viewer, posting a card to the board
    client.force_login(viewer)
    response = client.post(reverse("projects:board_add", args=[project.key]), {"title": "x"})
    # Then the refusal says what a viewer may do, and leads back to the project
    assert response.status_code == 403
    assert in_layout(response)
    assert say(viewer, "Viewers can read this project but not change it.") in page_text(response)
    assert next_links(response)[0][0] == reverse("projects:detail", args=[project.key])


def test_on_an_archived_project_the_refusal_says_so(client, project, owner, member):
    from projects import services

    services.project_update(project=project, actor=owner, archived=True)
    client.force_login(member)
    response = client.post(reverse("projects:board_add", args=[project.key]), {"title": "x"})
    assert response.status_code == 403
    assert say(member, "This project is archived: its work can no longer be changed.") in page_text(
        response
    )


def test_an_owner_only_page_names_the_owners(client, project, owner, member):
    second = add_member(project, UserFactory(username="pm2", display_name="韩梅梅"), Role.OWNER)
    client.force_login(member)
    response = client.get(reverse("projects:settings", args=[project.key]))
    assert response.status_code == 403
    names = ", ".join(u.label for u in sorted([owner, second], key=lambda u: u.username))
    assert say(member, "Its owners: %(names)s.", names=names) in page_text(response)


def test_outsiders_still_get_404_not_a_refusal(client, project, outsider):
    client.force_login(outsider)
    assert client.get(reverse("projects:board_settings", args=[project.key])).status_code == 404
