"""The demo requirement backlogs `make run` shows: written once, covering every value a PM
filters on, with a triage queue, Kano surveys, target KPIs and stories in the sprint.

Seeding takes seconds, so the module seeds once inside a transaction that is rolled back
when the module ends; each test still runs in its own savepoint.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from portal.models import Activity, Event, Project, User
from projects.models import ColumnCategory, SprintState, WorkItem
from requirements import selectors
from requirements.demo import seed_requirements
from requirements.models import (
    Kano,
    KanoResponse,
    MoSCoW,
    Requirement,
    RequirementComment,
    RequirementKPI,
    Status,
)
from risks.models import Risk

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--quiet-logins", stdout=StringIO())
        yield
        transaction.set_rollback(True)


def _counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            Requirement,
            KanoResponse,
            RequirementKPI,
            RequirementComment,
            WorkItem,
            Activity,
            Event,
        )
    )


def test_seeding_again_adds_no_requirement_answer_story_or_history(demo):
    before = _counts()

    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    again = seed_requirements(
        {u.username: u for u in User.objects.all()},
        {p.key: p for p in Project.objects.all()},
    )

    assert again == 0
    assert _counts() == before


def test_the_backlogs_show_every_moscow_kano_and_status(demo):
    requirements = Requirement.objects.select_related("project")
    per_project = Counter(r.project.key for r in requirements)

    assert requirements.count() >= 50
    assert per_project.most_common(1)[0][0] == "MALL"
    assert 10 <= per_project["PAY"] <= 14
    assert set(MoSCoW.values) <= set(requirements.values_list("moscow", flat=True))
    assert set(Kano.values) <= set(requirements.values_list("kano", flat=True))
    assert set(Status.values) <= set(requirements.values_list("status", flat=True))
    # The payments project is run in English.
    assert all(r.title.isascii() for r in requirements if r.project.key == "PAY")


def test_most_requirements_carry_rice_and_wsjf_scores(demo):
    requirements = list(Requirement.objects.all())
    scored = [r for r in requirements if r.rice_score is not None and r.wsjf_score is not None]

    assert len(scored) >= 0.6 * len(requirements)
    assert {r.impact for r in requirements if r.impact is not None} <= {
        Decimal("0.25"),
        Decimal("0.5"),
        Decimal("1"),
        Decimal("2"),
        Decimal("3"),
    }
    assert {r.source_department for r in requirements} - {""}
    assert all(r.requester for r in requirements)


def test_the_triage_queue_holds_a_fortnight_of_new_requests(demo):
    now = timezone.now()
    new = Requirement.objects.filter(status=Status.NEW)

    assert 10 <= new.count() <= 14
    assert all(now - timedelta(days=14, hours=12) <= r.created_at <= now for r in new)
    assert not new.exclude(moscow="", priority="").exists()
    mall = Project.objects.get(key="MALL")
    assert selectors.triage_queue(project=mall).count() >= 6


def test_rejected_requirements_say_why(demo):
    rejected = Requirement.objects.filter(status=Status.REJECTED)

    assert 3 <= rejected.count() <= 6
    assert all(len(r.rejection_reason) > 10 for r in rejected)


def test_kano_surveys_spread_over_the_better_worse_chart(demo):
    per_requirement = Counter(KanoResponse.objects.values_list("requirement_id", flat=True))
    mall = Project.objects.get(key="MALL")
    points = selectors.kano_scatter(project=mall)

    assert len(per_requirement) >= 8
    assert all(4 <= n <= 9 for n in per_requirement.values())
    # Customer interviews, recorded by the PM under the interviewee's name.
    assert KanoResponse.objects.exclude(respondent_name="").exists()
    assert KanoResponse.objects.filter(respondent__isnull=False).exists()
    assert len({(p["better"], p["worse"]) for p in points}) >= 7
    assert {"attractive", "performance", "must_be", "indifferent"} <= {
        p["category"] for p in points
    }


def test_mall_phase_2_overloads_must_haves_and_phase_1_does_not(demo):
    mall = Project.objects.get(key="MALL")
    phases = {row["phase"]: row for row in selectors.moscow_by_phase(project=mall)}

    assert phases[1]["must_share"] < Decimal("0.6")
    assert not phases[1]["over_limit"]
    assert phases[2]["over_limit"]


def test_personalised_recommendations_is_a_p0_aimed_at_conversion(demo):
    requirement = Requirement.objects.get(project__key="MALL", title__startswith="个性化推荐")
    links = {link.kpi.code: link.expected_change for link in requirement.kpi_links.all()}
    survey = selectors.kano_survey(requirement)

    assert (requirement.priority, requirement.moscow, requirement.phase) == ("P0", "must", 1)
    assert links["conversion_rate"] == Decimal("2")
    assert survey["category"] in ("attractive", "performance")
    assert requirement.comments.exists()


def test_promoted_stories_join_the_running_sprint(demo):
    stories = WorkItem.objects.filter(requirement_link__isnull=False).select_related(
        "sprint", "column", "requirement_link__requirement"
    )
    running = [s for s in stories if s.sprint and s.sprint.state == SprintState.ACTIVE]
    flash_sale = next(
        s for s in running if s.requirement_link.requirement.title.startswith("限时秒杀")
    )

    assert len(running) >= 4
    planned = [s for s in running if s is not flash_sale]
    # Planned at the sprint's planning meeting: part of what the team committed to ...
    assert not any(s.added_after_start for s in planned)
    assert all(s.created_at < s.sprint.started_at for s in planned)
    # ... while the flash sale came in days after the start: scope added, picked up at once.
    assert flash_sale.added_after_start
    assert flash_sale.created_at > flash_sale.sprint.started_at
    assert flash_sale.requirement_link.requirement.priority == "P0"
    assert flash_sale.column.category == ColumnCategory.IN_PROGRESS
    assert all(
        s.requirement_link.requirement.status in (Status.PLANNED, Status.IN_PROGRESS)
        for s in stories
    )


def test_history_spans_months_stays_in_the_past_and_alerts_twice_at_most(demo):
    now = timezone.now()
    requirements = list(Requirement.objects.all())
    created = [r.created_at for r in requirements]
    activity = Activity.objects.filter(verb__startswith="requirement.")
    p0_events = Event.objects.filter(name="requirement.p0")

    assert max(created) - min(created) > timedelta(days=60)
    assert max(created) <= now
    assert all(a.at <= now for a in activity)
    assert all(r.triaged_at >= r.created_at for r in requirements if r.triaged_at)
    assert all(r.done_at for r in requirements if r.status == Status.DONE)
    assert 1 <= p0_events.count() <= 2
    assert all(e.created_at <= now for e in p0_events)


def test_the_backlog_starts_with_the_work_under_way(demo):
    mall = Project.objects.get(key="MALL")
    backlog = list(selectors.requirement_backlog(project=mall))

    assert backlog[0].status == Status.IN_PROGRESS
    assert backlog[0].priority == "P0"
    assert backlog[-1].status in (Status.DONE, Status.REJECTED)
    assert len({r.rank for r in backlog}) == len(backlog)


def test_demo_risks_are_tied_to_the_work_they_threaten(demo):
    oversell = Risk.objects.get(project__key="MALL", title__startswith="秒杀高并发下库存超卖")

    assert [r.title for r in oversell.requirements.all()] == ["限时秒杀（常态化秒杀频道）"]
    # The requirement's stories are linked too, so the card panel shows the risk.
    assert oversell.work_items.exists()
    assert all(
        item.delivered_requirements.get().title.startswith("限时秒杀")
        for item in oversell.work_items.all()
    )
    assert (
        Risk.objects.filter(project__key="MALL", requirements__isnull=False).distinct().count() >= 6
    )
