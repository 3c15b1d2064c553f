"""The executive dashboard's "Releases" panel: how many releases are in gray (each with its
project, version and stage), every halted one highlighted with its reason, a link to the
releases portfolio; only the projects the person may see; a bounded query count."""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal import clock
from tests.delivery import release_states as rs
from tests.portal.factories import UserFactory
from tests.projects.factories import add_member, make_project

pytestmark = pytest.mark.django_db

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 11, 12, 0, tzinfo=SH)
EXECUTIVE = "/dashboard/?period=2026-Q1"


def dashboard(client, user, url=EXECUTIVE):
    client.force_login(user)
    with clock.frozen_at(NOW):
        return client.get(url)


def panel(response) -> str:
    html = response.content.decode()
    found = re.search(r'<section class="panel" data-section="releases">(.*?)</section>', html, re.S)
    assert found, "no releases panel"
    return found.group(1)


def listed(response) -> list[tuple[str, str, str]]:
    """(release, state, stage percent or reason) per line of the panel."""
    return re.findall(r'<li[^>]*data-release="([^"]+)" data-state="(\w+)"', panel(response))


def test_the_panel_counts_gray_releases_and_highlights_halted_ones(client, project, viewer):
    rs.in_gray(project, "2.3.0", at=NOW - timedelta(hours=2), name="个性化推荐")
    rs.halted(project, "3.1.0", at=NOW - timedelta(hours=5), name="新结算页")
    rs.planned(project, "2.4.0", target=date(2026, 3, 20))
    rs.released(project, "2.2.0", at=NOW - timedelta(days=2))

    viewer.language = "en"  # the portal follows the person's language
    viewer.save(update_fields=["language"])

    response = dashboard(client, viewer)
    html = panel(response)

    assert response.status_code == 200
    # Halted first, then those in gray; planned and released ones are not in flight.
    assert listed(response) == [("MALL 3.1.0", "halted"), ("MALL 2.3.0", "gray")]
    assert re.search(r'data-count="gray">1 in gray<', html)
    assert re.search(r'data-count="halted">1 halted<', html)
    halted_line = html.split('data-state="halted"')[1].split("</li>")[0]
    assert "error_rate" in halted_line
    assert "1.8" in halted_line  # the guard's reason, in the language it halted in
    assert "10%" in halted_line
    assert 'data-stage-percent="10"' in html.split('data-state="gray"')[1]
    assert 'href="/releases/"' in html
    assert 'href="/releases/?project=MALL"' in html


def test_nothing_in_flight_says_so(client, project, viewer):
    rs.planned(project, "2.4.0")

    html = panel(dashboard(client, viewer))

    assert "<li" not in html
    assert 'data-count="gray">0' in html
    assert 'data-count="halted"' not in html


def test_only_the_releases_of_visible_projects_show(client, project, viewer, staff):
    secret = make_project(owner=UserFactory(username="other-pm"), key="SECRET", name="并购项目")
    rs.halted(secret, "9.9.9", at=NOW - timedelta(hours=1))
    rs.in_gray(project, "2.3.0", at=NOW - timedelta(hours=1))

    mine = dashboard(client, viewer)
    everything = dashboard(client, staff)

    assert listed(mine) == [("MALL 2.3.0", "gray")]
    assert "SECRET" not in mine.content.decode()
    assert listed(everything) == [("SECRET 9.9.9", "halted"), ("MALL 2.3.0", "gray")]


def test_the_department_filter_leaves_the_releases_alone(client, project, viewer):
    # The dashboard narrows only its objectives by department, never its projects.
    rs.in_gray(project, "2.3.0", at=NOW - timedelta(hours=1))

    response = dashboard(client, viewer, f"{EXECUTIVE}&department=legal")

    assert listed(response) == [("MALL 2.3.0", "gray")]


def test_the_panel_costs_the_same_for_1_and_12_releases(client, owner):
    small, large = UserFactory(username="exec-small"), UserFactory(username="exec-large")
    one = make_project(owner=owner, key="ONE", name="一")
    many = make_project(owner=owner, key="MANY", name="多")
    add_member(one, small, "viewer")
    add_member(many, large, "viewer")
    rs.in_gray(one, "1.0.0", at=NOW - timedelta(hours=1))
    for i in range(12):
        maker = rs.halted if i % 3 == 0 else rs.in_gray
        maker(many, f"1.{i}.0", at=NOW - timedelta(hours=2))

    counts = []
    for user in (small, large):
        client.force_login(user)
        with clock.frozen_at(NOW), CaptureQueriesContext(connection) as queries:
            response = client.get(EXECUTIVE)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert len(listed(response)) == 12
