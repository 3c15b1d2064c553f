"""The Celery app. Configuration lives in Django settings under CELERY_*."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["portal.notifications"])

log = logging.getLogger(__name__)

# A web request hands work to the broker once and moves on: no reconnect loop (kombu's
# max_retries, the publish retry policy) and short socket timeouts, so a broker that is
# down costs the request a refused connection, and one that hangs at most ~0.3 s.
QUICK_CONNECT_TIMEOUT = 0.3
QUICK_TRANSPORT_OPTIONS = {
    "max_retries": 0,
    "socket_connect_timeout": QUICK_CONNECT_TIMEOUT,
    "socket_timeout": QUICK_CONNECT_TIMEOUT,
}


def enqueue_quickly(task: Any, *args: Any) -> bool:
    """Queue `task(*args)` from a request without ever making the person wait on the broker.

    Only for work something else guarantees (e.g. the outbox: the periodic relay sends
    every pending delivery whether or not its nudge arrived). When the broker does not
    answer at once, log a warning and return False. The result is never stored: nobody
    reads it, and a result backend on the same Redis retries for ~20 s when it is down.
    """
    connection = app.connection_for_write(
        connect_timeout=QUICK_CONNECT_TIMEOUT, transport_options=QUICK_TRANSPORT_OPTIONS
    )
    with connection:
        try:
            task.apply_async(args, connection=connection, retry=False, ignore_result=True)
        except (OperationalError, *connection.connection_errors) as exc:
            log.warning(
                "%s not queued (broker unavailable: %s); it is picked up later",
                task.name,
                exc.__class__.__name__,
            )
            return False
    return True
