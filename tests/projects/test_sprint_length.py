"""Sprint dates are inclusive at both ends (as in Jira and Taiga): Monday 7 to Sunday 20
December 2026 is a two-week sprint of 14 days. A project of 2–4-week sprints accepts
10 to 28 days. The form, the API, the stand-up's days left and the burndown agree."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from portal import clock
from projects.calculations import sprint_days_left, sprint_length_bounds, sprint_length_days
from projects.models import Sprint
from projects.selectors.board import sprint_burndown
from tests.conftest import api_as
from tests.projects.board_factories import at, start_sprint

MON_7 = date(2026, 12, 7)
FRI_18 = date(2026, 12, 18)
SUN_20 = date(2026, 12, 20)
TUE_15 = date(2026, 12, 15)  # 9 days from MON_7
MON_4_JAN = date(2027, 1, 4)  # 29 days from MON_7
SUN_3_JAN = date(2027, 1, 3)  # 28 days from MON_7


# ---------------------------------------------------------------- the formulas


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (MON_7, SUN_20, 14),  # Monday to Sunday of next week
        (MON_7, FRI_18, 12),  # Monday to Friday of next week
        (MON_7, TUE_15, 9),
        (MON_7, SUN_3_JAN, 28),  # four weeks, Monday to Sunday
        (MON_7, MON_4_JAN, 29),
        (MON_7, date(2026, 12, 8), 2),
    ],
)
def test_a_sprint_counts_its_first_and_its_last_day(start, end, days):
    assert sprint_length_days(start, end) == days


@pytest.mark.parametrize(
    ("weeks", "bounds"),
    [((2, 4), (10, 28)), ((1, 1), (3, 7)), ((1, 2), (3, 14)), ((3, 8), (17, 56))],
)
def test_a_sprint_of_n_weeks_lasts_from_n_weeks_less_four_days_to_n_weeks(weeks, bounds):
    assert sprint_length_bounds(*weeks) == bounds


@pytest.mark.parametrize(
    ("today", "left"),
    [
        (date(2026, 12, 6), 14),  # before it starts: all of it
        (MON_7, 14),  # its first day
        (date(2026, 12, 14), 7),
        (SUN_20, 1),  # its last day is still a day to work
        (date(2026, 12, 21), 0),  # over
    ],
)
def test_days_left_count_today(today, left):
    assert sprint_days_left(MON_7, SUN_20, today) == left


# ---------------------------------------------------------------- form and API


def _refusal(user, days: int) -> str:
    with translation.override(user.language):
        return gettext(
            "Sprints in this project last %(min)s–%(max)s weeks (%(shortest)s to "
            "%(longest)s days, both ends included); this one has %(days)s days."
        ) % {"min": 2, "max": 4, "shortest": 10, "longest": 28, "days": days}


@pytest.mark.parametrize("end", [SUN_20, FRI_18], ids=["mon-sun-14-days", "mon-fri-12-days"])
def test_the_form_plans_a_two_week_sprint(client, project, member, end):
    client.force_login(member)

    response = client.post(
        reverse("projects:sprints", args=["MALL"]),
        {"name": "双周迭代", "start": MON_7.isoformat(), "end": end.isoformat(), "goal": ""},
    )

    assert response.status_code == 302
    sprint = Sprint.objects.get(name="双周迭代")
    assert (sprint.start, sprint.end) == (MON_7, end)


@pytest.mark.parametrize(("end", "days"), [(TUE_15, 9), (MON_4_JAN, 29)])
def test_the_form_refuses_9_and_29_days_saying_what_is_allowed(client, project, member, end, days):
    client.force_login(member)

    response = client.post(
        reverse("projects:sprints", args=["MALL"]),
        {"name": "太短或太长", "start": MON_7.isoformat(), "end": end.isoformat(), "goal": ""},
    )

    assert response.status_code == 400
    assert _refusal(member, days) in response.content.decode()
    assert not Sprint.objects.exists()


@pytest.mark.parametrize("end", [SUN_20, FRI_18, SUN_3_JAN], ids=["14", "12", "28"])
def test_the_api_plans_sprints_of_two_to_four_weeks(project, member, end):
    body = {"project": project.pk, "name": "S1", "start": MON_7.isoformat(), "end": str(end)}

    response = api_as(member).post("/api/v1/sprints/", body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["end"] == end.isoformat()


@pytest.mark.parametrize(("end", "days"), [(TUE_15, 9), (MON_4_JAN, 29)])
def test_the_api_refuses_9_and_29_days_on_the_end_field(project, member, end, days):
    body = {"project": project.pk, "name": "S1", "start": MON_7.isoformat(), "end": str(end)}

    response = api_as(member).post("/api/v1/sprints/", body, format="json")

    assert response.status_code == 400
    assert response.json()["end"] == [_refusal(member, days)]
    assert not Sprint.objects.exists()


def test_the_next_sprint_starts_the_day_after_the_last_day_not_on_it(project, member):
    api = api_as(member)
    first = {"project": project.pk, "name": "S1", "start": str(MON_7), "end": str(SUN_20)}
    assert api.post("/api/v1/sprints/", first, format="json").status_code == 201

    same_day = {"project": project.pk, "name": "S2", "start": str(SUN_20), "end": "2027-01-02"}
    next_day = {"project": project.pk, "name": "S2", "start": "2026-12-21", "end": "2027-01-03"}

    assert "start" in api.post("/api/v1/sprints/", same_day, format="json").json()
    assert api.post("/api/v1/sprints/", next_day, format="json").status_code == 201


def test_a_sprint_planned_under_older_rules_can_still_be_renamed(project, member):
    # Given a sprint saved before the rules counted days inclusively (29 days)
    sprint = Sprint.objects.create(project=project, name="旧迭代", start=MON_7, end=MON_4_JAN)

    response = api_as(member).patch(
        f"/api/v1/sprints/{sprint.pk}/", {"name": "旧迭代（改名）"}, format="json"
    )

    assert response.status_code == 200
    sprint.refresh_from_db()
    assert sprint.name == "旧迭代（改名）"


# ---------------------------------------------------------------- what the team sees


def test_stand_up_burndown_and_sprint_page_count_the_last_day(client, project, member):
    sprint = Sprint.objects.create(project=project, name="双周迭代", start=MON_7, end=SUN_20)
    start_sprint(sprint, member, when=at(MON_7, 9))
    client.force_login(member)

    with clock.frozen_at(at(SUN_20, 10)):
        standup = client.get(reverse("projects:standup", args=["MALL"])).content.decode()
        burndown = sprint_burndown(sprint=Sprint.objects.get(pk=sprint.pk))
    page = client.get(reverse("projects:sprint_detail", args=["MALL", sprint.pk]))

    assert '<div class="kpi-value" data-kpi="days-left">1</div>' in standup
    assert [d.day for d in burndown][-1] == SUN_20
    assert len(burndown) == 14
    assert burndown[-1].remaining == 0
    with translation.override(member.language):
        length = translation.ngettext("%(days)s day", "%(days)s days", 14) % {"days": 14}
    assert f"({length})" in page.content.decode()
