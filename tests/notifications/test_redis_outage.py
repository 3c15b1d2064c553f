"""The site stays up while Redis is down or hung (DESIGN §6, CONVENTIONS: a request never
waits on Redis).

Configured as production runs it: the Redis cache built by the production settings
(portal.cache), DRF's throttles from portal/settings/production.py, Redis as the broker
with a separate worker, and Redis as the result backend. Then Redis goes away: the API
(reads, and a write that owes a notification) and the HTML pages answer as usual and
quickly; the notification waits in the outbox and goes out once Redis is back.
"""

from __future__ import annotations

import importlib
import logging
import sys
import time
from collections.abc import Callable

import pytest
from celery.app.backends import by_url
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils.module_loading import import_string
from rest_framework.test import APIClient
from rest_framework.views import APIView

from portal.cache import redis_cache
from portal.models import Event
from portal.notifications.models import Delivery, DeliveryStatus
from portal.notifications.tasks import deliveries_relay_task
from risks.models import Risk

from .conftest import add_channel, wait_for_worker, wait_until

NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens on port 1
BOUND = 2.0  # seconds; generous against a loaded machine, the real figures are far lower


@pytest.fixture
def production_throttles(monkeypatch):
    """The API's throttles exactly as portal/settings/production.py lists them.

    DRF reads its throttle classes when APIView is defined, so the test settings' (none)
    are in place; this puts production's there for the length of one test."""
    monkeypatch.setenv("SECRET_KEY", "production-like-settings-for-this-test-only")
    monkeypatch.setenv("ALLOWED_HOSTS", "testserver")
    previous = sys.modules.pop("portal.settings.production", None)
    try:
        production = importlib.import_module("portal.settings.production")
    finally:
        sys.modules.pop("portal.settings.production", None)
        if previous is not None:
            sys.modules["portal.settings.production"] = previous
    classes = production.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]
    assert classes, "production throttles the API"
    monkeypatch.setattr(APIView, "throttle_classes", [import_string(c) for c in classes])


def redis_cache_at(settings, url: str) -> None:
    settings.CACHES = {"default": redis_cache(url)}


def timed(call: Callable[[], object]) -> tuple[object, float]:
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


def new_risk(project) -> dict:
    # Probability 4 × impact 4: registered at "high", so it owes a risk.created notification.
    return {
        "project": project.pk,
        "title": "大促库存超卖",
        "category": "technical",
        "probability": 4,
        "impact": 4,
    }


# ---------------------------------------------------------------- no Redis at all (SQLite too)


@pytest.mark.django_db
def test_the_api_answers_when_the_cache_redis_is_unreachable(
    settings, production_throttles, project, owner, caplog
):
    # Given the throttles' cache is a Redis that is not there
    redis_cache_at(settings, NOWHERE)
    caplog.set_level(logging.WARNING)
    api = APIClient()
    api.force_authenticate(owner)

    # When people use the API
    listed, listed_in = timed(lambda: api.get("/api/v1/projects/"))
    anonymous, anonymous_in = timed(lambda: APIClient().get("/api/v1/projects/"))

    # Then they get their answers, not a 500, and the outage is in the log once
    assert listed.status_code == 200, listed.content
    assert listed.json()["count"] == 1
    assert anonymous.status_code == 401
    assert max(listed_in, anonymous_in) < BOUND
    assert caplog.text.count("cache unavailable") == 1


@pytest.mark.django_db
def test_an_unreachable_cache_reads_as_empty_and_writes_nowhere(settings):
    redis_cache_at(settings, NOWHERE)

    cache.set("greeting", "你好")
    assert cache.get("greeting") is None
    assert cache.get("greeting", "default") == "default"
    assert cache.get_or_set("computed", lambda: 42) == 42
    assert cache.add("lock", 1) is False
    assert cache.incr("hits") == 1  # a counter starts from nothing: a rate limit lets it pass
    assert cache.get_many(["a", "b"]) == {}
    assert cache.set_many({"a": 1}) == ["a"]  # the keys that were not stored
    assert cache.delete("greeting") is False


# ---------------------------------------------------------------- real Redis, stopped and hung


@pytest.fixture
def production_like(settings, production_throttles, redis_url, celery_via_redis, monkeypatch):
    """Cache, throttles, broker and result backend on the one real Redis, as in production."""
    redis_cache_at(settings, redis_url)
    backend_cls, backend_url = by_url(redis_url, celery_via_redis.loader)
    # Results on Redis too (production's CELERY_RESULT_BACKEND = REDIS_URL): an enqueue
    # that stored a result would wait ~20 s on that backend's own retries.
    monkeypatch.setattr(
        celery_via_redis, "_backend_cache", backend_cls(app=celery_via_redis, url=backend_url)
    )
    return celery_via_redis


@pytest.fixture
def subscribed(project, owner, webhook):
    """MALL's webhook channel, subscribed to every event."""
    return add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)


def cache_answers() -> bool:
    """The cache is on Redis again (not just failing open: a value round-trips)."""
    cache.set("outage-probe", "ok")
    return cache.get("outage-probe") == "ok"


def use_the_site(project, owner) -> dict[str, tuple[int, float]]:
    """What a person does in a minute: read and write through the API, open two pages.
    Returns each request's status and how long it took."""
    api = APIClient()
    api.force_authenticate(owner)
    browser = Client()
    browser.force_login(owner)
    calls = {
        "API list risks": lambda: api.get("/api/v1/risks/", {"project": project.pk}),
        "API create a high risk": lambda: api.post("/api/v1/risks/", new_risk(project)),
        "API anonymous": lambda: APIClient().get("/api/v1/projects/"),
        "risk register page": lambda: browser.get(reverse("risks:register", args=[project.key])),
        "notifications page": lambda: browser.get(
            reverse("projects:notifications", args=[project.key])
        ),
    }
    seen = {}
    for name, call in calls.items():
        response, took = timed(call)
        seen[name] = (response.status_code, round(took, 3))
    return seen


EXPECTED = {
    "API list risks": 200,
    "API create a high risk": 201,
    "API anonymous": 401,
    "risk register page": 200,
    "notifications page": 200,
}


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_the_site_answers_and_the_notification_follows_later(
    production_like, redis_control, project, owner, subscribed, webhook, caplog
):
    caplog.set_level(logging.WARNING)
    # Given the throttles really keep their history in Redis
    api = APIClient()
    api.force_authenticate(owner)
    assert wait_until(cache_answers, timeout=10), "the cache never used Redis"
    assert api.get("/api/v1/projects/").status_code == 200
    assert cache.get(f"throttle_user_{owner.pk}"), "the user throttle did not use Redis"

    # When Redis stops and people carry on
    redis_control.stop()
    seen = use_the_site(project, owner)
    print(f"\nRedis stopped: {seen}")

    # Then every request answered as usual, each within the bound
    assert {name: status for name, (status, _took) in seen.items()} == EXPECTED
    slow = {name: took for name, (_status, took) in seen.items() if took >= BOUND}
    assert slow == {}, seen
    # And the new risk owes its notification, safe in the outbox
    risk = Risk.objects.get()
    assert Event.objects.filter(name="risk.created").count() == 1
    (delivery,) = Delivery.objects.all()
    assert delivery.status == DeliveryStatus.PENDING
    assert webhook.requests == []
    assert "cache unavailable" in caplog.text
    assert "not queued (broker unavailable" in caplog.text

    # When Redis is back and the periodic relay runs on the worker
    redis_control.start()
    wait_for_worker(production_like)
    deliveries_relay_task.delay()

    # Then the receiver gets the notification
    assert wait_until(
        lambda: Delivery.objects.filter(status=DeliveryStatus.SENT).exists(), timeout=20
    ), list(Delivery.objects.values_list("status", "last_error"))
    (message,) = webhook.shown.values()
    assert risk.key in message["title"]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_hung_redis_costs_a_request_well_under_a_second(
    production_like, redis_control, project, owner, subscribed, webhook
):
    # Given Redis accepts connections but answers nothing (a stuck server)
    api = APIClient()
    api.force_authenticate(owner)
    assert wait_until(cache_answers, timeout=10), "the cache never used Redis"
    assert api.get("/api/v1/projects/").status_code == 200  # connections are open
    asleep = redis_control.hang(seconds=6)

    # When people carry on meanwhile
    seen = use_the_site(project, owner)
    print(f"\nRedis hung: {seen}")

    # Then each request answered, none waited for Redis to wake up
    assert {name: status for name, (status, _took) in seen.items()} == EXPECTED
    assert max(took for _status, took in seen.values()) < 1.5, seen
    assert Delivery.objects.get().status == DeliveryStatus.PENDING

    # And once Redis answers again the notification goes out
    asleep.join()
    wait_for_worker(production_like)
    deliveries_relay_task.delay()
    assert wait_until(
        lambda: Delivery.objects.filter(status=DeliveryStatus.SENT).exists(), timeout=20
    ), list(Delivery.objects.values_list("status", "last_error"))
    assert len(webhook.shown) == 1
