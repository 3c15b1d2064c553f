"""Freeze windows through the REST API (DESIGN §8): one holds a rollout, datetimes carry
their offset, and a bad window is a field error that writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from delivery import services
from portal import clock
from tests.conftest import api_as
from tests.delivery.test_api import snapshot, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def release(project, owner):
    return services.release_create(project=project, actor=owner, version="2.3.0", name="会员日")


def test_freeze_windows_hold_a_rollout_and_datetimes_carry_their_offset(release, project, owner):
    api = api_as(owner)
    now = clock.now()
    created = api.post(
        reverse("api:freeze-window-list"),
        {
            "project": project.pk,
            "name": "双11 大促封网",
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(days=2)).isoformat(),
            "reason": "大促",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["starts_at"].endswith("+08:00")

    refused = api.post(url("advance", release), {}, format="json")
    assert (refused.status_code, list(refused.json())) == (400, ["stage"])

    listed = api.get(reverse("api:freeze-window-list"), {"project": project.pk}).json()
    assert [w["name"] for w in listed["results"]] == ["双11 大促封网"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"starts_at": "2026-11-10T00:00:00"}, "starts_at"),
        ({"ends_at": "2026-11-01T00:00:00+08:00"}, "ends_at"),
        ({"ends_at": "2027-11-01T00:00:00+08:00"}, "ends_at"),
        ({"name": ""}, "name"),
        ({"starts_at": "soon"}, "starts_at"),
        # Well formed, but no such time (found by schemathesis: it was a 500)
        ({"ends_at": "2026-11-12T12:99:00Z"}, "ends_at"),
        ({"starts_at": "2026-02-30T00:00:00+08:00"}, "starts_at"),
    ],
)
def test_bad_freeze_windows_are_field_errors(project, owner, body, field):
    before = snapshot()
    response = api_as(owner).post(
        reverse("api:freeze-window-list"),
        {
            "project": project.pk,
            "name": "双11",
            "starts_at": "2026-11-10T00:00:00+08:00",
            "ends_at": "2026-11-12T00:00:00+08:00",
            **body,
        },
        format="json",
    )
    assert response.status_code == 400
    assert field in response.json()
    assert snapshot() == before
