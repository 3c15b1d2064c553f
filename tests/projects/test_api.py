"""The projects API: auth matrix, CRUD through services, members, errors, query bounds."""

import pytest
from django.urls import reverse

from portal.models import Activity, Membership, PhaseChange, Project
from portal.roles import Role
from tests.conftest import api_as
from tests.portal.factories import UserFactory
from tests.projects.factories import add_member, make_project

pytestmark = pytest.mark.django_db

LIST = "/api/v1/projects/"


def detail(project):
    return f"/api/v1/projects/{project.pk}/"


def members_url(project):
    return f"/api/v1/projects/{project.pk}/members/"


# ---------------------------------------------------------------- auth matrix


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("member", 200), ("viewer", 200), ("outsider", 404), ("anonymous", 401)],
)
def test_project_detail_by_role(request, project, member, viewer, who, status):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    response = api_as(user).get(detail(project))
    assert response.status_code == status
    if status == 200:
        assert response.json()["key"] == "MALL"


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("member", 403), ("viewer", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_project_update_by_role(request, project, member, viewer, who, status):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    response = api_as(user).patch(detail(project), {"health": "at_risk"}, format="json")
    assert response.status_code == status
    project.refresh_from_db()
    assert project.health == ("at_risk" if status == 200 else "on_track")


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 201), ("member", 403), ("viewer", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_member_add_by_role(request, project, member, viewer, who, status):
    newcomer = UserFactory(username="newcomer")
    user = None if who == "anonymous" else request.getfixturevalue(who)
    response = api_as(user).post(
        members_url(project), {"user_id": newcomer.pk, "role": "member"}, format="json"
    )
    assert response.status_code == status
    assert Membership.objects.filter(project=project, user=newcomer).exists() == (status == 201)


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("member", 200), ("viewer", 200), ("outsider", 404), ("anonymous", 401)],
)
def test_member_list_by_role(request, project, member, viewer, who, status):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    response = api_as(user).get(members_url(project))
    assert response.status_code == status
    if status == 200:
        roles = {m["user"]["username"]: m["role"] for m in response.json()["results"]}
        assert roles == {"owner": "owner", "member": "member", "viewer": "viewer"}


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("member", 403), ("viewer", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_member_role_change_by_role(request, project, member, viewer, who, status):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    url = f"{members_url(project)}{member.pk}/"
    response = api_as(user).patch(url, {"role": "viewer"}, format="json")
    assert response.status_code == status
    expected = "viewer" if status == 200 else "member"
    assert Membership.objects.get(project=project, user=member).role == expected


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 204), ("member", 403), ("viewer", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_member_remove_by_role(request, project, member, viewer, who, status):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    response = api_as(user).delete(f"{members_url(project)}{viewer.pk}/")
    assert response.status_code == status
    assert Membership.objects.filter(project=project, user=viewer).exists() == (status != 204)


def test_anonymous_cannot_list_or_create(api):
    assert api.get(LIST).status_code == 401
    assert api.post(LIST, {"key": "NEW", "name": "x"}, format="json").status_code == 401
    assert Project.objects.count() == 0


def test_token_auth_works(project, owner):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=owner)
    client = APIClient()
    assert client.get(LIST, HTTP_AUTHORIZATION="Token wrong").status_code == 401
    response = client.get(LIST, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert [p["key"] for p in response.json()["results"]] == ["MALL"]


def test_drf_create_token_command_works(owner):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("drf_create_token", "owner", stdout=out)
    assert "Generated token" in out.getvalue()


def test_projects_cannot_be_deleted_only_archived(project, owner):
    response = api_as(owner).delete(detail(project))
    assert response.status_code == 405
    response = api_as(owner).patch(detail(project), {"archived": True}, format="json")
    assert response.status_code == 200
    assert response.json()["archived"] is True
    assert Activity.objects.filter(project=project, verb="project.archived").exists()


# ---------------------------------------------------------------- list and visibility


def test_list_shows_only_my_projects_with_my_role(owner, project, viewer):
    other = make_project(key="OTHER")
    response = api_as(viewer).get(LIST)
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["key"] == "MALL"
    assert body["results"][0]["my_role"] == "viewer"
    assert body["results"][0]["member_count"] == 2
    staff = UserFactory(username="boss", is_staff=True)
    keys = {p["key"] for p in api_as(staff).get(LIST).json()["results"]}
    assert keys == {"MALL", other.key}


def test_list_is_paginated_and_filterable(owner):
    for i in range(7):
        make_project(owner=owner, key=f"K{i}", phase="testing" if i % 2 else "design")
    body = api_as(owner).get(LIST, {"page_size": 3}).json()
    assert body["count"] == 7
    assert len(body["results"]) == 3
    assert body["next"]
    assert body["previous"] is None
    testing = api_as(owner).get(LIST, {"phase": "testing"}).json()
    assert testing["count"] == 3
    assert {p["phase"] for p in testing["results"]} == {"testing"}


def test_list_query_count_does_not_grow_with_projects(owner, django_assert_max_num_queries):
    def build(n):
        for _ in range(n):
            p = make_project(owner=owner)
            add_member(p)
            add_member(p, role=Role.VIEWER)

    client = api_as(owner)
    build(3)
    with django_assert_max_num_queries(8):
        small = client.get(LIST, {"page_size": 100})
    build(40)
    with django_assert_max_num_queries(8):
        big = client.get(LIST, {"page_size": 100})
    assert small.json()["count"] == 3
    assert big.json()["count"] == 43


def test_detail_query_count_bounded(owner, project, django_assert_max_num_queries):
    from projects import services

    for phase in ["design", "development", "testing", "gray_release", "launched"]:
        services.project_update(project=project, actor=owner, phase=phase)
    for _ in range(10):
        add_member(project)
    with django_assert_max_num_queries(6):
        response = api_as(owner).get(detail(project))
    assert [h["to_phase"] for h in response.json()["phase_history"]][-1] == "launched"


# ---------------------------------------------------------------- create and bad input


def test_create_makes_creator_owner_and_logs_it(owner):
    response = api_as(owner).post(
        LIST,
        {
            "key": "pay",
            "name": "跨境支付",
            "start_date": "2026-12-01",
            "target_date": "2027-03-01",
            "budget": "250000.00",
            "currency": "USD",
            "timezone": "Asia/Singapore",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["key"] == "PAY"
    assert body["my_role"] == "owner"
    assert body["budget"] == "250000.00"
    project = Project.objects.get(key="PAY")
    assert Membership.objects.get(project=project).role == "owner"
    assert PhaseChange.objects.filter(project=project, to_phase="discovery").count() == 1
    assert Activity.objects.filter(project=project, verb="project.created", actor=owner).exists()


def test_create_query_budget(owner, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        response = api_as(owner).post(LIST, {"key": "FAST", "name": "快"}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"key": "MALL", "name": "dup"}, "key"),
        ({"key": "m", "name": "too short"}, "key"),
        ({"key": "9LIVES", "name": "digit first"}, "key"),
        ({"key": "OK", "name": "tz", "timezone": "Mars/Olympus"}, "timezone"),
        ({"key": "OK", "name": "money", "currency": "XYZ"}, "currency"),
        ({"key": "OK", "name": "money", "currency": "rmb"}, "currency"),
        ({"key": "OK", "name": "neg", "budget": "-1"}, "budget"),
        (
            {"key": "OK", "name": "dates", "start_date": "2026-12-01", "target_date": "2026-11-01"},
            "target_date",
        ),
        ({"key": "OK", "name": "bad date", "start_date": "2026-02-30"}, "start_date"),
        ({"key": "OK", "name": "phase", "phase": "shipped"}, "phase"),
        ({"key": "OK"}, "name"),
    ],
)
def test_create_bad_input_names_the_field_and_writes_nothing(owner, project, payload, field):
    before = (Project.objects.count(), Activity.objects.count(), Membership.objects.count())
    response = api_as(owner).post(LIST, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert field in body, body
    assert isinstance(body[field], list)
    assert body[field][0]
    assert (Project.objects.count(), Activity.objects.count(), Membership.objects.count()) == before


def test_update_bad_dates_changes_nothing(owner, project):
    api_as(owner).patch(detail(project), {"start_date": "2026-12-01"}, format="json")
    response = api_as(owner).patch(detail(project), {"target_date": "2026-11-01"}, format="json")
    assert response.status_code == 400
    assert "target_date" in response.json()
    project.refresh_from_db()
    assert project.target_date is None


def test_key_cannot_change(owner, project):
    response = api_as(owner).patch(detail(project), {"key": "SHOP"}, format="json")
    assert response.status_code == 400
    assert "key" in response.json()
    project.refresh_from_db()
    assert project.key == "MALL"


def test_phase_change_is_kept_in_history(owner, project):
    response = api_as(owner).patch(detail(project), {"phase": "design"}, format="json")
    assert response.status_code == 200
    history = api_as(owner).get(detail(project)).json()["phase_history"]
    assert [(h["from_phase"], h["to_phase"]) for h in history] == [
        ("", "discovery"),
        ("discovery", "design"),
    ]
    row = Activity.objects.get(project=project, verb="project.phase_changed")
    assert (row.before, row.after) == ({"phase": "discovery"}, {"phase": "design"})


# ---------------------------------------------------------------- members


def test_member_add_by_username_and_errors(owner, project):
    UserFactory(username="lilei")
    client = api_as(owner)
    response = client.post(members_url(project), {"username": "lilei", "role": "viewer"})
    assert response.status_code == 201
    assert response.json()["role"] == "viewer"
    again = client.post(members_url(project), {"username": "lilei"})
    assert again.status_code == 400
    assert "user" in again.json()
    unknown = client.post(members_url(project), {"username": "ghost"})
    assert unknown.status_code == 400
    assert "username" in unknown.json()
    bad_role = client.post(members_url(project), {"username": "lilei", "role": "god"})
    assert bad_role.status_code == 400
    assert "role" in bad_role.json()
    assert Membership.objects.filter(project=project).count() == 2


def test_last_owner_cannot_be_demoted_or_removed(owner, project):
    client = api_as(owner)
    url = f"{members_url(project)}{owner.pk}/"
    response = client.patch(url, {"role": "member"}, format="json")
    assert response.status_code == 400
    assert "role" in response.json()
    response = client.delete(url)
    assert response.status_code == 400
    assert Membership.objects.get(project=project, user=owner).role == "owner"


def test_member_detail_of_non_member_is_404(owner, project, outsider):
    response = api_as(owner).get(f"{members_url(project)}{outsider.pk}/")
    assert response.status_code == 404


def test_schema_lists_the_fixed_paths(owner):
    response = api_as(owner).get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ["/api/v1/projects/", "/api/v1/projects/{id}/members/", "/api/v1/activity/"]:
        assert path in paths
