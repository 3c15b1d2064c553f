"""Inputs that used to break the API for everyone: bodies nested thousands of levels deep
(RecursionError, 500), and the shared bounds every date, period year and id goes through.

The per-resource consequences (an objective in year 0, a rank at the end of the BIGINT
range) are tested with their apps; here is what every endpoint shares."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from portal.api.parsers import MAX_BYTES, MAX_DEPTH, nesting_exceeds
from portal.http import id_or_none
from portal.validators import parse_date_in_range, validate_date_in_range
from projects.models import Sprint, WorkItem
from tests.projects.board_factories import make_item

pytestmark = pytest.mark.django_db

DEEP = "[" * 5000 + "]" * 5000


def client_for(user) -> APIClient:
    # raise_request_exception=False: a server error comes back as the 500 a client sees.
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    return client


def post_raw(user, path: str, body: str, method: str = "POST"):
    return client_for(user).generic(method, path, body, content_type="application/json")


# ---------------------------------------------------------------- nesting depth


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/work-items/"),
        ("POST", "/api/v1/sprints/"),
        ("POST", "/api/v1/requirements/reorder/"),
        ("POST", "/api/v1/objectives/"),
        ("POST", "/api/v1/risks/"),
        ("PATCH", "/api/v1/projects/{project}/"),
        ("POST", "/api/v1/kpis/{kpi}/points/"),
    ],
)
def test_a_body_nested_5000_levels_deep_is_a_400_with_a_detail(project, owner, method, path):
    from metrics import services as metrics_services

    kpi = metrics_services.kpi_create(
        actor=owner, project=project, name="GMV", code="gmv", unit="count"
    )
    url = path.format(project=project.pk, kpi=kpi.pk)

    response = post_raw(owner, url, DEEP, method)

    assert response.status_code == 400
    assert str(MAX_DEPTH) in response.json()["detail"]
    assert not WorkItem.objects.exists()
    assert not Sprint.objects.exists()


def test_a_deep_value_inside_an_object_is_refused_too(project, owner):
    body = f'{{"project": {project.pk}, "title": "x", "labels": {DEEP}}}'
    response = post_raw(owner, "/api/v1/work-items/", body)
    assert response.status_code == 400
    assert "detail" in response.json()
    assert not WorkItem.objects.exists()


def test_ordinary_nesting_still_parses(project, owner):
    body = {"project": project.pk, "title": "购物车", "labels": ["前端", "支付"]}
    response = client_for(owner).post("/api/v1/work-items/", body, format="json")
    assert response.status_code == 201
    assert response.json()["labels"] == ["前端", "支付"]


def test_a_body_over_the_size_limit_is_a_400(project, owner):
    body = f'{{"project": {project.pk}, "title": "{"x" * (MAX_BYTES + 10)}"}}'
    response = post_raw(owner, "/api/v1/work-items/", body)
    assert response.status_code == 400
    assert "MB" in response.json()["detail"]
    assert not WorkItem.objects.exists()


def test_broken_json_keeps_drfs_parse_error(project, owner):
    response = post_raw(owner, "/api/v1/work-items/", '{"title": ')
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_form_posts_to_the_api_still_work(project, owner):
    response = client_for(owner).post(
        "/api/v1/work-items/", {"project": project.pk, "title": "表单"}, format="multipart"
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("text", "limit", "exceeds"),
    [
        ("[]", 1, False),
        ("[[]]", 1, True),
        ('{"a": [1, {"b": 2}]}', 3, False),
        ('{"a": [1, {"b": 2}]}', 2, True),
        ('["[[[[[[", "{{{{"]', 1, False),  # brackets inside strings do not count
        ('["\\"[[[["]', 1, False),  # nor after an escaped quote
        ("[" * 33 + "]" * 33, MAX_DEPTH, True),
        ("[" * 32 + "]" * 32, MAX_DEPTH, False),
    ],
)
def test_nesting_depth_table(text, limit, exceeds):
    assert nesting_exceeds(text, limit) is exceeds


def test_a_work_item_move_in_a_deep_body_is_refused(project, owner):
    item = make_item(project, owner, "卡片")
    response = post_raw(owner, f"/api/v1/work-items/{item.pk}/move/", DEEP)
    assert response.status_code == 400


# ---------------------------------------------------------------- shared bounds


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (date(2000, 1, 1), True),
        (date(2026, 11, 15), True),
        (date(2100, 12, 31), True),
        (date(1999, 12, 31), False),
        (date(2101, 1, 1), False),
        (date(1, 1, 1), False),
        (date(9999, 12, 31), False),
    ],
)
def test_dates_people_enter_lie_in_2000_to_2100(value, ok):
    if ok:
        validate_date_in_range(value)
    else:
        with pytest.raises(ValidationError) as error:
            validate_date_in_range(value)
        assert error.value.code == "year_out_of_range"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-03-02", date(2026, 3, 2)),
        ("0000-01-01", None),
        ("0001-01-01", None),
        ("9999-12-31", None),
        ("2026-02-30", None),
        ("2026-3-2", date(2026, 3, 2)),
        ("yesterday", None),
        (None, None),
        (20260302, None),
    ],
)
def test_parse_date_in_range(raw, expected):
    assert parse_date_in_range(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("42", 42),
        (" 7 ", 7),
        ("0", None),
        ("-3", None),
        ("abc", None),
        ("²", None),  # a digit to str.isdigit(), not to int()
        ("４２", None),
        (str(2**63), None),
        (str(2**63 - 1), 2**63 - 1),
        ("", None),
        (None, None),
    ],
)
def test_id_or_none(raw, expected):
    assert id_or_none(raw) == expected


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/work-items/", {"project": True, "title": "卡片"}),
        ("/api/v1/sprints/", {"project": True, "name": "S", "start": "2026-03-02"}),
        ("/api/v1/objectives/", {"project": True, "title": "目标", "period": "2026-Q4"}),
        ("/api/v1/kpis/", {"project": True, "name": "GMV", "code": "gmv", "unit": "count"}),
    ],
)
def test_json_true_is_not_project_one(project, owner, path, body):
    # `true` used to be read as the id 1 (int(True)): a project, or a confusing 404.
    response = client_for(owner).post(path, {**body, "project": True}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["project"]


def test_json_true_is_not_objective_one(project, owner):
    from metrics import services as metrics_services

    metrics_services.objective_create(actor=owner, project=project, title="目标", period="2026-Q4")
    response = client_for(owner).post(
        "/api/v1/key-results/",
        {"objective": True, "title": "KR", "start": 0, "target": 1},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["objective"]
