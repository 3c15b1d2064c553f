"""Each sender against a fake of its remote end that checks what the real one checks.

Given a channel and an event, when the outbox relays it, then what the group (or the
receiver) sees, and what the delivery log and the channel say afterwards.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from portal.notifications.models import Channel, Delivery, DeliveryStatus
from portal.notifications.services import _reserve, _send, deliveries_relay

from .conftest import (
    DINGTALK_SECRET,
    FEISHU_SECRET,
    WEBHOOK_SECRET,
    FakeDingTalk,
    add_channel,
    occur,
)

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


def only_delivery() -> Delivery:
    (delivery,) = Delivery.objects.all()
    return delivery


def refreshed(channel: Channel) -> Channel:
    return Channel.objects.get(pk=channel.pk)


# ---------------------------------------------------------------- DingTalk


def test_dingtalk_robot_accepts_the_signed_markdown_message(project, owner, dingtalk):
    add_channel(
        actor=owner, kind="dingtalk", url=dingtalk.url, project=project, secret=DINGTALK_SECRET
    )
    occur(project, 7)

    assert deliveries_relay() == 1

    (request,) = dingtalk.requests
    assert request.answer == {"errcode": 0, "errmsg": "ok"}
    assert {"access_token", "timestamp", "sign"} <= set(request.args)
    assert request.json["msgtype"] == "markdown"
    assert dingtalk.titles == ["[MALL] 风险已发生：MALL-RISK-7"]
    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.SENT
    assert (delivery.attempts, delivery.response_code, delivery.last_error) == (1, 200, "")
    assert request.json["msgUuid"] == str(delivery.batch)


def test_dingtalk_keyword_is_added_so_the_robot_accepts_it(project, owner, remote, timeline):
    robot = FakeDingTalk(remote, timeline, keyword="项目告警")
    add_channel(
        actor=owner,
        kind="dingtalk",
        url=robot.url,
        project=project,
        secret=DINGTALK_SECRET,
        keyword="项目告警",
    )
    occur(project)

    deliveries_relay()

    assert [r.answer["errcode"] for r in robot.requests] == [0]
    assert "项目告警" in next(iter(robot.shown.values()))["text"]
    assert only_delivery().status == DeliveryStatus.SENT


def test_dingtalk_missing_keyword_fails_and_flags_the_channel(project, owner, remote, timeline):
    robot = FakeDingTalk(remote, timeline, keyword="项目告警")
    channel = add_channel(
        actor=owner, kind="dingtalk", url=robot.url, project=project, secret=DINGTALK_SECRET
    )
    occur(project)

    deliveries_relay()

    assert robot.requests[0].answer["errcode"] == 310000
    assert not robot.shown
    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.FAILED
    assert "310000" in delivery.last_error
    channel = refreshed(channel)
    assert channel.flagged
    assert "keywords not in content" in channel.flag_reason


def test_dingtalk_wrong_secret_fails_for_good_and_flags_the_channel(
    project, owner, dingtalk, timeline
):
    channel = add_channel(
        actor=owner, kind="dingtalk", url=dingtalk.url, project=project, secret="SEC-stale-one"
    )
    occur(project)

    deliveries_relay()

    assert dingtalk.requests[0].answer == {"errcode": 310000, "errmsg": "sign not match"}
    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.startswith("310000")
    channel = refreshed(channel)
    assert channel.flagged
    assert "310000" in channel.flag_reason
    assert "sign not match" in channel.flag_reason

    # And it is not retried behind the admin's back
    timeline.advance(hours=1)
    deliveries_relay()
    assert len(dingtalk.requests) == 1


def test_dingtalk_too_fast_pauses_the_robot_ten_minutes_then_sends(
    project, owner, dingtalk, timeline
):
    # Given another system just used up the robot's 20 messages of this minute
    channel = add_channel(
        actor=owner, kind="dingtalk", url=dingtalk.url, project=project, secret=DINGTALK_SECRET
    )
    dingtalk.used_elsewhere(20)
    occur(project)
    start = timeline.now()

    deliveries_relay()

    assert dingtalk.requests[0].answer["errcode"] == 130101
    channel = refreshed(channel)
    assert channel.paused_until >= start + timedelta(minutes=10)
    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at >= channel.paused_until
    assert "130101" in delivery.last_error
    assert not channel.flagged

    # While paused, new events wait too and the robot hears nothing
    timeline.advance(minutes=5)
    occur(project, 2)
    deliveries_relay()
    assert len(dingtalk.requests) == 1

    # Once the pause is over, everything goes out
    timeline.travel_to(channel.paused_until)
    deliveries_relay()
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert sorted(dingtalk.titles) == [
        "[MALL] 风险已发生：MALL-RISK-1",
        "[MALL] 风险已发生：MALL-RISK-2",
    ]


def test_dingtalk_msg_uuid_is_the_batch_id_and_survives_a_resend(project, owner, dingtalk):
    channel = add_channel(
        actor=owner, kind="dingtalk", url=dingtalk.url, project=project, secret=DINGTALK_SECRET
    )
    occur(project)
    _channel, batch = _reserve(channel.pk)

    # When the same batch is sent twice (a worker retrying its own request)
    _send(channel, batch)
    _send(channel, batch)

    uuids = [r.json["msgUuid"] for r in dingtalk.requests]
    assert uuids == [str(batch[0].batch)] * 2
    assert str(Delivery.objects.get().batch) == uuids[0]
    # Then the group sees it once
    assert len(dingtalk.shown) == 1


def test_messages_speak_the_channel_language(project, owner, dingtalk):
    add_channel(
        actor=owner,
        kind="dingtalk",
        url=dingtalk.url,
        project=project,
        secret=DINGTALK_SECRET,
        language="zh-hans",
        name="中文群",
    )
    add_channel(
        actor=owner,
        kind="dingtalk",
        url=dingtalk.url,
        project=project,
        secret=DINGTALK_SECRET,
        language="en",
        name="English group",
    )
    occur(project, 3)

    assert deliveries_relay() == 2

    assert sorted(dingtalk.titles) == [
        "[MALL] Risk occurred: MALL-RISK-3",
        "[MALL] 风险已发生：MALL-RISK-3",
    ]
    texts = {m["title"]: m["text"] for m in dingtalk.shown.values()}
    assert "Run the contingency plan." in texts["[MALL] Risk occurred: MALL-RISK-3"]
    assert "Run the contingency plan." not in texts["[MALL] 风险已发生：MALL-RISK-3"]


# ---------------------------------------------------------------- Feishu


def test_feishu_bot_accepts_the_signed_post(project, owner, feishu):
    add_channel(
        actor=owner,
        kind="feishu",
        url=feishu.url,
        project=project,
        secret=FEISHU_SECRET,
        language="en",
    )
    occur(project, 4)

    deliveries_relay()

    (request,) = feishu.requests
    assert request.answer["code"] == 0
    assert len(request.json["timestamp"]) == 10, "Feishu wants seconds, not milliseconds"
    assert feishu.titles == ["[MALL] Risk occurred: MALL-RISK-4"]
    assert "en_us" in request.json["content"]["post"]
    assert only_delivery().status == DeliveryStatus.SENT


def test_feishu_bad_signature_fails_and_flags_the_channel(project, owner, feishu):
    channel = add_channel(
        actor=owner, kind="feishu", url=feishu.url, project=project, secret="not-the-bot-secret"
    )
    occur(project)

    deliveries_relay()

    assert feishu.requests[0].answer["code"] == 19021
    assert not feishu.shown
    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.FAILED
    assert "19021" in delivery.last_error
    channel = refreshed(channel)
    assert channel.flagged
    assert "19021" in channel.flag_reason


# ---------------------------------------------------------------- Slack


def test_slack_gets_blocks_with_a_text_fallback(project, owner, slack):
    add_channel(actor=owner, kind="slack", url=slack.url, project=project, language="en")
    occur(project, 5)

    deliveries_relay()

    (message,) = slack.shown
    assert "Risk occurred: MALL-RISK-5" in message["text"]
    assert message["blocks"][0]["text"]["text"] == "[MALL] Risk occurred: MALL-RISK-5"
    assert only_delivery().status == DeliveryStatus.SENT


def test_slack_429_waits_exactly_retry_after(project, owner, slack, timeline):
    add_channel(actor=owner, kind="slack", url=slack.url, project=project)
    occur(project)
    slack.rate_limit(retry_after=7)
    start = timeline.now()

    deliveries_relay()

    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at == start + timedelta(seconds=7)
    assert (delivery.attempts, delivery.response_code) == (1, 429)

    slack.recover()
    timeline.travel_to(start + timedelta(seconds=6))
    deliveries_relay()
    assert len(slack.requests) == 1, "retried before Retry-After was up"

    timeline.travel_to(start + timedelta(seconds=7))
    deliveries_relay()
    assert len(slack.shown) == 1
    assert only_delivery().status == DeliveryStatus.SENT


@pytest.mark.parametrize(("status", "reason"), [(404, "no_service"), (410, "channel_is_archived")])
def test_slack_gone_fails_for_good_and_flags_the_channel(
    project, owner, slack, timeline, status, reason
):
    channel = add_channel(actor=owner, kind="slack", url=slack.url, project=project)
    occur(project)
    slack.gone(status)

    deliveries_relay()

    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.response_code == status
    channel = refreshed(channel)
    assert channel.flagged
    assert reason in channel.flag_reason
    timeline.advance(hours=1)
    deliveries_relay()
    assert len(slack.requests) == 1


# ---------------------------------------------------------------- generic webhook


def test_webhook_is_signed_and_names_the_delivery(project, owner, webhook):
    add_channel(
        actor=owner, kind="webhook", url=webhook.url, project=project, secret=WEBHOOK_SECRET
    )
    occur(project, 9)

    deliveries_relay()

    (request,) = webhook.requests
    assert request.status == 204, request.answer
    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.SENT
    assert request.headers["X-Portal-Delivery"] == str(delivery.batch)
    assert request.json["title"] == "[MALL] 风险已发生：MALL-RISK-9"


def test_webhook_with_the_wrong_key_is_refused_and_flagged_after_three_attempts(
    project, owner, webhook, timeline
):
    channel = add_channel(
        actor=owner, kind="webhook", url=webhook.url, project=project, secret="old-hmac-key"
    )
    occur(project)

    with translation.override("en"):
        for _attempt in range(3):
            deliveries_relay()
            timeline.advance(minutes=5)

    assert [r.status for r in webhook.requests] == [401, 401, 401]
    assert not webhook.shown
    delivery = only_delivery()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert delivery.last_error == "Receiver answered 401; gave up after 3 attempts."
    assert refreshed(channel).flagged


# ---------------------------------------------------------------- a receiver that is briefly away


def test_webhook_answering_404_twice_then_200_is_delivered(
    project, owner, webhook, timeline, client
):
    # Given a receiver that is being redeployed: its route answers 404 for a while
    channel = add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)
    webhook.fail_with(404)
    occur(project, 8)
    start = timeline.now()

    # When the relay tries
    with translation.override("en"):
        deliveries_relay()
    # Then it will try again in about a minute, and the delivery log says so
    delivery = only_delivery()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 404)
    assert start + timedelta(seconds=30) <= delivery.next_attempt_at <= start + MINUTE
    at = timezone.localtime(delivery.next_attempt_at).strftime("%H:%M:%S")
    assert delivery.last_error.startswith(f"Receiver answered 404; attempt 2 of 3 at {at}")
    client.force_login(owner)
    page = client.get(reverse("projects:notifications", args=[project.key])).content.decode()
    assert "Receiver answered 404; attempt 2 of 3" in page

    # When it is still deploying at the second attempt
    timeline.travel_to(delivery.next_attempt_at)
    with translation.override("en"):
        deliveries_relay()
    delivery = only_delivery()
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    assert delivery.last_error.startswith("Receiver answered 404; attempt 3 of 3 at ")
    assert delivery.next_attempt_at >= timeline.now() + timedelta(minutes=2)

    # And is back for the third
    webhook.recover()
    timeline.travel_to(delivery.next_attempt_at)
    deliveries_relay()

    # Then the message arrived once, and nobody is asked to look at the channel
    delivery = only_delivery()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, "")
    assert [r.status for r in webhook.requests] == [404, 404, 204]
    assert len(webhook.shown) == 1
    assert not refreshed(channel).flagged


@pytest.mark.parametrize("status", [401, 403, 404, 409])
def test_webhook_answering_the_same_4xx_for_good_fails_after_three_attempts(
    project, owner, webhook, timeline, status
):
    channel = add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)
    webhook.fail_with(status)
    occur(project)

    with translation.override("en"):
        for _attempt in range(3):
            deliveries_relay()
            timeline.advance(minutes=5)

    delivery = only_delivery()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    message = f"Receiver answered {status}; gave up after 3 attempts."
    assert delivery.last_error == message
    channel = refreshed(channel)
    assert (channel.flagged, channel.flag_reason) == (True, message)
    # And it is not tried again behind the admin's back
    timeline.advance(hours=2)
    deliveries_relay()
    assert len(webhook.requests) == 3


@pytest.mark.parametrize("status", [408, 425, 429])
def test_webhook_transient_4xx_is_retried_like_a_5xx(project, owner, webhook, timeline, status):
    channel = add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)
    webhook.fail_with(status)
    occur(project)

    for _attempt in range(4):
        deliveries_relay()
        timeline.advance(minutes=10)

    delivery = only_delivery()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 4)
    assert delivery.last_error == f"HTTP {status}"
    assert not refreshed(channel).flagged


def test_webhook_410_gone_fails_at_once(project, owner, webhook, timeline):
    channel = add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)
    webhook.fail_with(410)
    occur(project)

    deliveries_relay()

    delivery = only_delivery()
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.FAILED, "HTTP 410")
    assert refreshed(channel).flagged


def test_webhook_500_is_retried_after_a_short_back_off(project, owner, webhook, timeline):
    add_channel(
        actor=owner, kind="webhook", url=webhook.url, project=project, secret=WEBHOOK_SECRET
    )
    occur(project)
    webhook.fail_with(500)
    start = timeline.now()

    deliveries_relay()

    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.PENDING
    assert (delivery.attempts, delivery.response_code) == (1, 500)
    assert start < delivery.next_attempt_at <= start + timedelta(seconds=10)
    assert delivery.last_error == "HTTP 500"


def test_webhook_400_fails_for_good(project, owner, webhook, timeline):
    channel = add_channel(
        actor=owner, kind="webhook", url=webhook.url, project=project, secret=WEBHOOK_SECRET
    )
    occur(project)
    webhook.fail_with(400)

    deliveries_relay()

    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.response_code == 400
    assert refreshed(channel).flagged
    timeline.advance(hours=1)
    deliveries_relay()
    assert len(webhook.requests) == 1
