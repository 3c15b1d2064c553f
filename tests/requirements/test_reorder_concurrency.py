"""Two PMs dragging the same backlog at the same moment, each in their own transaction on
their own connection (PostgreSQL): the backlog keeps one consistent order, ranks stay
distinct, nobody's requirement disappears or appears twice, and numbers never collide."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

from projects.models import WorkItem
from requirements import services
from requirements.models import Requirement
from tests.conftest import require_service
from tests.requirements.factories import make_requirement, triaged

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        require_service("concurrent writers need PostgreSQL (TEST_DATABASE_URL)")


@pytest.fixture(autouse=True)
def _hold_the_project_lock_a_moment(monkeypatch):
    """Keep each backlog writer a moment between taking the project lock and reading the
    backlog, so the writers really overlap: without the lock they would all read the same
    ranks and overwrite each other."""
    real_lock = services.common._lock

    def lock_and_linger(project):
        real_lock(project)
        time.sleep(0.2)

    monkeypatch.setattr(services.common, "_lock", lock_and_linger)


def run_at_once(*jobs, names=None):
    """Run each job in its own thread (so on its own connection), released together;
    returns what each returned or raised."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[object] = [None] * len(jobs)

    def runner(index, job):
        try:
            barrier.wait(timeout=5)
            outcomes[index] = job()
        except Exception as exc:  # reported by the test, with what the others did
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=runner, args=(i, job), name=(names or {}).get(i, f"pm-{i}"))
        for i, job in enumerate(jobs)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a writer is stuck (deadlock?)"
    return outcomes


def order(project) -> list[str]:
    return list(
        Requirement.objects.filter(project=project)
        .order_by("rank", "id")
        .values_list("title", flat=True)
    )


def assert_consistent(project, titles: set[str]) -> None:
    """Every requirement exactly once, each on its own rank."""
    rows = list(Requirement.objects.filter(project=project).values_list("title", "rank"))
    ranks = [rank for _title, rank in rows]
    assert len(set(ranks)) == len(ranks), f"two requirements share a rank: {sorted(rows)}"
    assert sorted(title for title, _rank in rows) == sorted(titles)


def reordered(current: list[str], ids_order: list[str]) -> list[str]:
    """What requirements_reorder does, on titles: the given ones take the places they
    occupy between them, in the given order; the others stay put."""
    places = sorted(current.index(t) for t in ids_order)
    result = list(current)
    for place, title in zip(places, ids_order, strict=True):
        result[place] = title
    return result


def moved_after(current: list[str], title: str, anchor: str | None) -> list[str]:
    """What requirement_move(after=anchor) does; None: to the top."""
    result = [t for t in current if t != title]
    result.insert(0 if anchor is None else result.index(anchor) + 1, title)
    return result


@pytest.fixture
def backlog(project):
    """A … F, in that order."""
    return {t: make_requirement(project, title=t) for t in "ABCDEF"}


def ids(backlog, titles: str) -> list[int]:
    return [backlog[t].pk for t in titles]


@pytest.mark.parametrize(
    ("first", "second"),
    [("FEDCBA", "BEA"), ("CA", "EC")],
    ids=["whole-and-part", "overlapping-swaps"],
)
def test_two_reorders_at_once_apply_one_after_the_other(project, owner, backlog, first, second):
    start = order(project)

    outcomes = run_at_once(
        lambda: services.requirements_reorder(
            project=project, actor=owner, ids=ids(backlog, first)
        ),
        lambda: services.requirements_reorder(
            project=project, actor=owner, ids=ids(backlog, second)
        ),
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert_consistent(project, set(backlog))
    serial = (
        reordered(reordered(start, list(first)), list(second)),
        reordered(reordered(start, list(second)), list(first)),
    )
    assert order(project) in serial


def test_a_move_and_a_reorder_at_once_leave_one_consistent_order(project, owner, backlog):
    start = order(project)

    outcomes = run_at_once(
        lambda: services.requirement_move(
            requirement=backlog["F"], actor=owner, after=backlog["A"]
        ),
        lambda: services.requirements_reorder(
            project=project, actor=owner, ids=ids(backlog, "DCB")
        ),
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert_consistent(project, set(backlog))
    serial = (
        reordered(moved_after(start, "F", "A"), list("DCB")),
        moved_after(reordered(start, list("DCB")), "F", "A"),
    )
    assert order(project) in serial


def test_two_drops_into_the_same_gap_at_once_both_land(project, owner, backlog):
    start = order(project)

    outcomes = run_at_once(
        lambda: services.requirement_move(
            requirement=backlog["E"], actor=owner, after=backlog["A"]
        ),
        lambda: services.requirement_move(
            requirement=backlog["F"], actor=owner, after=backlog["A"]
        ),
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert_consistent(project, set(backlog))
    serial = (
        moved_after(moved_after(start, "E", "A"), "F", "A"),
        moved_after(moved_after(start, "F", "A"), "E", "A"),
    )
    assert order(project) in serial


def test_many_moves_at_once_keep_every_requirement_once_on_its_own_rank(project, owner, backlog):
    outcomes = run_at_once(
        lambda: services.requirement_move(requirement=backlog["F"], actor=owner),
        lambda: services.requirement_move(
            requirement=backlog["E"], actor=owner, after=backlog["A"]
        ),
        lambda: services.requirement_move(
            requirement=backlog["C"], actor=owner, after=backlog["A"]
        ),
        lambda: services.requirement_move(
            requirement=backlog["A"], actor=owner, before=backlog["D"]
        ),
        lambda: services.requirement_move(
            requirement=backlog["B"], actor=owner, after=backlog["F"]
        ),
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert_consistent(project, set(backlog))


def test_moves_that_both_need_a_renumbering_at_once(project, owner, backlog):
    # Given a backlog whose ranks touch, so every drop between two neighbours renumbers
    for rank, title in enumerate("ABCDEF", start=1):
        Requirement.objects.filter(pk=backlog[title].pk).update(rank=rank)
    start = order(project)

    outcomes = run_at_once(
        lambda: services.requirement_move(
            requirement=backlog["F"], actor=owner, after=backlog["A"]
        ),
        lambda: services.requirement_move(
            requirement=backlog["E"], actor=owner, after=backlog["B"]
        ),
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert_consistent(project, set(backlog))
    serial = (
        moved_after(moved_after(start, "F", "A"), "E", "B"),
        moved_after(moved_after(start, "E", "B"), "F", "A"),
    )
    assert order(project) in serial


def test_a_create_during_a_reorder_lands_on_a_rank_of_its_own(project, owner, backlog):
    outcomes = run_at_once(
        lambda: services.requirements_reorder(
            project=project, actor=owner, ids=ids(backlog, "FEDCBA")
        ),
        lambda: make_requirement(project, owner, title="G"),
        lambda: make_requirement(project, owner, title="H", position="top"),
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert_consistent(project, {*backlog, "G", "H"})
    assert order(project)[0] == "H"


def test_concurrent_creates_get_distinct_numbers(project, owner, member):
    make_requirement(project, title="已有")

    outcomes = run_at_once(
        *[
            (lambda n=n: make_requirement(project, owner if n % 2 else member, title=f"并发 {n}"))
            for n in range(4)
        ]
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    numbers = sorted(Requirement.objects.filter(project=project).values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4, 5]
    assert_consistent(project, {"已有", *(f"并发 {n}" for n in range(4))})


# Writers that take the project lock first (services.common._lock), then write requirement rows.
def _bulk_edit(project, owner, requirement, _other):
    services.requirements_bulk_update(
        project=project, actor=owner, ids=[requirement.pk], changes={"priority": "P1"}
    )


def _reorder(project, owner, requirement, other):
    services.requirements_reorder(project=project, actor=owner, ids=[other.pk, requirement.pk])


def _move(project, owner, requirement, other):
    services.requirement_move(requirement=requirement, actor=owner, after=other)


# Writers that lock the requirement row first.
def _promote(requirement, owner):
    services.requirement_promote(requirement=requirement, actor=owner)


def _retitle(requirement, owner):
    services.requirement_update(requirement=requirement, actor=owner, title="拼团（三人团）")


@pytest.mark.parametrize("edit", [_promote, _retitle], ids=["promote", "update"])
@pytest.mark.parametrize(
    "backlog_write", [_bulk_edit, _reorder, _move], ids=["bulk", "reorder", "move"]
)
def test_an_edit_during_a_backlog_write_on_the_same_requirement_both_succeed(
    project, owner, monkeypatch, backlog_write, edit
):
    requirement = triaged(project, title="拼团", priority="P2")
    other = triaged(project, title="砍价", priority="P2")
    writer_has_the_project = threading.Event()
    real_lock = services.common._lock

    def lock_then_pause(locked_project):
        # Widen the window between the backlog writer's project lock and its row writes so
        # the other edit starts inside it, as it can in production.
        real_lock(locked_project)
        if threading.current_thread().name == "backlog":
            writer_has_the_project.set()
            time.sleep(1.0)

    monkeypatch.setattr(services.common, "_lock", lock_then_pause)

    def other_edit():
        assert writer_has_the_project.wait(timeout=5)
        return edit(requirement, owner)

    outcomes = run_at_once(
        lambda: backlog_write(project, owner, requirement, other),
        other_edit,
        names={0: "backlog"},
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert_consistent(project, {"砍价", "拼团（三人团）" if edit is _retitle else "拼团"})
    if backlog_write is not _bulk_edit:
        assert order(project)[0] == "砍价"
    if edit is _promote:
        assert WorkItem.objects.filter(delivered_requirements=requirement).count() == 1
