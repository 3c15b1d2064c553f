"""Two people press "start 1 %" on the same release at the same moment, each in their own
transaction on their own connection (PostgreSQL): the rollout takes one step, the other
person is told someone else moved it on, and exactly one stage-started event goes out."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from delivery import services
from delivery.models import Release, ReleaseState, StageState
from delivery.services import releases as release_services
from portal.models import Event
from tests.conftest import require_service
from tests.requirements.test_reorder_concurrency import run_at_once

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        require_service("concurrent writers need PostgreSQL (TEST_DATABASE_URL)")


@pytest.fixture(autouse=True)
def _linger_after_the_lock(monkeypatch):
    """Hold the release lock a moment so the two presses really overlap."""
    real = release_services.lock_release

    def lock_and_linger(release):
        locked = real(release)
        time.sleep(0.2)
        return locked

    monkeypatch.setattr("delivery.services.rollout.lock_release", lock_and_linger)


def test_two_people_starting_the_same_stage_at_once_make_one_step(project, owner, member):
    release = services.release_create(project=project, actor=owner, version="2.3.0")

    def press(person):
        return lambda: services.release_advance(release=release, actor=person, step="start:1")

    outcomes = run_at_once(press(owner), press(member))

    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(refused) == 1, outcomes
    assert "其他人刚刚推进了灰度" in str(refused[0])
    fresh = Release.objects.get(pk=release.pk)
    assert fresh.state == ReleaseState.GRAY
    states = list(fresh.stages.order_by("position").values_list("state", flat=True))
    assert states == [StageState.RUNNING] + [StageState.PENDING] * 4
    assert Event.objects.filter(name="release.stage_started").count() == 1
