"""Board and sprint services: what moving cards, planning, closing and retrospectives
leave behind (timestamps, order, history, events), and the rules that refuse bad input
without changing anything. History is written at chosen times through the clock seam."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.utils import translation
from django.utils.translation import pgettext

from portal import clock
from portal.errors import ApplicationError
from portal.models import Activity, Event
from portal.roles import Role
from projects import services
from projects.models import (
    ColumnChange,
    RetroItem,
    Retrospective,
    Sprint,
    SprintScopeChange,
    SprintState,
    WorkItem,
)
from projects.selectors.board import backlog_items, project_mean_velocity, sprint_burndown
from tests.portal.factories import UserFactory
from tests.projects.board_factories import (
    DOING,
    DONE,
    REVIEW,
    TESTING,
    TODO,
    at,
    close_sprint,
    column,
    make_item,
    make_sprint,
    move,
    ordered_titles,
    start_sprint,
)
from tests.projects.factories import add_member, make_project

pytestmark = pytest.mark.django_db

DAY0 = date(2026, 3, 2)  # a Monday


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


def needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them anyway)")


def run_at_once(*jobs):
    """Run each job in its own thread, released together; returns what each returned/raised."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[object] = [None] * len(jobs)

    def runner(index, job):
        try:
            barrier.wait(timeout=5)
            outcomes[index] = job()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (deadlock?)"
    return outcomes


# ---------------------------------------------------------------- move: timestamps


def test_started_at_is_set_on_the_first_entry_into_in_progress_and_never_changed(project, owner):
    # Given a new card in 待办
    item = make_item(project, owner, "结算页改版", when=at(day(0), 9))
    assert (item.started_at, item.done_at) == (None, None)

    # When it enters 进行中, goes on to 评审中, back to 待办 and into 进行中 again
    move(item, DOING, owner, when=at(day(1), 10))
    move(item, REVIEW, owner, when=at(day(2), 10))
    move(item, TODO, owner, when=at(day(3), 10))
    move(item, DOING, owner, when=at(day(4), 10))

    # Then it started when it first entered 进行中
    item.refresh_from_db()
    assert item.started_at == at(day(1), 10)
    assert item.column_entered_at == at(day(4), 10)
    assert item.done_at is None


def test_done_at_is_set_on_entering_done_cleared_on_reopen_and_set_again(project, owner):
    item = make_item(project, owner, "优惠券叠加", when=at(day(0), 9))
    move(item, DOING, owner, when=at(day(0), 11))

    # When it is finished
    move(item, DONE, owner, when=at(day(1), 17))
    item.refresh_from_db()
    assert item.done_at == at(day(1), 17)

    # When QA reopens it
    move(item, TESTING, owner, when=at(day(2), 9))
    item.refresh_from_db()
    assert item.done_at is None
    assert item.started_at == at(day(0), 11)

    # When it is finished again
    move(item, DONE, owner, when=at(day(3), 15))
    item.refresh_from_db()
    assert item.done_at == at(day(3), 15)
    assert item.started_at == at(day(0), 11)


def test_moving_between_two_done_columns_keeps_the_first_done_at(project, owner):
    released = services.column_create(project=project, actor=owner, name="已上线", category="done")
    item = make_item(project, owner, when=at(day(0), 9))
    move(item, DONE, owner, when=at(day(1), 9))
    move(item, released, owner, when=at(day(2), 9))
    item.refresh_from_db()
    assert item.column == released
    assert item.done_at == at(day(1), 9)


def test_straight_from_todo_to_done_sets_started_and_done(project, owner):
    item = make_item(project, owner, "修复错别字", when=at(day(0), 9))
    move(item, DONE, owner, when=at(day(0), 14))
    item.refresh_from_db()
    assert item.started_at == at(day(0), 14)
    assert item.done_at == at(day(0), 14)


def test_every_column_entry_is_kept_as_a_column_change(project, owner, member):
    item = make_item(project, owner, when=at(day(0), 9))
    move(item, DOING, member, when=at(day(0), 10))
    move(item, DONE, owner, when=at(day(1), 10))
    move(item, DONE, owner, when=at(day(1), 11), rank=1)  # a reorder, not a column change

    rows = list(
        ColumnChange.objects.filter(item=item).values_list(
            "from_column__name", "to_column__name", "to_category", "actor__username", "at"
        )
    )
    assert rows == [
        (None, TODO, "todo", "owner", at(day(0), 9)),
        (TODO, DOING, "in_progress", "member", at(day(0), 10)),
        (DOING, DONE, "done", "owner", at(day(1), 10)),
    ]
    assert Activity.objects.filter(verb="work_item.moved", target_id=str(item.pk)).count() == 2


def test_finishing_a_blocked_card_unblocks_it(project, owner):
    item = make_item(project, owner)
    services.work_item_update(item=item, actor=owner, blocked=True, blocked_reason="等接口")
    move(item, DONE, owner)
    item.refresh_from_db()
    assert (item.blocked, item.blocked_reason) == (False, "")


# ---------------------------------------------------------------- move: ordering


def _todo_cards(project, owner, *titles):
    return {t: make_item(project, owner, t) for t in titles}


def test_before_and_after_place_the_card_where_it_was_dropped(project, owner):
    cards = _todo_cards(project, owner, "A", "B", "C")
    d = make_item(project, owner, "D", column=column(project, DOING))
    todo = column(project, TODO)

    # Dropped between A (above) and B (below)
    move(d, todo, owner, after=cards["A"], before=cards["B"])
    assert ordered_titles(todo) == ["A", "D", "B", "C"]

    # C dragged to the top (only the card below is known)
    move(cards["C"], todo, owner, before=cards["A"])
    assert ordered_titles(todo) == ["C", "A", "D", "B"]

    # A dragged to the bottom (only the card above is known)
    move(cards["A"], todo, owner, after=cards["B"])
    assert ordered_titles(todo) == ["C", "D", "B", "A"]

    # B dropped just below C
    move(cards["B"], todo, owner, after=cards["C"])
    assert ordered_titles(todo) == ["C", "B", "D", "A"]

    # A dropped just above D
    move(cards["A"], todo, owner, before=d)
    assert ordered_titles(todo) == ["C", "B", "A", "D"]


def test_a_move_without_neighbours_goes_to_the_bottom_of_the_column(project, owner):
    _todo_cards(project, owner, "A", "B")
    doing_a = make_item(project, owner, "X", column=column(project, DOING))
    make_item(project, owner, "Y", column=column(project, DOING))
    move(doing_a, TODO, owner)
    assert ordered_titles(column(project, TODO)) == ["A", "B", "X"]
    assert ordered_titles(column(project, DOING)) == ["Y"]


def test_many_inserts_between_the_same_two_cards_renumber_and_keep_the_order(project, owner):
    # Given A and B next to each other in 待办
    cards = _todo_cards(project, owner, "A", "B")
    todo = column(project, TODO)
    b_rank = WorkItem.objects.get(pk=cards["B"].pk).rank

    # When twenty cards are dropped, one after the other, right below A
    expected = ["A", "B"]
    for i in range(20):
        title = f"N{i:02d}"
        new = make_item(project, owner, title, column=column(project, DOING))
        below_a = WorkItem.objects.get(project=project, title=expected[1])
        move(new, todo, owner, after=cards["A"], before=below_a)
        expected.insert(1, title)

    # Then the ranks were spread out again (the gap closed) and the order is what was dropped
    assert WorkItem.objects.get(pk=cards["B"].pk).rank != b_rank
    assert ordered_titles(todo) == expected
    ranks = list(WorkItem.objects.filter(column=todo).values_list("rank", flat=True))
    assert len(set(ranks)) == len(ranks) == 22


def test_many_inserts_at_the_top_keep_the_order(project, owner):
    todo = column(project, TODO)
    first = make_item(project, owner, "first")
    expected = ["first"]
    for i in range(15):
        new = make_item(project, owner, f"T{i:02d}", column=column(project, DOING))
        top = WorkItem.objects.get(project=project, title=expected[0])
        move(new, todo, owner, before=top)
        expected.insert(0, f"T{i:02d}")
    assert ordered_titles(todo) == expected
    assert first.pk in WorkItem.objects.filter(column=todo).values_list("pk", flat=True)


def test_two_drops_into_the_same_slot_from_the_same_stale_board_get_distinct_ranks(
    project, owner, member
):
    # Given A and B adjacent in 待办, and two people looking at that board
    cards = _todo_cards(project, owner, "A", "B")
    x = make_item(project, owner, "X", column=column(project, DOING))
    y = make_item(project, owner, "Y", column=column(project, DOING))
    todo = column(project, TODO)

    # When each drops a card between A and B, one after the other
    move(x, todo, owner, after=cards["A"], before=cards["B"])
    move(y, todo, member, after=cards["A"], before=cards["B"])

    # Then both cards are between A and B, at different ranks
    order = ordered_titles(todo)
    assert order[0] == "A"
    assert order[-1] == "B"
    assert sorted(order[1:3]) == ["X", "Y"]
    ranks = list(WorkItem.objects.filter(column=todo).values_list("rank", flat=True))
    assert len(set(ranks)) == 4


def test_a_neighbour_in_another_column_is_refused(project, owner):
    a = make_item(project, owner, "A")
    other = make_item(project, owner, "O", column=column(project, REVIEW))
    item = make_item(project, owner, "X", column=column(project, DOING))
    with pytest.raises(ApplicationError) as exc:
        move(item, TODO, owner, after=a, before=other)
    assert exc.value.field == "before"
    item.refresh_from_db()
    assert item.column.name == DOING


# ---------------------------------------------------------------- move: WIP and projects


def _fill(project, owner, name, n):
    return [
        make_item(project, owner, f"{name}-{i}", column=column(project, name)) for i in range(n)
    ]


def test_an_enforced_wip_limit_refuses_a_move_into_a_full_column(project, owner):
    doing = services.column_update(
        column=column(project, DOING), actor=owner, wip_limit=2, wip_enforced=True
    )
    _fill(project, owner, DOING, 2)
    item = make_item(project, owner, "第三张")
    before = WorkItem.objects.values_list("pk", "column_id", "rank", "started_at").get(pk=item.pk)
    changes_before = ColumnChange.objects.count()
    moves_before = Activity.objects.filter(verb="work_item.moved").count()

    with pytest.raises(ApplicationError) as exc:
        move(item, doing, owner)

    assert exc.value.field == "column"
    assert "2" in exc.value.message
    after = WorkItem.objects.values_list("pk", "column_id", "rank", "started_at").get(pk=item.pk)
    assert after == before
    assert ColumnChange.objects.count() == changes_before
    assert Activity.objects.filter(verb="work_item.moved").count() == moves_before
    assert WorkItem.objects.filter(column=doing).count() == 2


def test_reordering_inside_a_full_enforced_column_is_allowed(project, owner):
    services.column_update(
        column=column(project, DOING), actor=owner, wip_limit=2, wip_enforced=True
    )
    first, second = _fill(project, owner, DOING, 2)
    move(second, DOING, owner, before=first)
    assert ordered_titles(column(project, DOING)) == [f"{DOING}-1", f"{DOING}-0"]


def test_a_wip_limit_that_is_not_enforced_only_flags(project, owner):
    doing = services.column_update(column=column(project, DOING), actor=owner, wip_limit=2)
    _fill(project, owner, DOING, 2)
    item = make_item(project, owner, "第三张")
    move(item, doing, owner)
    assert WorkItem.objects.filter(column=doing).count() == 3


def test_a_column_of_another_project_is_refused(project, owner):
    other = make_project(owner=owner, key="PAY")
    item = make_item(project, owner, "A")
    before = WorkItem.objects.values_list("column_id", "rank").get(pk=item.pk)
    with pytest.raises(ApplicationError) as exc:
        move(item, column(other, DOING), owner)
    assert exc.value.field == "column"
    assert WorkItem.objects.values_list("column_id", "rank").get(pk=item.pk) == before
    assert ColumnChange.objects.filter(item=item).count() == 1


def test_a_neighbour_from_another_project_is_refused(project, owner):
    other = make_project(owner=owner, key="PAY")
    foreign = make_item(other, owner, "F")
    item = make_item(project, owner, "A", column=column(project, DOING))
    with pytest.raises(ApplicationError) as exc:
        move(item, TODO, owner, before=foreign)
    assert exc.value.field == "before"
    item.refresh_from_db()
    assert item.column.name == DOING


@pytest.mark.django_db(transaction=True)
def test_two_people_dropping_cards_into_the_same_slot_at_once():
    needs_postgresql()
    # Given A and B adjacent in 待办 and two people each holding a card from 进行中
    owner = UserFactory(username="race-owner")
    project = make_project(owner=owner, key="RACE")
    other = add_member(project, UserFactory(username="race-member"), Role.MEMBER)
    a = make_item(project, owner, "A")
    b = make_item(project, owner, "B")
    x = make_item(project, owner, "X", column=column(project, DOING))
    y = make_item(project, other, "Y", column=column(project, DOING))
    todo = column(project, TODO)

    # When both drop their card between A and B at the same moment
    def drop(item, actor):
        return lambda: services.work_item_move(
            item=WorkItem.objects.get(pk=item.pk), column=todo, after=a, before=b, actor=actor
        )

    outcomes = run_at_once(drop(x, owner), drop(y, other))

    # Then both moves applied, ranks are distinct and the order is A, (X, Y), B
    assert all(isinstance(o, WorkItem) for o in outcomes), outcomes
    order = ordered_titles(todo)
    assert order[0] == "A"
    assert order[-1] == "B"
    assert sorted(order[1:3]) == ["X", "Y"]
    ranks = list(WorkItem.objects.filter(column=todo).values_list("rank", flat=True))
    assert len(set(ranks)) == 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_of_different_cards_to_the_bottom_all_apply():
    needs_postgresql()
    owner = UserFactory(username="race-owner2")
    project = make_project(owner=owner, key="RACE2")
    cards = [make_item(project, owner, f"C{i}", column=column(project, DOING)) for i in range(4)]
    done = column(project, DONE)

    outcomes = run_at_once(
        *[(lambda c=c: services.work_item_move(item=c, column=done, actor=owner)) for c in cards]
    )

    assert all(isinstance(o, WorkItem) for o in outcomes), outcomes
    ranks = list(WorkItem.objects.filter(column=done).values_list("rank", flat=True))
    assert len(ranks) == 4
    assert len(set(ranks)) == 4
    assert ColumnChange.objects.filter(to_column=done).count() == 4


# ---------------------------------------------------------------- sprint rules


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (day(14), day(0), "end"),  # ends before it starts
        (day(0), day(0), "end"),  # ends the day it starts
        (day(0), day(7), "end"),  # one week: shorter than the project's 2 weeks
        (day(0), day(35), "end"),  # five weeks: longer than the project's 4 weeks
    ],
)
def test_sprint_dates_outside_the_rules_are_refused(project, owner, start, end, field):
    with pytest.raises(ApplicationError) as exc:
        services.sprint_create(project=project, actor=owner, name="S1", start=start, end=end)
    assert exc.value.field == field
    assert Sprint.objects.count() == 0
    assert not Activity.objects.filter(verb="sprint.created").exists()


@pytest.mark.parametrize("weeks", [2, 3, 4])
def test_sprints_of_two_to_four_weeks_are_accepted(project, owner, weeks):
    sprint = make_sprint(project, owner, day(0), weeks=weeks)
    assert sprint.length_days == weeks * 7


def test_the_project_can_allow_one_week_sprints(project, owner):
    services.project_update(project=project, actor=owner, sprint_min_weeks=1)
    project.refresh_from_db()
    assert make_sprint(project, owner, day(0), weeks=1).length_days == 7


def test_an_overlapping_sprint_is_refused(project, owner):
    make_sprint(project, owner, day(0), name="S1")
    with pytest.raises(ApplicationError) as exc:
        make_sprint(project, owner, day(7), name="S2")
    assert exc.value.field == "start"
    assert "S1" in exc.value.message
    assert list(Sprint.objects.values_list("name", flat=True)) == ["S1"]


def test_back_to_back_sprints_do_not_overlap(project, owner):
    make_sprint(project, owner, day(0), name="S1")
    make_sprint(project, owner, day(14), name="S2")
    assert Sprint.objects.count() == 2


def test_moving_a_sprint_onto_another_is_refused_and_changes_nothing(project, owner):
    make_sprint(project, owner, day(0), name="S1")
    s2 = make_sprint(project, owner, day(14), name="S2")
    with pytest.raises(ApplicationError) as exc:
        services.sprint_update(sprint=s2, actor=owner, start=day(7), end=day(21))
    assert exc.value.field == "start"
    s2.refresh_from_db()
    assert (s2.start, s2.end) == (day(14), day(27))


def test_a_second_active_sprint_is_refused_by_the_service(project, owner):
    s1 = start_sprint(make_sprint(project, owner, day(0), name="S1"), owner)
    s2 = make_sprint(project, owner, day(14), name="S2")
    with pytest.raises(ApplicationError) as exc:
        services.sprint_start(sprint=s2, actor=owner)
    assert exc.value.field == "state"
    assert "S1" in exc.value.message
    s2.refresh_from_db()
    assert s2.state == SprintState.PLANNED
    assert list(Sprint.objects.filter(state="active")) == [s1]
    assert Event.objects.filter(name="sprint.started").count() == 1


def test_the_database_refuses_a_second_active_sprint(project, owner):
    start_sprint(make_sprint(project, owner, day(0)), owner)
    s2 = make_sprint(project, owner, day(14))
    with pytest.raises(IntegrityError), transaction.atomic():
        Sprint.objects.filter(pk=s2.pk).update(state=SprintState.ACTIVE)
    assert Sprint.objects.filter(state="active").count() == 1


def test_another_project_may_run_its_own_sprint(project, owner):
    other = make_project(owner=owner, key="PAY")
    start_sprint(make_sprint(project, owner, day(0)), owner)
    start_sprint(make_sprint(other, owner, day(0)), owner)
    assert Sprint.objects.filter(state="active").count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_sprints_started_at_once_leave_exactly_one_active():
    needs_postgresql()
    owner = UserFactory(username="sprint-racer")
    project = make_project(owner=owner, key="SRACE")
    first = make_sprint(project, owner, day(0), name="S1")
    second = make_sprint(project, owner, day(14), name="S2")

    outcomes = run_at_once(
        lambda: services.sprint_start(sprint=Sprint.objects.get(pk=first.pk), actor=owner),
        lambda: services.sprint_start(sprint=Sprint.objects.get(pk=second.pk), actor=owner),
    )

    assert Sprint.objects.filter(project=project, state="active").count() == 1
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1
    assert isinstance(errors[0], ApplicationError)
    assert errors[0].field == "state"
    assert Event.objects.filter(name="sprint.started").count() == 1


# ---------------------------------------------------------------- close


@pytest.fixture
def running(project, owner):
    """S1 running with a done 3, an in-progress 5 and a to-do 2; S2 planned after it."""
    s1 = make_sprint(project, owner, day(0), name="S1")
    s2 = make_sprint(project, owner, day(14), name="S2")
    done = make_item(project, owner, "已完成的", sprint=s1, story_points=3)
    doing = make_item(project, owner, "做了一半", sprint=s1, story_points=5)
    todo = make_item(project, owner, "没开始", sprint=s1, story_points=2)
    start_sprint(s1, owner, when=at(day(0), 9))
    move(done, DONE, owner, when=at(day(3), 9))
    move(doing, DOING, owner, when=at(day(4), 9))
    return {"s1": s1, "s2": s2, "done": done, "doing": doing, "todo": todo}


def test_closing_carries_unfinished_items_to_the_chosen_sprint(running, owner):
    s1 = close_sprint(running["s1"], owner, carry_to=running["s2"], when=at(day(14), 18))

    assert s1.state == SprintState.CLOSED
    assert (s1.committed_points, s1.completed_points) == (10, 3)
    assert s1.closed_at == at(day(14), 18)
    sprint_of = dict(WorkItem.objects.values_list("title", "sprint__name"))
    assert sprint_of == {"已完成的": "S1", "做了一半": "S2", "没开始": "S2"}
    report = Sprint.objects.get(pk=s1.pk).report
    assert report["committed_points"] == 10
    assert report["completed_points"] == 3
    assert report["carried_to"] == "S2"
    assert sorted(i["key"] for i in report["carried_items"]) == [
        running["doing"].key,
        running["todo"].key,
    ]
    assert [i["key"] for i in report["done_items"]] == [running["done"].key]
    assert Retrospective.objects.filter(sprint=s1).exists()

    # The next sprint commits to what was carried over
    s2 = start_sprint(running["s2"], owner, when=at(day(14), 19))
    assert s2.committed_points == 7


def test_closing_to_the_backlog_and_the_event_summary(running, owner):
    close_sprint(running["s1"], owner, carry_to=None, when=at(day(14), 18))

    assert set(WorkItem.objects.filter(sprint__isnull=True).values_list("title", flat=True)) == {
        "做了一半",
        "没开始",
    }
    events = list(Event.objects.filter(name="sprint.closed"))
    assert len(events) == 1
    payload = events[0].payload
    assert payload["name"] == "S1"
    assert payload["committed_points"] == 10
    assert payload["completed_points"] == 3
    assert payload["carried_to"] is None
    assert sorted(i["title"] for i in payload["carried_items"]) == ["做了一半", "没开始"]
    # The unfinished items are in the backlog planning chooses from
    backlog = set(backlog_items(project=running["s1"].project).values_list("title", flat=True))
    assert backlog == {"做了一半", "没开始"}


@pytest.mark.parametrize("target", ["closed", "active", "other_project", "itself"])
def test_unfinished_work_only_goes_to_a_planned_sprint_of_the_project(
    running, owner, project, target
):
    if target == "closed":
        carry_to = Sprint.objects.create(
            project=project, name="old", start=day(-28), end=day(-14), state="closed"
        )
    elif target == "active":
        carry_to = running["s1"]
    elif target == "other_project":
        carry_to = make_sprint(make_project(owner=owner, key="PAY"), owner, day(14))
    else:
        carry_to = running["s1"]
    with pytest.raises(ApplicationError) as exc:
        close_sprint(running["s1"], owner, carry_to=carry_to)
    assert exc.value.field == "carry_to"
    assert Sprint.objects.get(pk=running["s1"].pk).state == SprintState.ACTIVE
    assert WorkItem.objects.filter(sprint=running["s1"]).count() == 3
    assert not Event.objects.filter(name="sprint.closed").exists()


def test_only_a_running_sprint_closes(running, owner):
    with pytest.raises(ApplicationError) as exc:
        close_sprint(running["s2"], owner)
    assert exc.value.field == "state"
    assert not Retrospective.objects.exists()


# ---------------------------------------------------------------- burndown


def test_burndown_with_scope_added_mid_sprint(project, owner, member):
    # Given a sprint started on day 0 with 10 points committed
    sprint = make_sprint(project, owner, DAY0, name="S7")
    a = make_item(project, owner, "a", sprint=sprint, story_points=3, when=at(day(0), 8))
    b = make_item(project, owner, "b", sprint=sprint, story_points=5, when=at(day(0), 8))
    make_item(project, owner, "c", sprint=sprint, story_points=2, when=at(day(0), 8))
    sprint = start_sprint(sprint, owner, when=at(day(0), 9))

    # When 3 points are finished on day 1, a 5-point item is added on day 2
    # and 5 points are finished on day 3
    move(a, DOING, member, when=at(day(1), 10))
    move(a, DONE, member, when=at(day(1), 16))
    added = make_item(project, owner, "d", sprint=sprint, story_points=5, when=at(day(2), 11))
    move(b, DOING, member, when=at(day(2), 14))
    move(b, DONE, member, when=at(day(3), 17))

    # Then the burndown shows the added scope instead of hiding it
    series = sprint_burndown(sprint=Sprint.objects.get(pk=sprint.pk), today=day(3))
    assert [d.day for d in series] == [day(i) for i in range(14)]
    assert [d.remaining for d in series[:5]] == [10, 7, 12, 7, None]
    assert [d.scope for d in series[:5]] == [10, 10, 15, 15, None]
    assert [d.done for d in series[:5]] == [0, 3, 3, 8, None]
    assert [d.added for d in series] == [0, 0, 5] + [0] * 11
    assert all(d.remaining is None for d in series[4:])
    assert (series[0].ideal, series[-1].ideal) == (10, 0)
    added.refresh_from_db()
    assert added.added_after_start
    assert Sprint.objects.get(pk=sprint.pk).committed_points == 10


def test_burndown_rises_again_when_a_done_item_is_reopened(project, owner):
    sprint = make_sprint(project, owner, DAY0)
    a = make_item(project, owner, "a", sprint=sprint, story_points=3, when=at(day(0), 8))
    make_item(project, owner, "b", sprint=sprint, story_points=5, when=at(day(0), 8))
    start_sprint(sprint, owner, when=at(day(0), 9))
    move(a, DONE, owner, when=at(day(1), 10))
    move(a, TESTING, owner, when=at(day(2), 10))  # QA found a bug
    move(a, DONE, owner, when=at(day(4), 10))

    series = sprint_burndown(sprint=Sprint.objects.get(pk=sprint.pk), today=day(5))
    assert [d.remaining for d in series[:7]] == [8, 5, 8, 8, 5, 5, None]


def test_burndown_shows_an_item_taken_out_mid_sprint(project, owner):
    sprint = make_sprint(project, owner, DAY0)
    make_item(project, owner, "a", sprint=sprint, story_points=3, when=at(day(0), 8))
    b = make_item(project, owner, "b", sprint=sprint, story_points=5, when=at(day(0), 8))
    start_sprint(sprint, owner, when=at(day(0), 9))
    with clock.frozen_at(at(day(2), 10)):
        services.work_item_update(item=b, actor=owner, sprint=None)

    series = sprint_burndown(sprint=Sprint.objects.get(pk=sprint.pk), today=day(3))
    assert [d.remaining for d in series[:4]] == [8, 8, 3, 3]
    assert [d.removed for d in series[:4]] == [0, 0, 5, 0]
    assert SprintScopeChange.objects.filter(sprint=sprint, change="removed").count() == 1


def test_a_closed_sprints_burndown_ignores_moves_after_the_close(project, owner):
    sprint = make_sprint(project, owner, DAY0)
    a = make_item(project, owner, "a", sprint=sprint, story_points=3, when=at(day(0), 8))
    start_sprint(sprint, owner, when=at(day(0), 9))
    move(a, DONE, owner, when=at(day(2), 10))
    close_sprint(sprint, owner, when=at(day(14), 18))
    move(a, DOING, owner, when=at(day(16), 10))  # reopened after the sprint ended

    series = sprint_burndown(sprint=Sprint.objects.get(pk=sprint.pk), today=day(20))
    assert series[-1].remaining == 0
    assert series[-1].done == 3


# ---------------------------------------------------------------- velocity


def test_mean_velocity_is_the_mean_of_the_last_three_closed_sprints(project, owner):
    assert project_mean_velocity(project=project) is None
    completed = [30, 8, 10, 12]  # the oldest (30) no longer counts
    for index, points in enumerate(completed):
        start = day(index * 14)
        sprint = make_sprint(project, owner, start, name=f"V{index}")
        make_item(project, owner, sprint=sprint, story_points=points, column=column(project, DONE))
        make_item(project, owner, sprint=sprint, story_points=13)  # not finished
        start_sprint(sprint, owner, when=at(start, 9))
        close_sprint(sprint, owner, when=at(start + timedelta(days=14), 9))
    # A running sprint does not count either
    running = make_sprint(project, owner, day(56))
    make_item(project, owner, sprint=running, story_points=40, column=column(project, DONE))
    start_sprint(running, owner)

    assert project_mean_velocity(project=project) == pytest.approx(10.0)
    assert (
        list(
            Sprint.objects.filter(state="closed")
            .order_by("start")
            .values_list("completed_points", flat=True)
        )
        == completed
    )


# ---------------------------------------------------------------- work item rules


def test_blocking_needs_a_reason_and_changes_nothing_without_one(project, owner):
    item = make_item(project, owner, "对接物流")
    with pytest.raises(ApplicationError) as exc:
        services.work_item_update(item=item, actor=owner, blocked=True)
    assert exc.value.field == "blocked_reason"
    with pytest.raises(ApplicationError):
        services.work_item_update(item=item, actor=owner, blocked=True, blocked_reason="   ")
    item.refresh_from_db()
    assert not item.blocked
    assert not Event.objects.filter(name="work_item.blocked").exists()
    assert not Activity.objects.filter(verb="work_item.updated").exists()


def test_blocking_emits_one_event(project, owner, member):
    item = make_item(project, owner, "对接物流", assignee=member)
    services.work_item_update(item=item, actor=owner, blocked=True, blocked_reason="顺丰接口未开通")
    # Re-saving the blocked card (new reason, other fields) is not a new blocking
    services.work_item_update(item=item, actor=owner, blocked=True, blocked_reason="仍在等顺丰")
    services.work_item_update(item=item, actor=owner, title="对接顺丰物流")

    events = list(Event.objects.filter(name="work_item.blocked"))
    assert len(events) == 1
    assert events[0].payload["key"] == "MALL-1"
    assert events[0].payload["reason"] == "顺丰接口未开通"
    assert events[0].project == project
    item.refresh_from_db()
    assert (item.blocked, item.blocked_reason) == (True, "仍在等顺丰")


def test_unblocking_clears_the_reason(project, owner):
    item = make_item(project, owner)
    services.work_item_update(item=item, actor=owner, blocked=True, blocked_reason="等设计稿")
    services.work_item_update(item=item, actor=owner, blocked=False)
    item.refresh_from_db()
    assert (item.blocked, item.blocked_reason) == (False, "")


@pytest.mark.parametrize("who", ["viewer", "outsider"])
def test_the_assignee_must_be_a_member_who_is_not_a_viewer(request, project, owner, who):
    person = request.getfixturevalue(who)
    with pytest.raises(ApplicationError) as exc:
        make_item(project, owner, "A", assignee=person)
    assert exc.value.field == "assignee"
    assert not WorkItem.objects.exists()

    item = make_item(project, owner, "B")
    with pytest.raises(ApplicationError) as exc:
        services.work_item_update(item=item, actor=owner, assignee=person)
    assert exc.value.field == "assignee"
    item.refresh_from_db()
    assert item.assignee is None


def test_a_member_can_be_assigned(project, owner, member):
    item = make_item(project, owner, "A", assignee=member)
    assert item.assignee == member


def test_negative_story_points_are_refused(project, owner):
    with pytest.raises(ValidationError) as exc:
        make_item(project, owner, "A", story_points=-1)
    assert "story_points" in exc.value.message_dict
    assert not WorkItem.objects.exists()

    item = make_item(project, owner, "B", story_points=3)
    with pytest.raises(ValidationError) as exc:
        services.work_item_update(item=item, actor=owner, story_points=-2)
    assert "story_points" in exc.value.message_dict
    item.refresh_from_db()
    assert item.story_points == 3


def test_a_sprint_of_another_project_is_refused(project, owner):
    foreign = make_sprint(make_project(owner=owner, key="PAY"), owner, day(0))
    with pytest.raises(ApplicationError) as exc:
        make_item(project, owner, "A", sprint=foreign)
    assert exc.value.field == "sprint"
    assert not WorkItem.objects.filter(project=project).exists()


# ---------------------------------------------------------------- retrospective


def test_a_retro_action_becomes_one_backlog_task(running, owner, member):
    close_sprint(running["s1"], owner)
    action = services.retro_item_add(
        sprint=running["s1"],
        actor=owner,
        kind="action",
        text="发版前跑完整回归",
        owner=member,
        due_date=day(20),
    )
    services.retro_item_add(sprint=running["s1"], actor=member, kind="went_well", text="联调顺利")

    first = services.retro_action_to_work_item(action=action, actor=owner)
    again = services.retro_action_to_work_item(action=action, actor=member)

    assert again.pk == first.pk
    assert WorkItem.objects.filter(title="发版前跑完整回归").count() == 1
    item = WorkItem.objects.get(pk=first.pk)
    with translation.override("zh-hans"):  # the project's language
        assert item.labels == [
            pgettext("label of a work item made from a retrospective action", "retro")
        ]
    assert item.sprint is None
    assert item.type == "task"
    assert item.column.name == TODO
    assert item.assignee == member
    assert item.due_date == day(20)
    assert RetroItem.objects.get(pk=action.pk).work_item_id == item.pk
    assert item in backlog_items(project=running["s1"].project)


def test_only_an_action_becomes_a_work_item(running, owner):
    close_sprint(running["s1"], owner)
    good = services.retro_item_add(
        sprint=running["s1"], actor=owner, kind="went_well", text="测试覆盖高"
    )
    count = WorkItem.objects.count()
    with pytest.raises(ApplicationError) as exc:
        services.retro_action_to_work_item(action=good, actor=owner)
    assert exc.value.field == "kind"
    assert WorkItem.objects.count() == count


def test_only_actions_have_an_owner(running, owner, member):
    with pytest.raises(ApplicationError) as exc:
        services.retro_item_add(
            sprint=running["s1"], actor=owner, kind="to_improve", text="需求变更太多", owner=member
        )
    assert exc.value.field == "owner"
    assert not RetroItem.objects.exists()
