"""The activity API (portal/api/views.py): newest first, the caller's projects only."""

import pytest

from tests.conftest import api_as
from tests.projects.factories import add_member, make_project

pytestmark = pytest.mark.django_db


def test_activity_newest_first_and_scoped_to_my_projects(owner, project, viewer):
    from projects import services

    services.project_update(project=project, actor=owner, health="at_risk")
    elsewhere = make_project(key="SECRET")
    body = api_as(viewer).get("/api/v1/activity/").json()
    verbs = [row["verb"] for row in body["results"]]
    assert verbs[0] == "project.updated"
    assert verbs[-1] == "project.created"
    assert all(row["project"] == project.pk for row in body["results"])
    assert body["results"][0]["text"]
    # Asking for a project you cannot see is a 404, not an empty list that confirms it exists.
    assert api_as(viewer).get("/api/v1/activity/", {"project": elsewhere.pk}).status_code == 404
    own = api_as(viewer).get("/api/v1/activity/", {"project": project.pk}).json()
    assert own["count"] == len(verbs)


def test_activity_requires_login(api):
    assert api.get("/api/v1/activity/").status_code == 401


def test_activity_query_count_bounded(owner, project, django_assert_max_num_queries):
    for _ in range(30):
        add_member(project)
    with django_assert_max_num_queries(8):
        response = api_as(owner).get("/api/v1/activity/", {"project": project.pk})
    assert response.json()["count"] == 31
