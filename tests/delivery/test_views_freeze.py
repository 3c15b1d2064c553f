"""The freeze calendar (/releases/freeze/ and /projects/<key>/releases/freeze/): who sees
it and who may set or remove a window, field errors that change nothing, the month grid
(navigation, bad months, windows shaded in the right time zone) and its query count."""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime, timedelta

import pytest

from delivery import services
from delivery.models import FreezeWindow
from portal import clock
from portal.models import Activity
from tests.delivery import release_states as rs
from tests.portal.factories import UserFactory
from tests.projects.factories import make_project

pytestmark = pytest.mark.django_db

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 11, 12, 0, tzinfo=SH)
SITE = "/releases/freeze/"
MALL = "/projects/MALL/releases/freeze/"
ROLES = ["anonymous", "outsider", "viewer", "member", "owner", "staff"]


@pytest.fixture
def people(owner, member, viewer, outsider, staff):
    return {
        "anonymous": None,
        "outsider": outsider,
        "viewer": viewer,
        "member": member,
        "owner": owner,
        "staff": staff,
    }


def as_(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def get(client, user, url):
    with clock.frozen_at(NOW):
        return as_(client, user).get(url)


def post(client, user, url, data):
    with clock.frozen_at(NOW):
        return as_(client, user).post(url, data)


def window(project=None, *, name="封网", start=None, hours=48, actor=None):
    start = start or NOW + timedelta(days=1)
    return services.freeze_window_create(
        actor=actor,
        project=project,
        name=name,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        reason="大促",
    )


def state() -> list[tuple]:
    return list(
        FreezeWindow.objects.order_by("pk").values_list(
            "pk", "project_id", "name", "starts_at", "ends_at"
        )
    )


def field_errors(response) -> set[str]:
    html = response.content.decode()
    return set(re.findall(r'class="field has-error" data-field="(\w+)"', html))


def has_form(response) -> bool:
    return 'id="freeze-form"' in response.content.decode()


def shaded(response) -> dict[str, str]:
    """Day (YYYY-MM-DD) → the ids of the windows shading it."""
    return dict(
        re.findall(r'data-date="([\d-]+)" data-frozen="([\d ]+)"', response.content.decode())
    )


def month_of(response) -> str:
    return re.search(r'data-month="([\d-]+)"', response.content.decode()).group(1)


GOOD = {"name": "618 封网", "starts_at": "2026-06-15T00:00", "ends_at": "2026-06-19T00:00"}


# ---------------------------------------------------------------- who sees what


@pytest.mark.parametrize(
    ("role", "status", "form"),
    [
        ("anonymous", 302, False),
        ("outsider", 200, False),
        ("viewer", 200, False),
        ("member", 200, False),
        ("owner", 200, False),  # owns MALL, but site-wide windows are staff's
        ("staff", 200, True),
    ],
)
def test_the_site_calendar_by_role(client, people, role, status, form):
    response = get(client, people[role], SITE)

    assert response.status_code == status
    if status == 302:
        assert "login" in response["Location"]
    else:
        assert has_form(response) is form


@pytest.mark.parametrize(
    ("role", "status", "form"),
    [
        ("anonymous", 302, False),
        ("outsider", 404, False),
        ("viewer", 200, False),
        ("member", 200, False),
        ("owner", 200, True),
        ("staff", 200, True),
    ],
)
def test_the_project_calendar_by_role(client, people, role, status, form):
    response = get(client, people[role], MALL)

    assert response.status_code == status
    if status == 200:
        assert has_form(response) is form
        assert 'data-tab="' in response.content.decode()  # the project's tabs


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("outsider", 404),
        ("viewer", 403),
        ("member", 403),
        ("owner", 302),
        ("staff", 302),
    ],
)
def test_setting_a_project_window_by_role(client, people, project, role, status):
    before = state()

    response = post(client, people[role], MALL, GOOD)

    assert response.status_code == status
    if role in ("owner", "staff"):
        assert response["Location"] == f"{MALL}?month=2026-06"
        created = FreezeWindow.objects.get()
        assert (created.project, created.name, created.created_by) == (
            project,
            "618 封网",
            people[role],
        )
        assert Activity.objects.filter(verb="freeze.created").count() == 1
    else:
        assert state() == before


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("outsider", 403),
        ("viewer", 403),
        ("member", 403),
        ("owner", 403),
        ("staff", 302),
    ],
)
def test_setting_a_site_wide_window_by_role(client, people, role, status):
    response = post(client, people[role], SITE, GOOD)

    assert response.status_code == status
    if role == "staff":
        assert FreezeWindow.objects.get().project is None
    else:
        assert state() == []


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("outsider", 404),
        ("viewer", 403),
        ("member", 403),
        ("owner", 302),
        ("staff", 302),
    ],
)
def test_removing_a_project_window_by_role(client, people, project, owner, role, status):
    target = window(project, actor=owner)

    response = post(client, people[role], f"{MALL}{target.pk}/delete/", {"month": "2026-03"})

    assert response.status_code == status
    gone = not FreezeWindow.objects.filter(pk=target.pk).exists()
    assert gone is (status == 302 and role != "anonymous")
    if gone:
        assert response["Location"] == f"{MALL}?month=2026-03"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("outsider", 403),
        ("viewer", 403),
        ("member", 403),
        ("owner", 403),
        ("staff", 302),
    ],
)
def test_removing_a_site_wide_window_by_role(client, people, role, status):
    target = window(None)

    response = post(client, people[role], f"{SITE}{target.pk}/delete/", {})

    assert response.status_code == status
    assert FreezeWindow.objects.filter(pk=target.pk).exists() is (role != "staff")


def test_a_project_owner_cannot_remove_a_site_wide_window_from_the_project_page(
    client, project, owner
):
    target = window(None)

    response = post(client, owner, f"{MALL}{target.pk}/delete/", {})

    assert response.status_code == 403
    assert FreezeWindow.objects.filter(pk=target.pk).exists()


def test_a_window_of_another_project_is_404_everywhere_for_outsiders(client, project, owner):
    other_pm = UserFactory(username="other-pm")
    secret = make_project(owner=other_pm, key="SECRET", name="并购项目")
    hidden = window(secret, actor=other_pm)

    on_mall = post(client, owner, f"{MALL}{hidden.pk}/delete/", {})
    on_site = post(client, owner, f"{SITE}{hidden.pk}/delete/", {})
    missing = post(client, owner, f"{SITE}999999999999999999999/delete/", {})

    assert (on_mall.status_code, on_site.status_code, missing.status_code) == (404, 404, 404)
    assert FreezeWindow.objects.filter(pk=hidden.pk).exists()


def test_the_owner_may_remove_the_project_s_window_from_the_site_page(client, project, owner):
    target = window(project, actor=owner)

    response = post(client, owner, f"{SITE}{target.pk}/delete/", {})

    assert response.status_code == 302
    assert not FreezeWindow.objects.exists()


def test_remove_buttons_show_only_where_allowed(client, project, owner, member, staff):
    site_wide, mine = window(None, name="全站封网"), window(project, name="MALL 封网", actor=owner)

    def buttons(user, url):
        html = get(client, user, url).content.decode()
        return {int(pk) for pk in re.findall(r'data-delete-window="(\d+)"', html)}

    assert buttons(owner, MALL) == {mine.pk}
    assert buttons(member, MALL) == set()
    assert buttons(staff, MALL) == {mine.pk, site_wide.pk}
    assert buttons(owner, SITE) == {mine.pk}
    assert buttons(staff, SITE) == {mine.pk, site_wide.pk}


# ---------------------------------------------------------------- field errors


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": "2026-06-14T23:00"}, "ends_at"),  # ends before it starts
        ({"ends_at": "2026-06-15T00:00"}, "ends_at"),  # ends when it starts
        ({"ends_at": "2026-10-15T00:00"}, "ends_at"),  # longer than 92 days
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"starts_at": "soon"}, "starts_at"),
        ({"starts_at": ""}, "starts_at"),
        ({"starts_at": "1999-12-31T00:00"}, "starts_at"),
        ({"ends_at": "2026-02-30T00:00"}, "ends_at"),
        ({"reason": "r" * 501}, "reason"),
    ],
)
def test_a_bad_window_is_a_field_error_that_changes_nothing(client, project, owner, changes, field):
    before, activity = state(), Activity.objects.count()

    response = post(client, owner, MALL, {**GOOD, **changes})

    assert response.status_code == 400
    assert field in field_errors(response)
    assert has_form(response)
    assert (state(), Activity.objects.count()) == (before, activity)


def test_the_end_before_the_start_says_so_beside_the_end(client, project, owner):
    owner.language = "en"
    owner.save(update_fields=["language"])

    response = post(client, owner, MALL, {**GOOD, "ends_at": "2026-06-14T00:00"})

    html = response.content.decode()
    ends = html.split('data-field="ends_at"')[1].split("</div>")[0]
    assert "A freeze window must end after it starts." in ends
    # What was typed stays in the form.
    assert 'value="2026-06-14T00:00"' in html


def test_the_site_form_s_errors_stay_on_the_site_page(client, staff):
    response = post(client, staff, SITE, {**GOOD, "name": ""})

    assert response.status_code == 400
    assert field_errors(response) == {"name"}
    assert state() == []


# ---------------------------------------------------------------- the month grid


def test_a_window_from_23_00_to_01_00_project_time_shades_both_days(client, project, owner):
    # Given an owner in New York setting a window on MALL's calendar (Asia/Shanghai)
    owner.timezone = "America/New_York"
    owner.save(update_fields=["timezone"])

    response = post(
        client,
        owner,
        MALL,
        {"name": "夜间割接", "starts_at": "2026-03-20T23:00", "ends_at": "2026-03-21T01:00"},
    )

    # Then the times are read in the project's time zone
    assert response.status_code == 302
    created = FreezeWindow.objects.get()
    assert created.starts_at == datetime(2026, 3, 20, 23, 0, tzinfo=SH)
    assert created.ends_at == datetime(2026, 3, 21, 1, 0, tzinfo=SH)
    # and the project's calendar shades the 20th and the 21st, nothing else
    calendar = get(client, owner, f"{MALL}?month=2026-03")
    assert shaded(calendar) == {"2026-03-20": str(created.pk), "2026-03-21": str(created.pk)}
    # while the site calendar, in the owner's own New York time, shades only the 20th
    # (10:00–12:00 there)
    site = get(client, owner, f"{SITE}?month=2026-03")
    assert shaded(site) == {"2026-03-20": str(created.pk)}
    listed = get(client, owner, MALL).content.decode()
    assert "2026-03-20 23:00 – 2026-03-21 01:00" in listed


def test_a_window_ending_at_midnight_does_not_shade_the_next_day(client, project, owner):
    start = datetime(2026, 3, 20, 0, 0, tzinfo=SH)
    made = window(project, start=start, hours=48, actor=owner)

    calendar = get(client, owner, f"{MALL}?month=2026-03")

    assert shaded(calendar) == {"2026-03-20": str(made.pk), "2026-03-21": str(made.pk)}


def test_a_window_across_months_shades_the_days_of_the_grid_on_either_side(client, project, owner):
    start = datetime(2026, 3, 30, 12, 0, tzinfo=SH)
    made = window(project, start=start, hours=24 * 4, actor=owner)

    march = shaded(get(client, owner, f"{MALL}?month=2026-03"))
    april = shaded(get(client, owner, f"{MALL}?month=2026-04"))

    # March's grid ends on Sunday 5 April; April's starts on Monday 30 March.
    days = ["2026-03-30", "2026-03-31", "2026-04-01", "2026-04-02", "2026-04-03"]
    assert march == dict.fromkeys(days, str(made.pk))
    assert april == dict.fromkeys(days, str(made.pk))


def test_the_site_calendar_labels_project_windows_and_hides_other_projects(client, project, owner):
    other_pm = UserFactory(username="other-pm")
    secret = make_project(owner=other_pm, key="SECRET", name="并购项目")
    site_wide = window(None, name="全站封网", start=NOW + timedelta(days=1))
    mine = window(project, name="MALL 封网", start=NOW + timedelta(days=3), actor=owner)
    window(secret, name="SECRET 封网", start=NOW + timedelta(days=5), actor=other_pm)

    html = get(client, owner, SITE).content.decode()

    assert "全站封网" in html
    assert "MALL 封网" in html
    assert "SECRET" not in html
    cell = re.search(
        rf'<div class="cal-freeze cal-freeze-project" data-window="{mine.pk}"[^>]*>(.*?)</div>',
        html,
    )
    assert '<span class="mono">MALL</span>' in cell.group(1)
    assert f'data-window="{site_wide.pk}" data-scope="site"' in html


def test_release_target_dates_are_marked_on_their_day(client, project, owner):
    rs.planned(project, "2.4.0", target=date(2026, 3, 13))
    rs.planned(project, "2.5.0", target=date(2026, 5, 1))  # another month

    html = get(client, owner, f"{MALL}?month=2026-03").content.decode()

    day = html.split('data-date="2026-03-13"')[1].split("</td>")[0]
    assert 'href="/projects/MALL/releases/2.4.0/"' in day
    assert 'data-release="MALL 2.4.0"' in day
    assert "2.5.0" not in html


@pytest.mark.parametrize(
    ("month", "previous", "following"),
    [
        ("2026-11", "2026-10", "2026-12"),
        ("2026-12", "2026-11", "2027-01"),
        ("2026-01", "2025-12", "2026-02"),
        ("2000-01", None, "2000-02"),
        ("2100-12", "2100-11", None),
    ],
)
def test_month_navigation(client, viewer, month, previous, following):
    html = get(client, viewer, f"{MALL}?month={month}").content.decode()

    assert f'data-month="{month}"' in html
    prev_link = re.search(r'href="([^"]+)" data-nav="previous"', html)
    next_link = re.search(r'href="([^"]+)" data-nav="next"', html)
    assert (prev_link.group(1) if prev_link else None) == (
        f"{MALL}?month={previous}" if previous else None
    )
    assert (next_link.group(1) if next_link else None) == (
        f"{MALL}?month={following}" if following else None
    )
    assert f'href="{MALL}" data-nav="today"' in html


@pytest.mark.parametrize(
    "month",
    ["2026-13", "2026-00", "1999-12", "2101-01", "abc", "2026-1", "", "2026-03-01", "٢٠٢٦-٠٤"],
)
def test_a_bad_month_falls_back_to_the_current_one(client, viewer, month):
    for url in (MALL, SITE):
        response = get(client, viewer, f"{url}?month={month}")
        assert response.status_code == 200
        assert month_of(response) == "2026-03"


def test_the_grid_starts_on_monday(client, viewer):
    html = get(client, viewer, f"{MALL}?month=2026-03").content.decode()

    days = re.findall(r'data-date="([\d-]+)"', html)
    # 1 March 2026 is a Sunday: the grid starts on Monday 23 February, ends Sunday 5 April.
    assert (days[0], days[-1], len(days)) == ("2026-02-23", "2026-04-05", 42)
    assert 'class="cal-day cal-today' in html.split('data-date="2026-03-11"')[0].rsplit("<td", 1)[1]


def test_past_windows_are_folded_away(client, project, owner):
    old = window(project, name="春节封网", start=NOW - timedelta(days=30), actor=owner)
    coming = window(project, name="618 封网", start=NOW + timedelta(days=90), actor=owner)

    html = get(client, owner, MALL).content.decode()

    listed, folded = html.split('<details class="freeze-past"')
    assert f'data-window="{coming.pk}"' in listed
    assert f'data-window="{old.pk}"' not in listed
    assert f'data-window="{old.pk}"' in folded


# Session + user + project + role checks, windows on the grid, releases, the two lists
# and their projects.
CALENDAR_QUERIES = 12


def test_the_calendar_costs_the_same_for_4_and_20_windows(
    client, project, owner, django_assert_max_num_queries
):
    def fill(n: int, first: int) -> None:
        # Half of them past, half current or coming; half the project's, half site-wide.
        for i in range(n):
            window(
                project if i % 2 else None,
                name=f"封网 {first + i}",
                start=NOW + timedelta(days=3 * (i // 2) * (1 if (i // 2) % 2 == 0 else -1)),
                actor=owner,
            )
            rs.planned(project, f"{first + i}.0.0", target=date(2026, 3, 1 + i % 28))

    counts = []
    for n, first in ((4, 0), (16, 100)):
        fill(n, first)
        client.force_login(owner)
        with (
            clock.frozen_at(NOW),
            django_assert_max_num_queries(CALENDAR_QUERIES) as captured,
        ):
            response = client.get(MALL)
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
