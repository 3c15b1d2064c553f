"""The outbox on the real services: PostgreSQL, Redis as the broker, a separate Celery
worker process. Only the remote end (a webhook receiver) is a local HTTP server.

Redis is stopped and started again by the test itself (scripts/with_services.py exports
how); it is always restored, so later tests keep their broker.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import transaction

from portal.notifications.models import Delivery, DeliveryStatus
from portal.notifications.tasks import deliveries_relay_task
from projects import services as project_services

from .conftest import add_channel, occur, wait_for_worker, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def all_sent(expected: int) -> Callable[[], bool]:
    def check() -> bool:
        return Delivery.objects.filter(status=DeliveryStatus.SENT).count() >= expected

    return check


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
    assert caplog.text.count("not queued (broker unavailable") >= 3, "each commit tried once"
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
