"""Adding a member through the API with `user` (DESIGN §5: field names follow the model):
an id or a login. The older `user_id` and `username` keep working."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from portal.models import Membership
from portal.roles import Role
from tests.conftest import api_as
from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db


def members_url(project) -> str:
    return f"/api/v1/projects/{project.pk}/members/"


@pytest.fixture
def newcomer(db):
    return UserFactory(username="hanmeimei", display_name="韩梅梅")


def roles(project) -> dict[str, str]:
    return dict(Membership.objects.filter(project=project).values_list("user__username", "role"))


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 201), ("member", 403), ("viewer", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_only_owners_add_a_member_by_user(request, project, member, viewer, newcomer, who, status):
    user = None if who == "anonymous" else request.getfixturevalue(who)

    response = api_as(user).post(
        members_url(project), {"user": "hanmeimei", "role": "member"}, format="json"
    )

    assert response.status_code == status
    assert ("hanmeimei" in roles(project)) == (status == 201)


@pytest.mark.parametrize("given", ["id", "login"])
def test_user_is_an_id_or_a_login(owner, project, newcomer, given):
    user = newcomer.pk if given == "id" else "hanmeimei"

    response = api_as(owner).post(
        members_url(project), {"user": user, "role": "viewer"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["user"]["id"], body["user"]["username"], body["role"]) == (
        newcomer.pk,
        "hanmeimei",
        "viewer",
    )
    assert roles(project)["hanmeimei"] == Role.VIEWER


@pytest.mark.parametrize(
    "body",
    [{"user_id": "ID", "role": "viewer"}, {"username": "hanmeimei", "role": "viewer"}],
    ids=["user_id", "username"],
)
def test_the_older_names_still_work(owner, project, newcomer, body):
    body = {k: newcomer.pk if v == "ID" else v for k, v in body.items()}

    response = api_as(owner).post(members_url(project), body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["user"]["username"] == "hanmeimei"
    assert roles(project)["hanmeimei"] == Role.VIEWER


def test_a_login_made_of_digits_is_that_login_not_an_id(owner, project, newcomer):
    numbered = UserFactory(username=str(newcomer.pk), display_name="工号登录")

    response = api_as(owner).post(members_url(project), {"user": str(newcomer.pk)}, format="json")

    assert response.status_code == 201
    assert response.json()["user"]["id"] == numbered.pk


@pytest.mark.parametrize(
    "user", ["ghost", 987654, 2**70, 0, "", True, None, ["hanmeimei"], {"id": 1}]
)
def test_an_unknown_user_is_a_field_error_on_user(owner, project, newcomer, user):
    before = roles(project)

    response = api_as(owner).post(members_url(project), {"user": user}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["user"]
    assert response.json()["user"]
    assert roles(project) == before


def test_no_user_at_all_is_a_field_error_on_user(owner, project):
    response = api_as(owner).post(members_url(project), {"role": "member"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["user"]


def test_two_names_for_different_people_are_refused(owner, project, member, newcomer):
    response = api_as(owner).post(
        members_url(project), {"user": "hanmeimei", "user_id": member.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["user"]
    assert "hanmeimei" not in roles(project)


def test_a_membership_cannot_be_moved_to_another_person(owner, project, member, newcomer):
    response = api_as(owner).patch(
        f"{members_url(project)}{member.pk}/",
        {"user": "hanmeimei", "role": "viewer"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["user"]
    assert roles(project) == {"owner": Role.OWNER, "member": Role.MEMBER}


def test_the_schema_documents_user_as_id_or_login():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    request_user = components["MembershipRequest"]["properties"]["user"]
    answer = components["Membership"]

    assert sorted(s["type"] for s in request_user["oneOf"]) == ["integer", "string"]
    assert "user" in answer["required"]
    assert answer["properties"]["user"]["allOf"] == [{"$ref": "#/components/schemas/UserBrief"}]
