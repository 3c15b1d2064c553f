"""Celery: a task goes through the real Redis broker to a real worker process."""

import os
import time

import pytest
from django.test import Client

from portal.models import SchedulerHeartbeat
from portal.tasks import ping_task, scheduler_heartbeat_task


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_task_sent_through_redis_is_run_by_the_worker(celery_via_redis, celery_worker_process):
    result = scheduler_heartbeat_task.delay()
    assert result.id
    deadline = time.monotonic() + 20
    beat = None
    while time.monotonic() < deadline and beat is None:
        beat = SchedulerHeartbeat.objects.filter(name="scheduler").first()
        time.sleep(0.1)
    assert beat is not None, "the worker never wrote the heartbeat"
    # What an operator sees: /healthz reports when the scheduler last ran.
    body = Client().get("/healthz").json()
    assert body["scheduler_last_run"] == beat.last_run_at.isoformat()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_worker_is_a_separate_process(celery_via_redis, celery_worker_process):
    replies = celery_via_redis.control.inspect(timeout=2).registered() or {}
    registered = next(iter(replies.values()))
    assert "portal.tasks.ping_task" in registered
    assert celery_worker_process.pid != os.getpid()


@pytest.mark.django_db
def test_tasks_run_inline_on_the_embedded_default():
    """No broker (make run without REDIS_URL): the same call simply runs here and now."""
    result = ping_task.delay(21)
    assert result.get(timeout=1)["value"] == 42
    scheduler_heartbeat_task.delay()
    assert SchedulerHeartbeat.objects.filter(name="scheduler").exists()


@pytest.mark.integration
@pytest.mark.django_db
def test_healthz_reports_redis_when_configured(settings, redis_url):
    settings.REDIS_URL = redis_url
    body = Client().get("/healthz").json()
    assert body["redis"] == "ok"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = Client().get("/healthz")
    # The web tier serves without Redis: reported, but the instance stays in the balancer.
    assert response.status_code == 200
    assert response.json()["redis"].startswith("error")
    assert response.json()["status"] == "degraded"
