"""Thin tasks over the outbox. Safe to run twice; nothing here can lose a delivery."""

from celery import shared_task

from . import services


# Results are never read (the outbox rows say what happened); storing them would make
# each enqueue talk to the result backend too.
@shared_task(
    name="portal.notifications.tasks.channel_flush_task", acks_late=True, ignore_result=True
)
def channel_flush_task(channel_id: int) -> int:
    return services.channel_flush(channel_id)


@shared_task(
    name="portal.notifications.tasks.deliveries_relay_task", acks_late=True, ignore_result=True
)
def deliveries_relay_task() -> int:
    """Every 30 s: send whatever is due, whether or not its nudge ever reached a worker."""
    return services.deliveries_relay(inline=True)
