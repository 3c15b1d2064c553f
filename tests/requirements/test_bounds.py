"""Bounds on what a client sends to the backlog: dates, RICE inputs, ids, and ranks that
always leave room for one more requirement at either end (DESIGN §7)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from projects.calculations import RANK_LIMIT
from requirements.models import MAX_REACH, Requirement
from tests.requirements.factories import backlog_keys, make_requirement

pytestmark = pytest.mark.django_db

REQUIREMENTS = "/api/v1/requirements/"
REORDER = "/api/v1/requirements/reorder/"


def api_as(user) -> APIClient:
    # raise_request_exception=False: a server error comes back as the 500 a client sees.
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    return client


@pytest.fixture
def three(project):
    return [make_requirement(project, title=t) for t in ("搜索", "购物车", "结算")]


# ---------------------------------------------------------------- ranks


def test_a_backlog_left_at_the_end_of_the_bigint_range_takes_a_new_requirement(
    project, member, three
):
    # A rank stored before ranks were bounded: the next one below it overflowed BIGINT.
    Requirement.objects.filter(pk=three[2].pk).update(rank=2**63 - 1)

    response = api_as(member).post(
        REQUIREMENTS, {"project": project.pk, "title": "发票"}, format="json"
    )

    assert response.status_code == 201
    assert backlog_keys(project) == ["MALL-R1", "MALL-R2", "MALL-R3", "MALL-R4"]
    assert all(abs(r) <= RANK_LIMIT for r in Requirement.objects.values_list("rank", flat=True))
    assert api_as(member).get(REQUIREMENTS, {"project": project.pk}).status_code == 200


def test_moving_to_the_top_of_a_backlog_at_the_low_end_of_the_range_works(project, member, three):
    Requirement.objects.filter(pk=three[0].pk).update(rank=-(2**63))

    response = api_as(member).post(REORDER, {"requirement": three[2].pk}, format="json")

    assert response.status_code == 200
    assert backlog_keys(project) == ["MALL-R3", "MALL-R1", "MALL-R2"]


@pytest.mark.parametrize(
    "body",
    [
        {"ids": [2**63]},
        {"ids": [0]},
        {"ids": [-5]},
        {"requirement": 2**63},
        {"requirement": 1, "after": 2**64},
        {"requirement": 1, "before": 0},
    ],
)
def test_ids_outside_the_id_range_are_field_errors_and_move_nothing(project, member, three, body):
    body = {"project": project.pk, **body} if "ids" in body else body
    order = backlog_keys(project)

    response = api_as(member).post(REORDER, body, format="json")

    assert response.status_code == 400
    assert set(response.json()) <= {"ids", "requirement", "after", "before"}
    assert backlog_keys(project) == order


def test_bulk_ids_outside_the_id_range_are_an_ids_error(project, member, three):
    response = api_as(member).post(
        f"{REQUIREMENTS}bulk/",
        {"project": project.pk, "ids": [three[0].pk, 2**63], "changes": {"moscow": "must"}},
        format="json",
    )
    assert response.status_code == 400
    assert "ids" in response.json()
    assert not Requirement.objects.filter(moscow="must").exists()


# ---------------------------------------------------------------- dates and numbers


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target_date": "0001-01-01"}, "target_date"),
        ({"target_date": "9999-12-31"}, "target_date"),
        ({"reach": MAX_REACH + 1}, "reach"),
        ({"reach": 2**40}, "reach"),
        ({"effort": "1e9"}, "effort"),
        ({"confidence": 101}, "confidence"),
        ({"phase": 2**40}, "phase"),
    ],
)
def test_a_requirement_with_an_unbounded_input_is_a_field_error(project, member, body, field):
    response = api_as(member).post(
        REQUIREMENTS, {"project": project.pk, "title": "大促", **body}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()
    assert not Requirement.objects.exists()


def test_the_largest_rice_inputs_still_fit_the_stored_score(project, member):
    response = api_as(member).post(
        REQUIREMENTS,
        {
            "project": project.pk,
            "title": "全站改版",
            "reach": MAX_REACH,
            "impact": "3",
            "confidence": 100,
            "effort": "0.01",
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["rice_score"] == "644245094100.00"


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"kano": None}, "kano"),
        ({"rejection_reason": {"a": 1}}, "rejection_reason"),
        ({"moscow": {"a": [1]}}, "moscow"),
        ({"phase": [1]}, "phase"),
        ({"phase": 2**70}, "phase"),
        ({"add_tags": [[["x"]]]}, "add_tags"),
        ({"target_date": "0001-01-01"}, "target_date"),
        ({"moscow": "must", "title": "全部改名"}, "non_field_errors"),
        ({}, "non_field_errors"),
    ],
)
def test_bulk_changes_of_the_wrong_type_are_errors_on_their_key(
    project, member, three, changes, key
):
    before = list(Requirement.objects.order_by("pk").values_list("moscow", "kano", "tags"))

    response = api_as(member).post(
        f"{REQUIREMENTS}bulk/",
        {"project": project.pk, "ids": [three[0].pk], "changes": changes},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["changes"]) == [key]
    assert list(Requirement.objects.order_by("pk").values_list("moscow", "kano", "tags")) == before


def test_bulk_changes_can_still_clear_a_choice(project, member, three):
    Requirement.objects.filter(pk=three[0].pk).update(kano="attractive")

    response = api_as(member).post(
        f"{REQUIREMENTS}bulk/",
        {"project": project.pk, "ids": [three[0].pk], "changes": {"kano": ""}},
        format="json",
    )

    assert response.status_code == 200
    assert Requirement.objects.get(pk=three[0].pk).kano == ""


def test_backlog_pages_given_a_digit_that_is_not_a_number_answer_without_a_500(
    project, member, three
):
    # "²" passes str.isdigit() but not int(): each of these answered 500.
    client = Client(raise_request_exception=False)
    client.force_login(member)
    base = f"/projects/{project.key}/requirements/"
    order = backlog_keys(project)

    reorder = client.post(f"{base}reorder/", {"requirement": three[0].pk, "after": "²"})
    bulk = client.post(f"{base}bulk/", {"ids": ["²", str(three[1].pk)], "moscow": "must"})
    triage = client.get(f"{base}triage/", {"after": "²"})

    assert reorder.status_code == 400
    assert backlog_keys(project) == order
    assert bulk.status_code == 400  # the form names the bad selection; nothing changes
    assert not Requirement.objects.filter(moscow="must").exists()
    assert triage.status_code == 200
