"""The releases portfolio (/releases/): every visible project's releases by what needs
attention (halted, in gray, due this week, planned, recently released), a project
filter that ignores what it cannot show, and a query count that does not grow with the
number of releases."""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from delivery.selectors_portfolio import release_page_url
from portal import clock
from tests.delivery import release_states as rs
from tests.portal.factories import UserFactory
from tests.projects.factories import make_project

pytestmark = pytest.mark.django_db

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
# A Wednesday: the week runs from Monday 9 to Sunday 15 March (China time).
NOW = datetime(2026, 3, 11, 12, 0, tzinfo=SH)
PORTFOLIO = "/releases/"


def get(client, user, url=PORTFOLIO):
    if user is not None:
        client.force_login(user)
    with clock.frozen_at(NOW):
        return client.get(url)


def english(user) -> None:
    """The person reads the portal in English (the middleware follows their setting)."""
    user.language = "en"
    user.save(update_fields=["language"])


def section(response, key: str) -> str:
    html = response.content.decode()
    found = re.search(rf'<section[^>]*data-section="{key}"[^>]*>(.*?)</section>', html, re.S)
    assert found, f"no section {key}"
    return found.group(0)


def rows(response, key: str) -> list[str]:
    return re.findall(r'<tr data-release="([^"]+)"', section(response, key))


def count(response, key: str) -> int:
    return int(re.search(r'data-count="(\d+)"', section(response, key)).group(1))


@pytest.fixture
def releases(project):
    """MALL: one release in every section, and some that belong in none."""
    rs.halted(project, "3.1.0", at=NOW - timedelta(hours=20), name="新结算页")
    rs.in_gray(project, "2.3.0", at=NOW - timedelta(hours=3), name="个性化推荐")
    rs.planned(project, "2.4.0", target=date(2026, 3, 13), name="会员日")  # Friday
    rs.planned(project, "2.6.0", name="未定日期")  # no date: last of the planned
    rs.planned(project, "2.5.0", target=date(2026, 4, 1))
    rs.planned(project, "2.1.9", target=date(2026, 3, 2))  # last week: overdue
    rs.released(project, "2.2.0", at=NOW - timedelta(days=3))
    rs.released(project, "2.0.0", at=NOW - timedelta(days=45))  # too long ago
    cancelled = rs.planned(project, "1.9.0", target=date(2026, 3, 12))
    from delivery import services

    services.release_cancel(release=cancelled, actor=project.owner)


def test_anonymous_is_sent_to_sign_in(client):
    response = get(client, None)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_every_section_lists_what_belongs_there(client, releases, viewer):
    response = get(client, viewer)

    assert response.status_code == 200
    assert rows(response, "halted") == ["MALL 3.1.0"]
    assert rows(response, "gray") == ["MALL 2.3.0"]
    assert rows(response, "this_week") == ["MALL 2.4.0"]
    # By target date, the overdue one first, the undated last; this week's not again.
    assert rows(response, "planned") == ["MALL 2.1.9", "MALL 2.5.0", "MALL 2.6.0"]
    assert rows(response, "released") == ["MALL 2.2.0"]
    assert [count(response, k) for k in ("halted", "gray", "this_week", "planned", "released")] == [
        1,
        1,
        1,
        3,
        1,
    ]
    assert "data-overdue" in section(response, "planned")


def test_a_halted_row_says_where_why_and_who(client, releases, viewer):
    english(viewer)

    halted = section(get(client, viewer), "halted")

    assert 'data-stage-percent="10"' in halted
    assert "error_rate" in halted
    assert "1.8" in halted  # the guard's reason, in the language it halted in
    assert "circuit breaker" in halted  # no person stopped it
    assert "2026-03-10 16:05" in halted  # stopped at, in the viewer's time zone


def test_a_gray_row_shows_its_stage_since_when_and_its_guards(client, releases, viewer):
    gray = section(get(client, viewer), "gray")

    assert 'data-stage-percent="10"' in gray
    assert "2026-03-11 09:00" in gray
    assert "error_rate ≤ 0.5" in gray


def test_rows_link_to_the_release_page(client, project, viewer):
    rs.planned(project, "2.4.0+hotfix.1", target=date(2026, 4, 1))

    html = section(get(client, viewer), "planned")

    assert 'href="/projects/MALL/releases/2.4.0+hotfix.1/"' in html
    assert release_page_url("MALL", "2.3.0") == "/projects/MALL/releases/2.3.0/"


def test_empty_sections_say_so(client, viewer):
    response = get(client, viewer)

    for key in ("halted", "gray", "this_week", "planned", "released"):
        assert count(response, key) == 0
        assert "data-empty" in section(response, key)
        assert rows(response, key) == []


def test_only_the_releases_of_visible_projects_show(client, releases, viewer, staff):
    secret = make_project(owner=UserFactory(username="other-pm"), key="SECRET", name="并购项目")
    rs.halted(secret, "9.9.9", at=NOW - timedelta(hours=1))

    mine = get(client, viewer)
    everything = get(client, staff)

    assert rows(mine, "halted") == ["MALL 3.1.0"]
    assert "SECRET" not in mine.content.decode()
    assert set(rows(everything, "halted")) == {"MALL 3.1.0", "SECRET 9.9.9"}


def test_the_project_filter_narrows_and_a_bad_key_is_ignored(client, releases, owner):
    other = make_project(owner=owner, key="PAY", name="支付")
    rs.in_gray(other, "1.0.0", at=NOW - timedelta(hours=1))
    secret = make_project(owner=UserFactory(username="other-pm"), key="SECRET", name="并购项目")
    rs.in_gray(secret, "9.9.9", at=NOW - timedelta(hours=1))

    narrowed = get(client, owner, f"{PORTFOLIO}?project=PAY")
    assert rows(narrowed, "gray") == ["PAY 1.0.0"]
    assert rows(narrowed, "halted") == []
    assert '<option value="PAY" selected>' in narrowed.content.decode()

    for bad in ("SECRET", "NOPE", "%00", "mall", "x" * 300):
        ignored = get(client, owner, f"{PORTFOLIO}?project={bad}")
        assert ignored.status_code == 200
        assert set(rows(ignored, "gray")) == {"MALL 2.3.0", "PAY 1.0.0"}
        assert (
            " selected>"
            not in ignored.content.decode().split('name="project"')[1].split("</select>")[0]
        )


def test_this_week_is_the_week_of_the_person_s_time_zone(client, project, owner):
    # Monday 9 March 02:00 in China is still Sunday 8 March in Los Angeles.
    rs.planned(project, "2.4.0", target=date(2026, 3, 8))
    la = UserFactory(username="la", timezone="America/Los_Angeles")
    from tests.projects.factories import add_member

    add_member(project, la)
    monday_in_china = datetime(2026, 3, 9, 2, 0, tzinfo=SH)

    client.force_login(owner)
    with clock.frozen_at(monday_in_china):
        china = client.get(PORTFOLIO)
    client.force_login(la)
    with clock.frozen_at(monday_in_china):
        los_angeles = client.get(PORTFOLIO)

    assert rows(china, "this_week") == []
    assert rows(china, "planned") == ["MALL 2.4.0"]
    assert rows(los_angeles, "this_week") == ["MALL 2.4.0"]


def _portfolio(project, n: int) -> None:
    for i in range(n):
        kind = i % 4
        if kind == 0:
            rs.halted(project, f"1.{i}.0", at=NOW - timedelta(hours=5))
        elif kind == 1:
            rs.in_gray(project, f"1.{i}.0", at=NOW - timedelta(hours=2))
        elif kind == 2:
            rs.planned(project, f"1.{i}.0", target=date(2026, 3, 12 + i % 3))
        else:
            rs.released(project, f"1.{i}.0", at=NOW - timedelta(days=2))


# Session + user + the projects for the filter + releases, their stages, their guards.
PORTFOLIO_QUERIES = 6


def test_the_portfolio_costs_the_same_for_3_and_30_releases(
    client, owner, django_assert_max_num_queries
):
    small = make_project(owner=owner, key="SMALL", name="小")
    large = make_project(owner=owner, key="LARGE", name="大")
    _portfolio(small, 3)
    _portfolio(large, 30)
    client.force_login(owner)

    counts = {}
    for key in ("SMALL", "LARGE"):
        with clock.frozen_at(NOW), CaptureQueriesContext(connection) as queries:
            response = client.get(f"{PORTFOLIO}?project={key}")
        assert response.status_code == 200
        counts[key] = len(queries)

    assert counts["SMALL"] == counts["LARGE"], counts
    with clock.frozen_at(NOW), django_assert_max_num_queries(PORTFOLIO_QUERIES):
        response = client.get(f"{PORTFOLIO}?project=LARGE")
    assert response.content.decode().count("<tr data-release=") >= 30
