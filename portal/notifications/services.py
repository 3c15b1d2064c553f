"""The outbox: fan an event out into deliveries, and send them.

Sending a channel's due deliveries ("flushing" it) is the one unit of work, whether the
after-commit nudge, the periodic relay or a "retry now" asks for it. It is safe to run
twice at once: the channel row lock serialises flushes of one channel, deliveries are
reserved (status "sending", a batch id) before the HTTP call, and the batch id is the
message id the remote end uses to drop a repeat.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import clock
from portal.errors import ApplicationError

from . import ssrf
from .messages import Message, render, render_digest
from .models import Channel, ChannelKind, Delivery, DeliveryStatus, Subscription
from .senders import FAILED, PAUSE, RATE_PER_MINUTE, SENDERS, SENT, Outcome

log = logging.getLogger(__name__)

RATE_WINDOW = timedelta(seconds=60)
# A reservation may turn into a request up to one HTTP timeout later: count it that long.
RATE_SAFETY = timedelta(seconds=6)
DIGEST_FROM = 3  # this many due messages for one channel are folded into one digest
DIGEST_MAX = 30
STUCK_AFTER = timedelta(minutes=2)  # a "sending" batch older than this died with its worker
BACKOFF_FIRST = 10  # seconds
BACKOFF_CAP = 600
UNSURE_BACKOFF_FIRST = 60  # seconds


def backoff_seconds(attempts: int) -> float:
    """Exponential back-off with full jitter: ≤ 10 s after the first failure, capped at 10 min."""
    ceiling = min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** max(attempts - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


def unsure_backoff_seconds(attempts: int) -> float:
    """For a receiver's 401/403/404/409, which a deploy can cause for a minute or two:
    30–60 s after the first, 2–4 min after the second, so the attempts span minutes."""
    ceiling = min(BACKOFF_CAP, UNSURE_BACKOFF_FIRST * 4 ** max(attempts - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


# ---------------------------------------------------------------- fan-out


def fan_out(event) -> list[Delivery]:
    """Write one pending delivery per subscribed, enabled channel, in the caller's
    transaction, and nudge a worker once it commits."""
    subscriptions = Subscription.objects.filter(channel__enabled=True).select_related("channel")
    if event.project_id:
        subscriptions = subscriptions.filter(
            Q(project_id=event.project_id) | Q(project__isnull=True)
        )
    else:
        subscriptions = subscriptions.filter(project__isnull=True)
    now = clock.now()
    deliveries = []
    for subscription in subscriptions:
        channel = subscription.channel
        if not subscription.wants(event.name):
            continue
        if channel.project_id and channel.project_id != event.project_id:
            continue
        deliveries.append(
            Delivery(
                channel=channel,
                event=event,
                event_name=event.name,
                project_id=event.project_id,
                payload=event.payload,
                dedupe_key=f"{event.pk}:{channel.pk}",
                next_attempt_at=now,
                created_at=now,
            )
        )
    if deliveries:
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        channel_ids = sorted({d.channel_id for d in deliveries})
        transaction.on_commit(lambda: _nudge(channel_ids))
    return deliveries


def _nudge(channel_ids: list[int]) -> None:
    """Ask a worker to flush these channels now. If the broker is down the deliveries
    are safe in the table and the periodic relay sends them: one quick try, no retry,
    and the request goes on (portal.celery.enqueue_quickly)."""
    from portal.celery import app, enqueue_quickly

    from .tasks import channel_flush_task

    if app.conf.task_always_eager:
        # Embedded default: no worker to hand this to, and an HTTP call must not hold up
        # the person's request; the relay (every 30 s, run by the scheduler) sends it.
        return
    for channel_id in channel_ids:
        if not enqueue_quickly(channel_flush_task, channel_id):
            return  # logged; the broker is down, so the other nudges would fail too


# ---------------------------------------------------------------- sending


def _recent_messages(channel: Channel, now) -> int:
    since = now - RATE_WINDOW - RATE_SAFETY
    return (
        Delivery.objects.filter(channel=channel, reserved_at__gte=since)
        .exclude(batch__isnull=True)
        .values("batch")
        .distinct()
        .count()
    )


def _oldest_in_window(channel: Channel, now):
    since = now - RATE_WINDOW - RATE_SAFETY
    return (
        Delivery.objects.filter(channel=channel, reserved_at__gte=since)
        .order_by("reserved_at")
        .values_list("reserved_at", flat=True)
        .first()
    )


def _reserve(channel_id: int) -> tuple[Channel, list[Delivery]] | None:
    """Under the channel lock: pick the next message's deliveries (one, or a digest of a
    burst), respecting pause and rate limit, and mark them "sending"."""
    with transaction.atomic():
        channel = Channel.objects.select_for_update().filter(pk=channel_id).first()
        if channel is None or not channel.enabled:
            return None
        now = clock.now()
        due = Delivery.objects.filter(
            channel=channel, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        ).order_by("created_at", "id")
        if channel.paused_until and channel.paused_until > now:
            due.update(next_attempt_at=channel.paused_until)
            return None
        limit = RATE_PER_MINUTE[channel.kind]
        if _recent_messages(channel, now) >= limit:
            oldest = _oldest_in_window(channel, now) or now
            due.update(next_attempt_at=oldest + RATE_WINDOW + RATE_SAFETY)
            return None
        recovered = due.filter(batch__isnull=False).first()
        if recovered is not None:
            # A batch whose worker died: send the very same message again (same msgUuid),
            # so the remote end can drop the repeat.
            batch = list(due.filter(batch=recovered.batch))
            batch_id = recovered.batch
        else:
            batch = list(due[:DIGEST_MAX])
            if not batch:
                return None
            if len(batch) < DIGEST_FROM:
                batch = batch[:1]
            batch_id = Delivery.new_batch()
        Delivery.objects.filter(pk__in=[d.pk for d in batch]).update(
            status=DeliveryStatus.SENDING, batch=batch_id, reserved_at=now
        )
        for delivery in batch:
            delivery.batch = batch_id
            delivery.status = DeliveryStatus.SENDING
        return channel, batch


def _message_for(channel: Channel, batch: list[Delivery]) -> Message:
    names = _project_names(batch)
    messages = [
        render(
            d.event_name,
            d.payload,
            language=channel.language,
            project_name=names.get(d.project_id) if d.project_id is not None else None,
        )
        for d in batch
    ]
    if len(messages) == 1:
        return messages[0]
    return render_digest(messages, language=channel.language)


def _project_names(batch: list[Delivery]) -> dict[int, str]:
    """Project keys for the message prefix, through the relation (no domain import)."""
    ids = [d.pk for d in batch if d.project_id]
    if not ids:
        return {}
    return dict(Delivery.objects.filter(pk__in=ids).values_list("project_id", "project__key"))


def _send(channel: Channel, batch: list[Delivery]) -> Outcome:
    # The SSRF check runs inside the sender, on the very address it then connects to.
    message = _message_for(channel, batch)
    return SENDERS[channel.kind].send(channel, message, message_id=str(batch[0].batch))


def _record(channel: Channel, batch: list[Delivery], outcome: Outcome) -> None:
    """Apply a send's outcome to its deliveries (and the channel), in one transaction."""
    now = clock.now()
    ids = [d.pk for d in batch]
    with transaction.atomic():
        rows = Delivery.objects.select_for_update().filter(
            pk__in=ids, status=DeliveryStatus.SENDING
        )
        if outcome.kind == SENT:
            rows.update(
                status=DeliveryStatus.SENT,
                sent_at=now,
                response_code=outcome.code,
                last_error="",
                attempts=_plus_one(),
            )
            return
        if outcome.kind == PAUSE:
            until = now + timedelta(seconds=outcome.retry_after or 600)
            Channel.objects.filter(pk=channel.pk).update(paused_until=until)
            rows.update(
                status=DeliveryStatus.PENDING,
                next_attempt_at=until,
                last_error=outcome.error,
                response_code=outcome.code,
                batch=None,
                attempts=_plus_one(),
            )
            return
        if outcome.kind == FAILED:
            rows.update(
                status=DeliveryStatus.FAILED,
                last_error=outcome.error,
                response_code=outcome.code,
                attempts=_plus_one(),
            )
            if outcome.flag_channel:
                Channel.objects.filter(pk=channel.pk).update(
                    flagged=True, flag_reason=outcome.error[:300]
                )
            return
        # RETRY: back off (or wait exactly what the remote end asked), dead after the limit;
        # an answer that is only worth a few attempts fails (and flags) after those.
        gave_up = ""
        for delivery in rows:
            attempts = delivery.attempts + 1
            next_at = now + timedelta(seconds=_retry_delay(outcome, attempts))
            error = outcome.error
            status = DeliveryStatus.PENDING
            if attempts >= settings.NOTIFY_MAX_ATTEMPTS:
                status = DeliveryStatus.DEAD
            if outcome.max_attempts is not None:
                if attempts >= outcome.max_attempts:
                    status = DeliveryStatus.FAILED
                    error = gave_up = _(
                        "Receiver answered %(code)s; gave up after %(attempts)s attempts."
                    ) % {"code": outcome.code, "attempts": attempts}
                else:
                    error = _(
                        "Receiver answered %(code)s; attempt %(next)s of %(limit)s at %(time)s."
                    ) % {
                        "code": outcome.code,
                        "next": attempts + 1,
                        "limit": outcome.max_attempts,
                        "time": timezone.localtime(next_at).strftime("%H:%M:%S %Z"),
                    }
            delivery.attempts = attempts
            delivery.status = status
            delivery.next_attempt_at = next_at
            delivery.last_error = error[:500]
            delivery.response_code = outcome.code
            delivery.batch = None
            # A refused request did not use the rate budget.
            delivery.reserved_at = None
            delivery.save(
                update_fields=[
                    "attempts",
                    "status",
                    "next_attempt_at",
                    "last_error",
                    "response_code",
                    "batch",
                    "reserved_at",
                ]
            )
        if gave_up:
            Channel.objects.filter(pk=channel.pk).update(flagged=True, flag_reason=gave_up[:300])


def _retry_delay(outcome: Outcome, attempts: int) -> float:
    if outcome.retry_after is not None:
        return outcome.retry_after
    if outcome.max_attempts is not None:
        return unsure_backoff_seconds(attempts)
    return backoff_seconds(attempts)


def _plus_one():
    from django.db.models import F

    return F("attempts") + 1


def channel_flush(channel_id: int, *, max_messages: int = 25) -> int:
    """Send what is due for one channel; returns how many messages went out."""
    sent = 0
    for _attempt in range(max_messages):
        reserved = _reserve(channel_id)
        if reserved is None:
            break
        channel, batch = reserved
        outcome = _send(channel, batch)
        _record(channel, batch, outcome)
        if outcome.kind != SENT:
            break
        sent += 1
    return sent


def deliveries_recover_stuck() -> int:
    """Batches left "sending" by a worker that died go back to pending, keeping their batch
    id so the re-send carries the same message id and is not shown twice."""
    cutoff = clock.now() - STUCK_AFTER
    return Delivery.objects.filter(status=DeliveryStatus.SENDING, reserved_at__lt=cutoff).update(
        status=DeliveryStatus.PENDING, next_attempt_at=clock.now()
    )


def deliveries_relay(*, inline: bool = True) -> int:
    """The periodic sweep: recover stuck batches, then flush every channel with due work.
    `SELECT … FOR UPDATE SKIP LOCKED` lets several relays run without doing the same work."""
    deliveries_recover_stuck()
    now = clock.now()
    with transaction.atomic():
        due = (
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, channel__enabled=True)
            .values_list("channel_id", flat=True)[:500]
        )
        channel_ids = sorted(set(due))
    if inline:
        return sum(channel_flush(channel_id) for channel_id in channel_ids)
    from .tasks import channel_flush_task

    for channel_id in channel_ids:
        channel_flush_task.delay(channel_id)
    return len(channel_ids)


@transaction.atomic
def delivery_retry(*, delivery: Delivery, actor: Any) -> Delivery:
    """ "Retry now" for a failed or dead delivery: pending again, due immediately."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status not in (DeliveryStatus.FAILED, DeliveryStatus.DEAD):
        raise ApplicationError(_("Only failed or dead deliveries can be retried."), field="status")
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = clock.now()
    delivery.batch = None
    delivery.save(update_fields=["status", "next_attempt_at", "batch"])
    channel_id = delivery.channel_id
    transaction.on_commit(lambda: _nudge([channel_id]))
    return delivery


def channel_send_test(*, channel: Channel, actor: Any) -> Outcome:
    """Send a test message now, outside the outbox, and say what happened (the remote
    end's status, never its body)."""
    message = render("test", {}, language=channel.language)
    return SENDERS[channel.kind].send(
        channel, message, message_id=f"test-{channel.pk}-{int(clock.now().timestamp())}"
    )


# ---------------------------------------------------------------- channels and subscriptions

CHANNEL_FIELDS = {"name", "kind", "url", "secret", "keyword", "language", "enabled"}


def _clean_channel(channel: Channel) -> None:
    if channel.kind not in ChannelKind.values:
        raise ApplicationError(_("Choose DingTalk, Feishu, Slack or webhook."), field="kind")
    ssrf.check_url(channel.url)
    channel.full_clean(exclude=["project", "created_by"], validate_constraints=False)


@transaction.atomic
def channel_create(*, actor: Any, project: Any = None, **fields: Any) -> Channel:
    unknown = set(fields) - CHANNEL_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])
    channel = Channel(project=project, created_by=actor, **fields)
    _clean_channel(channel)
    channel.save()
    _activity(actor, "channel.created", channel)
    return channel


@transaction.atomic
def channel_update(*, channel: Channel, actor: Any, **changes: Any) -> Channel:
    """Change a channel. An empty secret keeps the stored one (it is never shown)."""
    unknown = set(changes) - CHANNEL_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])
    if not changes.get("secret"):
        changes.pop("secret", None)
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    changed = [f for f, v in changes.items() if getattr(channel, f) != v]
    for field, value in changes.items():
        setattr(channel, field, value)
    if not changed:
        return channel
    if {"url", "secret", "keyword", "enabled"} & set(changed):
        # The admin fixed something: give the channel a fresh start.
        channel.flagged = False
        channel.flag_reason = ""
        channel.paused_until = None
    _clean_channel(channel)
    channel.save()
    # Say which fields changed, never their values: the secret must not reach the log.
    _activity(actor, "channel.updated", channel, after={"fields": sorted(changed)})
    return channel


@transaction.atomic
def channel_delete(*, channel: Channel, actor: Any) -> None:
    _activity(actor, "channel.deleted", channel)
    channel.delete()


def _activity(actor, verb, channel, after=None):
    from portal.activity import activity_record

    activity_record(
        actor=actor, verb=verb, target=channel, project=channel.project, after=after or {}
    )


def _check_events(events: list[str]) -> list[str]:
    from portal.events import CATALOGUE

    if not isinstance(events, list) or not events:
        raise ApplicationError(_("Choose at least one event, or * for all."), field="events")
    unknown = [e for e in events if e != "*" and e not in CATALOGUE]
    if unknown:
        raise ApplicationError(
            _("Unknown events: %(events)s") % {"events": ", ".join(map(str, unknown))},
            field="events",
        )
    return ["*"] if "*" in events else sorted(set(events))


@transaction.atomic
def subscription_save(
    *, channel: Channel, project: Any, events: list[str], actor: Any
) -> Subscription:
    """Create or replace the subscription of `channel` to `project` (None: every project)."""
    if channel.project_id and (project is None or project.pk != channel.project_id):
        raise ApplicationError(_("A project's channel only serves that project."), field="project")
    events = _check_events(events)
    subscription, _created = Subscription.objects.update_or_create(
        channel=channel, project=project, defaults={"events": events}
    )
    from portal.activity import activity_record

    activity_record(
        actor=actor,
        verb="subscription.saved",
        target=subscription,
        project=project,
        after={"events": events},
        label=channel.name,
    )
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: Subscription, actor: Any) -> None:
    from portal.activity import activity_record

    activity_record(
        actor=actor,
        verb="subscription.deleted",
        target=subscription,
        project=subscription.project,
        label=subscription.channel.name,
    )
    subscription.delete()
