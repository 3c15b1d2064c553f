"""Thin tasks over the outbox. Safe to run twice; nothing here can lose a delivery."""

from celery import shared_task

from . import services


@shared_task(name="portal.notifications.tasks.channel_flush_task", acks_late=True)
def channel_flush_task(channel_id: int) -> int:
    return services.channel_flush(channel_id)


@shared_task(name="portal.notifications.tasks.deliveries_relay_task", acks_late=True)
def deliveries_relay_task() -> int:
    """Every 30 s: send whatever is due, whether or not its nudge ever reached a worker."""
    return services.deliveries_relay(inline=True)
