"""The API means what its schema says (DESIGN §5): malformed query values are a 400 on
that parameter, never silently ignored; unknown ids simply match nothing; every error an
operation can answer is documented; API errors are JSON, even for URLs that match nothing."""

from __future__ import annotations

import pytest
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator

from tests.projects.board_factories import make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_(as_user, member):
    return as_user(member)


def test_a_malformed_boolean_filter_is_a_400_not_everything(client_, project, member):
    make_item(project, member, "被阻塞的卡片", blocked=True, blocked_reason="等待接口")
    make_item(project, member, "正常的卡片")

    refused = client_.get("/api/v1/work-items/", {"project": project.pk, "blocked": "-223"})
    blocked = client_.get("/api/v1/work-items/", {"project": project.pk, "blocked": "true"})

    assert refused.status_code == 400
    assert "blocked" in refused.json()
    assert [i["title"] for i in blocked.json()["results"]] == ["被阻塞的卡片"]


@pytest.mark.parametrize("value", ["null", "yes", "2"])
def test_every_boolean_filter_refuses_values_that_are_not_booleans(client_, project, value):
    for path, name in [
        ("/api/v1/projects/", "archived"),
        ("/api/v1/channels/", "flagged"),
        ("/api/v1/risks/", "overdue"),
    ]:
        response = client_.get(path, {name: value})
        assert response.status_code == 400, (path, response.content)
        assert name in response.json()


def test_a_fractional_number_is_refused_where_the_schema_says_integer(client_, project):
    response = client_.get("/api/v1/requirements/", {"project": project.pk, "phase": "0.5"})

    assert response.status_code == 400
    assert "phase" in response.json()


def test_an_id_that_matches_nothing_is_an_empty_list_not_an_error(client_, project, member):
    make_item(project, member, "有负责人的卡片", assignee=member)

    response = client_.get("/api/v1/work-items/", {"project": project.pk, "assignee": 987654})
    too_big = client_.get("/api/v1/work-items/", {"assignee": 2**70})

    assert response.status_code == 200
    assert response.json()["results"] == []
    assert too_big.status_code == 400


@pytest.mark.parametrize("size", ["abc", "0", "201", "null"])
def test_a_page_size_outside_1_to_200_is_a_400(client_, project, size):
    response = client_.get("/api/v1/work-items/", {"project": project.pk, "page_size": size})

    assert response.status_code == 400
    assert "page_size" in response.json()


def test_a_page_size_inside_the_range_is_honoured(client_, project, member):
    for n in range(3):
        make_item(project, member, f"卡片 {n}")

    response = client_.get("/api/v1/work-items/", {"project": project.pk, "page_size": 2})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
    assert response.json()["count"] == 3


@override_settings(DEBUG=False)
def test_an_api_url_that_matches_nothing_answers_json(client_):
    response = client_.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["detail"]
    assert response.json()["detail"]


@override_settings(DEBUG=False)
def test_a_page_url_that_matches_nothing_still_answers_the_html_page(client, member):
    client.force_login(member)

    response = client.get("/projects/no/such/page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_schema_documents_the_error_answers_of_every_operation():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    missing = [
        (method.upper(), path, status)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for status in ("400", "401", "403", "404")
        if status not in operation["responses"]
    ]
    assert missing == []
    assert schema["components"]["schemas"]["ErrorDetail"]["required"] == ["detail"]


def test_the_schema_says_decimals_may_be_sent_as_numbers():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    weight = schema["components"]["schemas"]["KeyResultRequest"]["properties"]["weight"]

    assert {"type": "number", "minimum": -999.99, "maximum": 999.99, "multipleOf": 0.01} in weight[
        "oneOf"
    ]


def test_sorting_by_a_field_the_endpoint_does_not_sort_by_is_a_400(client_, project, member):
    make_item(project, member, "一")

    refused = client_.get("/api/v1/work-items/", {"project": project.pk, "ordering": "title"})
    sorted_ = client_.get("/api/v1/work-items/", {"project": project.pk, "ordering": "-number"})

    assert refused.status_code == 400
    assert "ordering" in refused.json()
    assert sorted_.status_code == 200


def test_an_empty_time_is_a_400_and_a_real_one_filters(client_, project):
    assert client_.get("/api/v1/activity/", {"until": ""}).status_code == 400
    ok = client_.get(
        "/api/v1/activity/", {"project": project.pk, "since": "2026-12-01T00:00:00+08:00"}
    )
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/risks/", "overdue"),
        ("/api/v1/work-items/", "blocked"),
        ("/api/v1/requirements/", "phase"),
        ("/api/v1/work-items/", "assignee"),
        ("/api/v1/work-items/", "project"),
        ("/api/v1/channels/", "kind"),
        ("/api/v1/requirements/", "status"),
    ],
)
def test_a_parameter_sent_empty_is_malformed_not_absent(client_, path, name):
    response = client_.get(path, {name: ""})

    assert response.status_code == 400
    assert name in response.json()


def test_times_at_any_offset_are_compared_in_utc(client_, project):
    far = client_.get("/api/v1/activity/", {"until": "0603-05-01T16:50:19-22:24"})
    edge = client_.get("/api/v1/activity/", {"since": "0001-01-01T00:00:00+23:00"})

    assert far.status_code == 200
    assert far.json()["results"] == []
    assert edge.status_code == 200
