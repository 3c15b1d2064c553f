"""Requirement services: what creating, triaging, scoring, reordering, surveying, linking
KPIs and promoting leave behind (keys, ranks, scores, activity, events), and the rules
that refuse bad input with a field-level error without changing anything."""

from __future__ import annotations

import itertools
import zoneinfo
from datetime import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from metrics import services as metrics_services
from portal import clock
from portal.errors import ApplicationError
from portal.models import Activity, Event
from projects.calculations import RANK_GAP
from projects.models import WorkItem
from requirements import selectors, services
from requirements.models import KanoResponse, Requirement, RequirementKPI
from tests.projects.factories import make_project
from tests.requirements.factories import backlog_keys, make_requirement, triaged

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=SHANGHAI)


def error_field(exc: Exception) -> set[str]:
    """The input(s) an error is about, whichever kind of error the service raised."""
    if isinstance(exc, ApplicationError):
        return {exc.field}
    assert isinstance(exc, ValidationError)
    return set(exc.message_dict)


def row(requirement: Requirement) -> dict:
    """Everything stored for the requirement: to prove a refused change changed nothing."""
    return Requirement.objects.filter(pk=requirement.pk).values().get()


def p0_events() -> list[dict]:
    return [e.payload for e in Event.objects.filter(name="requirement.p0").order_by("id")]


def verbs(requirement: Requirement) -> list[str]:
    return list(
        Activity.objects.filter(
            target_type="requirements.requirement", target_id=str(requirement.pk)
        )
        .order_by("id")
        .values_list("verb", flat=True)
    )


def update(requirement: Requirement, actor=None, **changes) -> Requirement:
    return services.requirement_update(
        requirement=requirement, actor=actor or requirement.project.owner, **changes
    )


# ---------------------------------------------------------------- numbering and position


def test_requirements_are_numbered_per_project_with_the_project_key(project, owner):
    # Given two projects
    other = make_project(owner=owner, key="POS", name="门店收银")

    # When requirements are added to both, interleaved
    first = make_requirement(project, title="微信支付")
    elsewhere = make_requirement(other, title="扫码枪适配")
    second = make_requirement(project, title="支付宝支付")

    # Then each project counts from 1 and keys read PROJECT-R<n>
    assert (first.key, second.key) == ("MALL-R1", "MALL-R2")
    assert elsewhere.key == "POS-R1"
    assert str(second) == "MALL-R2 支付宝支付"


def test_a_refused_create_does_not_use_up_a_number(project):
    make_requirement(project)
    with pytest.raises((ApplicationError, ValidationError)):
        make_requirement(project, title="   ")
    assert make_requirement(project).key == "MALL-R2"


def test_new_requirements_go_to_the_bottom_unless_asked_for_the_top(project):
    make_requirement(project, title="一")
    make_requirement(project, title="二")

    urgent = make_requirement(project, title="急", position="top")
    make_requirement(project, title="三")

    assert backlog_keys(project) == ["MALL-R3", "MALL-R1", "MALL-R2", "MALL-R4"]
    assert urgent.rank < Requirement.objects.get(number=1).rank


def test_create_starts_new_with_its_creator_and_time(project, member):
    with clock.frozen_at(at(2, 9)):
        requirement = make_requirement(project, member, title="会员积分", requester="运营 张三")

    requirement.refresh_from_db()
    assert requirement.status == "new"
    assert requirement.created_by == member
    assert requirement.created_at == at(2, 9)
    assert (requirement.triaged_at, requirement.done_at) == (None, None)
    assert verbs(requirement) == ["requirement.created"]


def test_create_refuses_fields_that_are_not_editable(project):
    with pytest.raises(ApplicationError, match="rank"):
        make_requirement(project, rank=5)
    assert Requirement.objects.count() == 0


def test_an_archived_project_takes_no_new_requirements(project, owner):
    project.archived = True
    project.save(update_fields=["archived"])
    with pytest.raises(ApplicationError):
        make_requirement(project)
    assert Requirement.objects.count() == 0


# ---------------------------------------------------------------- status transitions

STATUSES = ["new", "triaged", "planned", "in_progress", "done", "rejected"]
# DESIGN §3 (new → triaged → planned → in_progress → done, or rejected) with the reopening
# moves a team needs: done → in progress, rejected → new or triaged, one step back.
ALLOWED = {
    "new": {"triaged", "planned", "in_progress", "rejected"},
    "triaged": {"new", "planned", "in_progress", "done", "rejected"},
    "planned": {"triaged", "in_progress", "done", "rejected"},
    "in_progress": {"planned", "done", "rejected"},
    "done": {"in_progress"},
    "rejected": {"new", "triaged"},
}


def in_status(project, status: str) -> Requirement:
    extra = {"rejection_reason": "重复需求"} if status == "rejected" else {}
    return make_requirement(project, status=status, moscow="should", priority="P2", **extra)


@pytest.mark.parametrize(
    ("source", "target"), [(s, t) for s in STATUSES for t in STATUSES if s != t]
)
def test_status_moves_follow_the_transition_table(project, source, target):
    requirement = in_status(project, source)
    extra = {"rejection_reason": "不做了"} if target == "rejected" else {}

    if target in ALLOWED[source]:
        updated = update(requirement, status=target, **extra)
        assert updated.status == target
        requirement.refresh_from_db()
        assert requirement.status == target
    else:
        before = row(requirement)
        with pytest.raises(ApplicationError) as caught:
            update(requirement, status=target, **extra)
        assert caught.value.field == "status"
        assert row(requirement) == before


def test_an_unknown_status_is_a_status_error(project):
    requirement = make_requirement(project)
    with pytest.raises(ApplicationError) as caught:
        update(requirement, status="shipped")
    assert caught.value.field == "status"


@pytest.mark.parametrize(
    ("given", "field"),
    [({}, "moscow"), ({"priority": "P1"}, "moscow"), ({"moscow": "must"}, "priority")],
)
def test_leaving_new_needs_moscow_and_priority(project, given, field):
    requirement = make_requirement(project, **given)
    before = row(requirement)

    with pytest.raises(ApplicationError) as caught:
        update(requirement, status="triaged")

    assert caught.value.field == field
    assert row(requirement) == before
    assert verbs(requirement) == ["requirement.created"]


def test_triage_sets_moscow_priority_and_the_triage_time_once(project, owner):
    requirement = make_requirement(project, title="购物车凑单提示")

    with clock.frozen_at(at(3)):
        services.requirement_triage(
            requirement=requirement, actor=owner, moscow="should", priority="P1", kano="attractive"
        )
    with clock.frozen_at(at(4)):
        update(requirement, status="new")
    with clock.frozen_at(at(5)):
        update(requirement, status="triaged")
    with clock.frozen_at(at(6)):
        update(requirement, status="planned")

    requirement.refresh_from_db()
    assert (requirement.moscow, requirement.priority, requirement.kano) == (
        "should",
        "P1",
        "attractive",
    )
    assert requirement.triaged_at == at(3)
    assert verbs(requirement)[:2] == ["requirement.created", "requirement.triaged"]
    triage = Activity.objects.filter(verb="requirement.triaged").order_by("id").first()
    assert triage.after == {
        "moscow": "should",
        "priority": "P1",
        "kano": "attractive",
        "status": "triaged",
    }
    assert triage.before["status"] == "new"


def test_rejecting_needs_a_reason(project, owner):
    requirement = make_requirement(project, title="首页换成紫色")
    before = row(requirement)

    with pytest.raises(ApplicationError) as caught:
        update(requirement, status="rejected")
    assert caught.value.field == "rejection_reason"
    with pytest.raises(ApplicationError) as caught:
        services.requirement_reject(requirement=requirement, actor=owner, reason="   ")
    assert caught.value.field == "rejection_reason"
    assert row(requirement) == before

    services.requirement_reject(requirement=requirement, actor=owner, reason=" 与品牌规范冲突 ")

    requirement.refresh_from_db()
    assert requirement.status == "rejected"
    assert requirement.rejection_reason == "与品牌规范冲突"
    assert verbs(requirement) == ["requirement.created", "requirement.rejected"]


def test_a_reopened_rejection_forgets_its_reason(project, owner):
    requirement = make_requirement(project)
    services.requirement_reject(requirement=requirement, actor=owner, reason="重复")

    update(requirement, status="new")

    requirement.refresh_from_db()
    assert (requirement.status, requirement.rejection_reason) == ("new", "")


def test_done_is_stamped_and_reopening_clears_it(project):
    requirement = triaged(project)
    with clock.frozen_at(at(10)):
        update(requirement, status="in_progress")
    with clock.frozen_at(at(12)):
        update(requirement, status="done")
    requirement.refresh_from_db()
    assert requirement.done_at == at(12)

    # A done requirement cannot go back to new …
    with pytest.raises(ApplicationError) as caught:
        update(requirement, status="new")
    assert caught.value.field == "status"

    # … but QA may reopen it
    with clock.frozen_at(at(13)):
        update(requirement, status="in_progress")
    requirement.refresh_from_db()
    assert requirement.done_at is None

    with clock.frozen_at(at(15)):
        update(requirement, status="done")
    requirement.refresh_from_db()
    assert requirement.done_at == at(15)


def test_an_update_that_changes_nothing_writes_no_activity(project):
    requirement = make_requirement(project, title="同一个标题", priority="P2")
    before = row(requirement)

    update(requirement, title="同一个标题", priority="P2")

    assert row(requirement) == before
    assert verbs(requirement) == ["requirement.created"]


def test_an_update_records_what_changed(project, member):
    requirement = make_requirement(project, title="旧标题", phase=1)

    update(requirement, member, title="新标题", phase=2)

    activity = Activity.objects.filter(verb="requirement.updated").get()
    assert activity.actor == member
    assert activity.project == project
    assert activity.before == {"title": "旧标题", "phase": 1}
    assert activity.after == {"title": "新标题", "phase": 2}


# ---------------------------------------------------------------- scores


def test_rice_and_wsjf_scores_are_stored_on_create(project):
    requirement = make_requirement(
        project,
        reach=2000,
        impact=D("2"),
        confidence=80,
        effort=D("4"),
        business_value=8,
        time_criticality=5,
        risk_reduction=3,
        job_size=5,
    )
    requirement.refresh_from_db()
    assert requirement.rice_score == D("800.00")
    assert requirement.wsjf_score == D("3.20")


def test_scores_are_recomputed_when_an_input_changes_and_cleared_when_one_goes(project):
    requirement = make_requirement(
        project,
        reach=1000,
        impact=D("1"),
        confidence=50,
        effort=D("2"),
        business_value=3,
        time_criticality=3,
        risk_reduction=2,
        job_size=8,
    )
    assert (requirement.rice_score, requirement.wsjf_score) == (D("250.00"), D("1.00"))

    update(requirement, impact=D("3"), effort=D("0.5"), job_size=1)
    requirement.refresh_from_db()
    assert (requirement.rice_score, requirement.wsjf_score) == (D("3000.00"), D("8.00"))

    update(requirement, confidence=None, business_value=None)
    requirement.refresh_from_db()
    assert (requirement.rice_score, requirement.wsjf_score) == (None, None)


def test_scores_are_missing_until_every_input_is_given(project):
    requirement = make_requirement(project, reach=1000, impact=D("1"), business_value=5)
    requirement.refresh_from_db()
    assert (requirement.rice_score, requirement.wsjf_score) == (None, None)


BAD_INPUTS = [
    pytest.param({"impact": D("0.7")}, "impact", id="impact-0.7"),
    pytest.param({"impact": 0.7}, "impact", id="impact-float-0.7"),
    pytest.param({"effort": D("0")}, "effort", id="effort-0"),
    pytest.param({"effort": D("-2")}, "effort", id="effort-negative"),
    pytest.param({"confidence": 101}, "confidence", id="confidence-101"),
    pytest.param({"business_value": 4}, "business_value", id="wsjf-bv-4"),
    pytest.param({"time_criticality": 21}, "time_criticality", id="wsjf-tc-21"),
    pytest.param({"risk_reduction": 0}, "risk_reduction", id="wsjf-rr-0"),
    pytest.param({"job_size": 4}, "job_size", id="wsjf-size-4"),
    pytest.param({"priority": "P4"}, "priority", id="priority-P4"),
    pytest.param({"moscow": "maybe"}, "moscow", id="moscow-unknown"),
    pytest.param({"phase": 100}, "phase", id="phase-100"),
    pytest.param({"title": "  "}, "title", id="blank-title"),
]


@pytest.mark.parametrize(("bad", "field"), BAD_INPUTS)
def test_a_bad_input_on_update_names_its_field_and_changes_nothing(project, bad, field):
    requirement = make_requirement(
        project,
        reach=1000,
        impact=D("1"),
        confidence=80,
        effort=D("2"),
        business_value=5,
        time_criticality=5,
        risk_reduction=5,
        job_size=5,
        priority="P2",
    )
    before = row(requirement)
    activities, events = Activity.objects.count(), Event.objects.count()

    # Alongside a good change, which must not be applied either
    changes = bad if field == "title" else {"title": "顺便改个标题", **bad}
    with pytest.raises((ApplicationError, ValidationError)) as caught:
        update(requirement, **changes)

    assert field in error_field(caught.value)
    assert row(requirement) == before
    assert (Activity.objects.count(), Event.objects.count()) == (activities, events)


@pytest.mark.parametrize(("bad", "field"), BAD_INPUTS)
def test_a_bad_input_on_create_names_its_field_and_creates_nothing(project, bad, field):
    activities = Activity.objects.count()
    fields = {"title": "新需求", "priority": "P0", **bad}

    with pytest.raises((ApplicationError, ValidationError)) as caught:
        services.requirement_create(project=project, actor=project.owner, **fields)

    assert field in error_field(caught.value)
    assert Requirement.objects.count() == 0
    assert Activity.objects.count() == activities
    assert p0_events() == []


# ---------------------------------------------------------------- tags


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("支付, 会员，支付 ；大促;  ", ["支付", "会员", "大促"]),
        (["  双11 ", "双11", "", "直播"], ["双11", "直播"]),
        ("", []),
        (None, []),
        ("a" * 30, ["a" * 30]),
    ],
)
def test_tags_are_trimmed_split_on_either_comma_and_deduplicated(project, given, stored):
    requirement = make_requirement(project, tags=given)
    requirement.refresh_from_db()
    assert requirement.tags == stored


def test_a_tag_over_30_characters_is_refused(project):
    requirement = make_requirement(project, tags="支付")
    before = row(requirement)

    with pytest.raises(ApplicationError) as caught:
        update(requirement, tags=["支付", "超" * 31])
    assert caught.value.field == "tags"
    assert row(requirement) == before

    with pytest.raises(ApplicationError) as caught:
        make_requirement(project, tags="x" * 31)
    assert caught.value.field == "tags"
    assert Requirement.objects.count() == 1


def test_more_than_twelve_tags_are_refused(project):
    with pytest.raises(ApplicationError) as caught:
        make_requirement(project, tags=[f"标签{i}" for i in range(13)])
    assert caught.value.field == "tags"


def test_the_tag_filter_finds_chinese_tags_exactly(project):
    promo = make_requirement(project, title="满减", tags="大促，会员")
    member_only = make_requirement(project, title="会员日", tags="会员日")
    make_requirement(project, title="无标签")

    def tagged(tag):
        return {
            r.title for r in selectors.requirement_backlog(project=project, filters={"tag": tag})
        }

    assert tagged("会员") == {"满减"}
    assert tagged("会员日") == {"会员日"}
    assert tagged("大促") == {"满减"}
    assert tagged("会") == set()

    # Retagging through an update moves it between filters
    update(promo, tags="直播")
    update(member_only, tags=["会员日", "会员"])
    assert tagged("会员") == {"会员日"}
    assert tagged("直播") == {"满减"}


def test_a_tag_with_the_separator_character_is_refused_on_its_field(project):
    # "|" separates tags in the filter index: a tag holding it would match other tags.
    with pytest.raises(ApplicationError) as refused:
        make_requirement(project, title="竖线", tags=["618|双11"])
    assert refused.value.field == "tags"
    assert not Requirement.objects.filter(project=project).exists()


# ---------------------------------------------------------------- the P0 event


def test_a_p0_requirement_emits_one_event_on_create_and_none_on_later_edits(project, owner):
    requirement = make_requirement(project, title="支付失败率飙升", priority="P0", requester="客服")

    update(requirement, title="支付失败率飙升（iOS）")
    update(requirement, moscow="must", status="triaged")
    update(requirement, priority="P0", phase=1)

    events = p0_events()
    assert len(events) == 1
    assert events[0]["key"] == "MALL-R1"
    assert events[0]["requirement_id"] == requirement.pk
    assert events[0]["priority"] == "P0"
    assert Event.objects.get(name="requirement.p0").project == project


def test_becoming_p0_emits_the_event_once(project):
    requirement = make_requirement(project, priority="P2")
    assert p0_events() == []

    update(requirement, priority="P0")
    update(requirement, title="改个标题")
    update(requirement, description="补充描述")

    assert [e["key"] for e in p0_events()] == ["MALL-R1"]


def test_a_rejected_or_done_p0_is_no_alarm(project):
    make_requirement(project, priority="P0", status="rejected", rejection_reason="重复")
    done = triaged(project, priority="P1", status="done")
    update(done, priority="P0")
    assert p0_events() == []


# ---------------------------------------------------------------- bulk update


def test_bulk_update_changes_all_the_selected_requirements(project, member):
    first, second, third = (make_requirement(project, title=t) for t in ("一", "二", "三"))

    updated = services.requirements_bulk_update(
        project=project,
        actor=member,
        ids=[first.pk, third.pk],
        changes={"moscow": "could", "priority": "P0", "add_tags": "大促"},
    )

    assert {r.pk for r in updated} == {first.pk, third.pk}
    for requirement, expected in ((first, "could"), (second, ""), (third, "could")):
        requirement.refresh_from_db()
        assert requirement.moscow == expected
    assert first.tags == ["大促"]
    assert Activity.objects.filter(verb="requirement.updated").count() == 2
    assert sorted(e["key"] for e in p0_events()) == ["MALL-R1", "MALL-R3"]


def test_bulk_update_with_one_unknown_id_changes_nothing(project, owner):
    first, second = make_requirement(project), make_requirement(project)
    elsewhere = make_requirement(make_project(owner=owner, key="POS"))
    snapshot = [row(r) for r in (first, second, elsewhere)]

    for ids in ([first.pk, second.pk, 999_999], [first.pk, elsewhere.pk]):
        with pytest.raises(ApplicationError) as caught:
            services.requirements_bulk_update(
                project=project, actor=owner, ids=ids, changes={"priority": "P1"}
            )
        assert caught.value.field == "ids"

    assert [row(r) for r in (first, second, elsewhere)] == snapshot


def test_bulk_update_is_all_or_nothing_when_one_cannot_take_the_status(project, owner):
    # Given two triaged requirements and one done
    ready = triaged(project, title="可以规划")
    also_ready = triaged(project, title="也可以")
    done = triaged(project, title="已完成", status="done")
    snapshot = [row(r) for r in (ready, also_ready, done)]
    activities = Activity.objects.count()

    # When the PM plans all three (done → planned is not allowed)
    with pytest.raises(ApplicationError) as caught:
        services.requirements_bulk_update(
            project=project,
            actor=owner,
            ids=[ready.pk, also_ready.pk, done.pk],
            changes={"status": "planned"},
        )

    # Then the error names the requirement and nothing changed, not even the first two
    assert caught.value.field == "status"
    assert "MALL-R3" in caught.value.message
    assert [row(r) for r in (ready, also_ready, done)] == snapshot
    assert Activity.objects.count() == activities


def test_bulk_triage_of_an_untriaged_requirement_is_refused_as_a_whole(project, owner):
    ready = make_requirement(project, moscow="must", priority="P1")
    not_ready = make_requirement(project)
    snapshot = [row(r) for r in (ready, not_ready)]

    with pytest.raises(ApplicationError) as caught:
        services.requirements_bulk_update(
            project=project,
            actor=owner,
            ids=[ready.pk, not_ready.pk],
            changes={"status": "triaged"},
        )

    assert caught.value.field == "moscow"
    assert [row(r) for r in (ready, not_ready)] == snapshot


@pytest.mark.parametrize(
    ("ids", "changes", "field"),
    [([], {"priority": "P1"}, "ids"), (None, {}, "changes"), (None, {"title": "x"}, "changes")],
)
def test_bulk_update_needs_a_selection_and_a_change(project, owner, ids, changes, field):
    requirement = make_requirement(project)
    with pytest.raises(ApplicationError) as caught:
        services.requirements_bulk_update(
            project=project,
            actor=owner,
            ids=[requirement.pk] if ids is None else ids,
            changes=changes,
        )
    assert caught.value.field == field


# ---------------------------------------------------------------- move


@pytest.fixture
def abcd(project):
    """Four requirements A, B, C, D in that order, by title."""
    return {t: make_requirement(project, title=t) for t in "ABCD"}


def titles(project) -> list[str]:
    return list(Requirement.objects.filter(project=project).values_list("title", flat=True))


def test_move_below_a_requirement(project, owner, abcd):
    a = abcd["A"]
    d = abcd["D"]
    services.requirement_move(requirement=d, actor=owner, after=a)
    assert titles(project) == ["A", "D", "B", "C"]


def test_move_above_a_requirement(project, owner, abcd):
    a = abcd["A"]
    d = abcd["D"]
    services.requirement_move(requirement=a, actor=owner, before=d)
    assert titles(project) == ["B", "C", "A", "D"]


def test_move_to_the_top_without_neighbours(project, owner, abcd):
    c = abcd["C"]
    services.requirement_move(requirement=c, actor=owner)
    assert titles(project) == ["C", "A", "B", "D"]


def test_move_to_the_bottom_after_the_last(project, owner, abcd):
    a = abcd["A"]
    d = abcd["D"]
    services.requirement_move(requirement=a, actor=owner, after=d)
    assert titles(project) == ["B", "C", "D", "A"]


def test_move_uses_where_the_neighbour_is_now_not_where_the_client_saw_it(project, owner, abcd):
    a = abcd["A"]
    b = abcd["B"]
    d = abcd["D"]
    stale_b = Requirement.objects.get(pk=b.pk)
    # Someone else moved B to the bottom meanwhile
    services.requirement_move(requirement=b, actor=owner, after=d)

    # The PM, who still sees B second, drops A just below it
    services.requirement_move(requirement=a, actor=owner, after=stale_b)

    assert titles(project) == ["C", "D", "B", "A"]


def test_move_renumbers_when_neighbours_touch(project, owner, abcd):
    a = abcd["A"]
    d = abcd["D"]
    # Given ranks with no room between A and B
    for requirement, rank in zip(abcd.values(), (1, 2, 3, 4), strict=True):
        Requirement.objects.filter(pk=requirement.pk).update(rank=rank)

    # When D is dropped between A and B
    services.requirement_move(requirement=d, actor=owner, after=a)

    # Then the order is right and the ranks are distinct and spread out again
    assert titles(project) == ["A", "D", "B", "C"]
    ranks = list(Requirement.objects.filter(project=project).values_list("rank", flat=True))
    assert len(set(ranks)) == 4
    assert min(below - above for above, below in itertools.pairwise(ranks)) > 1


def test_move_refuses_a_neighbour_from_another_backlog_or_itself(project, owner, abcd):
    a = abcd["A"]
    stranger = make_requirement(make_project(owner=owner, key="POS"))
    before = titles(project)

    with pytest.raises(ApplicationError) as caught:
        services.requirement_move(requirement=a, actor=owner, after=stranger)
    assert caught.value.field == "after"
    with pytest.raises(ApplicationError) as caught:
        services.requirement_move(requirement=a, actor=owner, before=a)
    assert caught.value.field == "before"
    assert titles(project) == before


# ---------------------------------------------------------------- reorder


def test_reorder_puts_the_given_ones_in_order_in_their_own_places(project, owner, abcd):
    b = abcd["B"]
    d = abcd["D"]
    e = make_requirement(project, title="E")

    # The PM reorders only B, D and E (A and C stay where they are)
    services.requirements_reorder(project=project, actor=owner, ids=[e.pk, b.pk, d.pk])

    assert titles(project) == ["A", "E", "C", "B", "D"]
    assert Activity.objects.filter(verb="requirement.reordered", project=project).count() == 1


def test_reorder_of_the_whole_backlog(project, owner, abcd):
    services.requirements_reorder(
        project=project, actor=owner, ids=[r.pk for r in reversed(abcd.values())]
    )
    assert titles(project) == ["D", "C", "B", "A"]


def test_reorder_spreads_tied_ranks_out(project, owner, abcd):
    a = abcd["A"]
    c = abcd["C"]
    Requirement.objects.filter(project=project).update(rank=RANK_GAP)

    services.requirements_reorder(project=project, actor=owner, ids=[c.pk, a.pk])

    ranks = dict(Requirement.objects.filter(project=project).values_list("title", "rank"))
    assert len(set(ranks.values())) == 4
    assert ranks["C"] < ranks["A"]


@pytest.mark.parametrize("bad", ["stale", "foreign", "duplicate", "empty"], ids=lambda b: b)
def test_reorder_with_bad_ids_is_refused_and_the_order_is_unchanged(project, owner, abcd, bad):
    a = abcd["A"]
    d = abcd["D"]
    stranger = make_requirement(make_project(owner=owner, key="POS"))
    gone = make_requirement(project, title="E")
    gone_pk = gone.pk
    services.requirement_delete(requirement=gone, actor=owner)
    ids = {
        "stale": [d.pk, gone_pk, a.pk],
        "foreign": [d.pk, stranger.pk, a.pk],
        "duplicate": [d.pk, a.pk, d.pk],
        "empty": [],
    }[bad]
    ranks = dict(Requirement.objects.values_list("pk", "rank"))

    with pytest.raises(ApplicationError) as caught:
        services.requirements_reorder(project=project, actor=owner, ids=ids)

    assert caught.value.field == "ids"
    assert titles(project) == ["A", "B", "C", "D"]
    assert dict(Requirement.objects.values_list("pk", "rank")) == ranks
    assert not Activity.objects.filter(verb="requirement.reordered").exists()


# ---------------------------------------------------------------- Kano survey


def test_answering_the_survey_again_replaces_ones_own_answer(project, member):
    requirement = make_requirement(project)

    services.kano_response_record(
        requirement=requirement, actor=member, functional="like", dysfunctional="neutral"
    )
    services.kano_response_record(
        requirement=requirement, actor=member, functional="expect", dysfunctional="dislike"
    )

    answer = KanoResponse.objects.get(requirement=requirement)
    assert (answer.respondent, answer.functional, answer.dysfunctional) == (
        member,
        "expect",
        "dislike",
    )
    assert answer.kano_class == "M"
    assert selectors.kano_survey(requirement)["category"] == "must_be"
    assert verbs(requirement).count("requirement.surveyed") == 2


def test_interview_answers_from_outside_people_add_rows(project, owner, member):
    requirement = make_requirement(project)
    services.kano_response_record(
        requirement=requirement, actor=owner, functional="like", dysfunctional="dislike"
    )

    for name in ("宝妈 A", "宝妈 B", "宝妈 A"):
        services.kano_response_record(
            requirement=requirement,
            actor=owner,
            functional="like",
            dysfunctional="neutral",
            respondent_name=name,
        )

    answers = list(KanoResponse.objects.filter(requirement=requirement))
    assert len(answers) == 4
    assert [a.who for a in answers[1:]] == ["宝妈 A", "宝妈 B", "宝妈 A"]
    assert all(a.recorded_by == owner and a.respondent is None for a in answers[1:])
    survey = selectors.kano_survey(requirement)
    assert survey["counts"] == {"A": 3, "O": 1, "M": 0, "I": 0, "R": 0, "Q": 0}
    assert survey["category"] == "attractive"
    assert survey["responses"] == 4


@pytest.mark.parametrize(
    ("functional", "dysfunctional", "field"),
    [("love", "dislike", "functional"), ("like", "", "dysfunctional"), ("", "x", "functional")],
)
def test_an_invalid_survey_answer_is_a_field_error(
    project, member, functional, dysfunctional, field
):
    requirement = make_requirement(project)
    with pytest.raises(ApplicationError) as caught:
        services.kano_response_record(
            requirement=requirement,
            actor=member,
            functional=functional,
            dysfunctional=dysfunctional,
        )
    assert caught.value.field == field
    assert KanoResponse.objects.count() == 0


def test_the_pm_kano_call_is_not_overwritten_by_the_survey(project, member):
    requirement = make_requirement(project, kano="attractive")
    services.kano_response_record(
        requirement=requirement, actor=member, functional="expect", dysfunctional="dislike"
    )
    requirement.refresh_from_db()
    assert requirement.kano == "attractive"
    assert selectors.kano_survey(requirement)["category"] == "must_be"


# ---------------------------------------------------------------- KPI links


@pytest.fixture
def conversion(project, owner):
    return metrics_services.kpi_create(
        actor=owner, project=project, name="转化率", code="conversion_rate", unit="percent"
    )


def test_a_requirement_links_a_kpi_of_its_project_and_linking_again_updates(
    project, owner, conversion
):
    requirement = make_requirement(project)

    services.requirement_kpi_link(
        requirement=requirement, actor=owner, kpi=conversion, expected_change="2", note="结算页"
    )
    services.requirement_kpi_link(
        requirement=requirement, actor=owner, kpi=conversion.pk, expected_change=D("-1.5")
    )

    link = RequirementKPI.objects.get(requirement=requirement)
    assert link.kpi == conversion
    assert link.expected_change == D("-1.50")
    assert verbs(requirement).count("requirement.kpi_linked") == 2


def test_a_company_wide_kpi_may_be_linked(project, owner, staff):
    gmv = metrics_services.kpi_create(
        actor=staff, name="GMV", code="gmv", unit="money", currency="CNY"
    )
    requirement = make_requirement(project)

    services.requirement_kpi_link(
        requirement=requirement, actor=owner, kpi=gmv, expected_change=5000
    )

    assert RequirementKPI.objects.get().kpi == gmv


def test_a_kpi_of_another_project_is_refused(project, owner):
    other = make_project(owner=owner, key="POS")
    foreign = metrics_services.kpi_create(
        actor=owner, project=other, name="DAU", code="dau", unit="count"
    )
    requirement = make_requirement(project)

    for kpi in (foreign, foreign.pk, 999_999, "abc"):
        with pytest.raises(ApplicationError) as caught:
            services.requirement_kpi_link(
                requirement=requirement, actor=owner, kpi=kpi, expected_change=1
            )
        assert caught.value.field == "kpi"
    assert RequirementKPI.objects.count() == 0


def test_a_kpi_link_needs_a_numeric_expected_change(project, owner, conversion):
    requirement = make_requirement(project)
    for bad in ("两个点", "NaN", "1e20"):
        with pytest.raises(ApplicationError) as caught:
            services.requirement_kpi_link(
                requirement=requirement, actor=owner, kpi=conversion, expected_change=bad
            )
        assert caught.value.field == "expected_change"
    assert RequirementKPI.objects.count() == 0


def test_create_with_kpi_links_is_all_or_nothing(project, owner, conversion):
    foreign = metrics_services.kpi_create(
        actor=owner,
        project=make_project(owner=owner, key="POS"),
        name="DAU",
        code="dau",
        unit="count",
    )
    with pytest.raises(ApplicationError) as caught:
        make_requirement(
            project,
            kpi_links=[
                {"kpi": conversion, "expected_change": 1},
                {"kpi": foreign, "expected_change": 1},
            ],
        )
    assert caught.value.field == "kpi"
    assert Requirement.objects.count() == 0
    assert RequirementKPI.objects.count() == 0

    requirement = make_requirement(project, kpi_links=[{"kpi": conversion, "expected_change": 2}])
    assert [link.kpi for link in requirement.kpi_links.all()] == [conversion]


# ---------------------------------------------------------------- promote to work items


def test_promoting_a_triaged_requirement_creates_linked_stories_and_plans_it(project, owner):
    requirement = triaged(
        project, title="拼团", priority="P1", tags="营销，拼团", description="三人成团"
    )

    items = services.requirement_promote(
        requirement=requirement, actor=owner, titles=["拼团下单", "拼团分享", "  "], story_points=3
    )

    assert [i.title for i in items] == ["拼团下单", "拼团分享"]
    stored = list(WorkItem.objects.filter(delivered_requirements=requirement).order_by("number"))
    assert stored == items
    assert all(i.priority == "P1" and i.story_points == 3 for i in stored)
    assert stored[0].labels == ["营销", "拼团"]
    assert "MALL-R1" in stored[0].description
    requirement.refresh_from_db()
    assert requirement.status == "planned"
    assert "requirement.promoted" in verbs(requirement)


@pytest.mark.parametrize(
    ("content_language", "ui_language", "link"),
    [("zh-hans", "en", "需求：MALL-R1"), ("en", "zh-hans", "Requirement: MALL-R1")],
)
def test_the_story_links_its_requirement_in_the_projects_language(
    project, owner, content_language, ui_language, link
):
    """The stories' text is project content: written in the project's language, whatever
    language the PM who promoted it reads the portal in."""
    project.language = content_language
    project.save(update_fields=["language"])
    requirement = triaged(project, title="拼团", description="三人成团")

    with translation.override(ui_language):
        (item,) = services.requirement_promote(requirement=requirement, actor=owner)

    assert item.description.endswith(link)


def test_promoting_without_titles_makes_one_story_named_like_the_requirement(project, owner):
    requirement = triaged(project, title="发票抬头", status="in_progress")
    items = services.requirement_promote(requirement=requirement, actor=owner)
    assert [i.title for i in items] == ["发票抬头"]
    requirement.refresh_from_db()
    assert requirement.status == "in_progress"


@pytest.mark.parametrize("status", ["new", "rejected", "done"])
def test_a_new_rejected_or_done_requirement_cannot_be_promoted(project, owner, status):
    requirement = in_status(project, status)
    before = row(requirement)

    with pytest.raises(ApplicationError):
        services.requirement_promote(requirement=requirement, actor=owner)

    assert WorkItem.objects.count() == 0
    assert row(requirement) == before


# ---------------------------------------------------------------- query budgets


def test_create_stays_within_the_query_budget(
    project, owner, conversion, django_assert_max_num_queries
):
    make_requirement(project)  # not the first: the numbering and rank look at others
    with django_assert_max_num_queries(20):
        make_requirement(
            project,
            owner,
            title="大促限流",
            priority="P0",
            moscow="must",
            tags="大促，稳定性",
            reach=1000,
            impact=D("3"),
            confidence=80,
            effort=D("2"),
            business_value=20,
            time_criticality=13,
            risk_reduction=8,
            job_size=5,
            kpi_links=[{"kpi": conversion, "expected_change": 1}],
        )


def test_update_stays_within_the_query_budget(project, owner, django_assert_max_num_queries):
    requirement = make_requirement(project, moscow="must", priority="P2")
    with django_assert_max_num_queries(20):
        update(
            requirement,
            status="triaged",
            priority="P0",
            tags="支付",
            reach=10,
            impact=D("1"),
            confidence=100,
            effort=D("1"),
        )
