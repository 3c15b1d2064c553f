"""Site-wide periodic jobs. Thin: each calls one function and is safe to run twice."""

from celery import shared_task
from django.core import management
from django.utils import timezone

from .models import SchedulerHeartbeat


@shared_task(name="portal.tasks.scheduler_heartbeat_task")
def scheduler_heartbeat_task() -> str:
    """Prove the periodic scheduler runs; /healthz reports how long ago it last did."""
    now = timezone.now()
    SchedulerHeartbeat.objects.update_or_create(name="scheduler", defaults={"last_run_at": now})
    return now.isoformat()


@shared_task(name="portal.tasks.sessions_clear_task")
def sessions_clear_task() -> None:
    management.call_command("clearsessions")


@shared_task(name="portal.tasks.ping_task")
def ping_task(value: int) -> dict:
    """A round trip through the broker: the worker integration test and operators use it."""
    import os
    import socket

    return {"value": value * 2, "host": socket.gethostname(), "pid": os.getpid()}
