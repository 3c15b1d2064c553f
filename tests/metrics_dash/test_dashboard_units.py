"""The project dashboard's cycle and lead times read in the reader's units: 3.4天 / 6.2天
in Chinese, 3.4 days / 6.2 days in English (never "3.4d")."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from metrics.models import ProjectSnapshot
from portal.roles import Role
from tests.portal.factories import UserFactory
from tests.projects.factories import add_member

pytestmark = pytest.mark.django_db


def tile(html: str, metric: str) -> str:
    (value,) = re.findall(rf'data-figure="{metric}".*?data-value>(.*?)</div>', html, flags=re.S)
    return value.strip()


@pytest.mark.parametrize(
    ("language", "cycle", "on_time"),
    [("zh-hans", "3.4天 / 6.2天", "75%"), ("en", "3.4 days / 6.2 days", "75%")],
)
def test_cycle_times_read_in_the_readers_units(client, project, language, cycle, on_time):
    reader = add_member(project, UserFactory(username="reader", language=language), Role.VIEWER)
    ProjectSnapshot.objects.create(
        project=project,
        date=project.today(),
        cycle_p50_hours=81.6,
        cycle_p85_hours=148.8,
        lead_p50_hours=120,
        lead_p85_hours=240,
        due_30d=4,
        on_time_30d=3,
    )
    client.force_login(reader)

    page = client.get(reverse("metrics:project_dashboard", args=["MALL"])).content.decode()

    assert tile(page, "cycle_time_p50") == cycle
    assert tile(page, "on_time_rate") == on_time
    assert "3.4d" not in page
