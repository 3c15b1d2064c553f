"""The outbox: which changes owe which channels a message, and that every one of them
arrives — through remote outages, rate limits, dead workers — and only where it may go.

Time moves through the clock seam (`timeline`), never by sleeping: the relay is run as
the periodic task would run it, at the moments the test chooses.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext
from pytest_httpserver import HTTPServer

from portal.events import emit
from portal.models import Activity, Event
from portal.notifications import services
from portal.notifications.models import Channel, Delivery, DeliveryStatus
from portal.notifications.services import (
    STUCK_AFTER,
    _reserve,
    _send,
    deliveries_relay,
    delivery_retry,
    fan_out,
)
from projects import services as project_services
from risks import services as risk_services
from tests.conftest import api_as
from tests.projects.factories import make_project

from .conftest import (
    DINGTALK_SECRET,
    WEBHOOK_SECRET,
    FakeWebhook,
    add_channel,
    closed_port_url,
    occur,
)

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


@pytest.fixture
def ops(owner):
    return make_project(owner=owner, key="OPS", name="运维平台")


def deliveries_to(channel) -> list[Delivery]:
    return list(Delivery.objects.filter(channel=channel).order_by("created_at", "id"))


def statuses() -> set[str]:
    return set(Delivery.objects.values_list("status", flat=True))


# ---------------------------------------------------------------- fan-out


def test_a_blocked_item_owes_a_delivery_only_if_its_change_commits(project, owner, webhook):
    channel = add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)
    item = project_services.work_item_create(project=project, actor=owner, title="购物车结算")

    # When the change is rolled back after the service ran
    seen_inside = []

    def block_then_fail() -> None:
        with transaction.atomic():
            project_services.work_item_update(
                item=item, actor=owner, blocked=True, blocked_reason="等待支付网关联调"
            )
            seen_inside.append(Delivery.objects.filter(channel=channel).count())
            raise RuntimeError("the request failed later")

    with pytest.raises(RuntimeError, match="failed later"):
        block_then_fail()
    assert seen_inside == [1], "the delivery is written in the change's own transaction"

    # Then neither the event nor its delivery exist
    assert not Event.objects.exists()
    assert not Delivery.objects.exists()

    # When it commits, one delivery is owed and sent
    project_services.work_item_update(
        item=item, actor=owner, blocked=True, blocked_reason="等待支付网关联调"
    )
    (delivery,) = deliveries_to(channel)
    assert (delivery.event_name, delivery.status) == ("work_item.blocked", DeliveryStatus.PENDING)
    deliveries_relay()
    assert [r.json["title"] for r in webhook.requests] == [f"[MALL] {item.key} 被阻塞"]


def test_only_subscribed_events_reach_a_channel(project, owner, webhook):
    risks_only = add_channel(
        actor=owner, kind="webhook", url=webhook.url, project=project, events=["risk.created"]
    )
    everything = add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)
    blocked_only = add_channel(
        actor=owner,
        kind="webhook",
        url=webhook.url,
        project=project,
        events=["work_item.blocked"],
    )

    high = {"category": "technical", "probability": 4, "impact": 5}
    low = {"category": "technical", "probability": 1, "impact": 1}  # low: no event at all
    risk_services.risk_create(project=project, actor=owner, title="大促库存超卖", **high)
    risk_services.risk_create(project=project, actor=owner, title="文案错别字", **low)
    occur(project)

    assert [d.event_name for d in deliveries_to(risks_only)] == ["risk.created"]
    assert [d.event_name for d in deliveries_to(everything)] == ["risk.created", "risk.occurred"]
    assert deliveries_to(blocked_only) == []


def test_a_disabled_channel_gets_nothing(project, owner, webhook):
    channel = add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)
    services.channel_update(channel=channel, actor=owner, enabled=False)

    occur(project)
    deliveries_relay()

    assert deliveries_to(channel) == []
    assert webhook.requests == []


def test_a_project_channel_never_hears_another_projects_events(project, ops, owner, webhook):
    mall_channel = add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)

    occur(ops)
    emit("report.daily", project=None, payload={"date": "2026-03-10"})
    deliveries_relay()

    assert deliveries_to(mall_channel) == []
    assert webhook.requests == []


def test_a_site_wide_channel_hears_every_project(project, ops, owner, staff, webhook):
    shared = add_channel(actor=staff, kind="webhook", url=webhook.url, project=None)

    occur(project, 1)
    occur(ops, 2)
    emit("report.daily", project=None, payload={"date": "2026-03-10"})
    deliveries_relay()

    assert sorted(d.event_name for d in deliveries_to(shared)) == [
        "report.daily",
        "risk.occurred",
        "risk.occurred",
    ]
    assert statuses() == {DeliveryStatus.SENT}
    (digest,) = webhook.shown.values()  # three due at once: one digest
    assert digest["title"] == "3 条通知"
    for line in ("[MALL] 风险已发生：MALL-RISK-1", "[OPS] 风险已发生：OPS-RISK-2", "日报"):
        assert line in digest["text"]


def test_a_site_wide_channel_can_follow_just_one_project(project, ops, owner, staff, webhook):
    shared = services.channel_create(
        actor=staff, project=None, name="商城战报", kind="webhook", url=webhook.url
    )
    services.subscription_save(channel=shared, project=project, events=["*"], actor=staff)

    occur(project, 1)
    occur(ops, 2)

    assert [d.payload["key"] for d in deliveries_to(shared)] == ["MALL-RISK-1"]


def test_the_same_event_owes_each_channel_one_delivery(project, owner, webhook):
    first = add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)
    second = add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)
    event = occur(project)

    # When the fan-out runs again (a retried task), and the same fact is emitted twice
    fan_out(event)
    for _ in range(2):
        emit("risk.occurred", project=project, payload={"key": "MALL-RISK-2"}, dedupe_key="r2")

    assert Event.objects.count() == 2
    assert len(deliveries_to(first)) == len(deliveries_to(second)) == 2
    assert Delivery.objects.filter(dedupe_key=f"{event.pk}:{first.pk}").count() == 1
    deliveries_relay()
    assert len(webhook.shown) == 4


# ---------------------------------------------------------------- never lost


def test_remote_down_backs_off_up_to_ten_minutes_and_everything_goes_out_when_back(
    project, owner, webhook, timeline, settings
):
    settings.NOTIFY_MAX_ATTEMPTS = 10
    channel = add_channel(
        actor=owner, kind="webhook", url=webhook.url, project=project, secret=WEBHOOK_SECRET
    )
    webhook.fail_with(500)
    occur(project, 1)

    delays = []
    for attempt in range(1, 9):
        deliveries_relay()
        (delivery,) = deliveries_to(channel)
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, attempt)
        delays.append((delivery.next_attempt_at - timeline.now()).total_seconds())
        # Not a moment early
        timeline.travel_to(delivery.next_attempt_at - timedelta(seconds=1))
        deliveries_relay()
        assert len(webhook.requests) == attempt
        timeline.travel_to(delivery.next_attempt_at)

    # Doubling from ≤ 10 s (jitter never undoes a doubling) up to the 10-minute cap,
    # where it stays, jittered, above 5 minutes
    assert 0 < delays[0] <= 10
    assert delays[:6] == sorted(delays[:6]), f"back-off must grow: {delays}"
    assert max(delays) <= 600, delays
    assert min(delays[6:]) >= 300, f"back-off never reached the cap: {delays}"

    # Meanwhile more changes happened; then the remote end comes back
    occur(project, 2)
    webhook.recover()
    deliveries_relay()

    assert statuses() == {DeliveryStatus.SENT}
    assert sorted(m["title"] for m in webhook.shown.values()) == [
        "[MALL] 风险已发生：MALL-RISK-1",
        "[MALL] 风险已发生：MALL-RISK-2",
    ]


def test_connection_refused_keeps_deliveries_until_the_remote_listens_again(
    project, owner, timeline
):
    url = closed_port_url()
    add_channel(actor=owner, kind="webhook", url=url, project=project, secret=WEBHOOK_SECRET)
    for n in range(1, 5):
        occur(project, n)

    deliveries_relay()
    timeline.advance(seconds=11)
    deliveries_relay()

    assert statuses() == {DeliveryStatus.PENDING}
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {2}
    assert all(
        "ConnectionError" in e for e in Delivery.objects.values_list("last_error", flat=True)
    )

    # When a receiver listens on that port again
    port = int(url.split(":")[2].split("/")[0])
    server = HTTPServer(host="127.0.0.1", port=port)
    server.start()
    try:
        receiver = FakeWebhook(server, timeline)
        timeline.advance(seconds=30)
        deliveries_relay()
    finally:
        server.clear()
        server.stop()

    assert statuses() == {DeliveryStatus.SENT}
    (digest,) = receiver.shown.values()
    assert digest["title"] == "4 条通知"


def test_dead_after_the_attempt_limit_and_retry_now_sends_it(
    project, owner, webhook, timeline, settings
):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    channel = add_channel(
        actor=owner, kind="webhook", url=webhook.url, project=project, secret=WEBHOOK_SECRET
    )
    webhook.fail_with(503)
    occur(project)

    for _ in range(3):
        deliveries_relay()
        timeline.advance(minutes=10)
    (delivery,) = deliveries_to(channel)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DEAD, 3)

    # A dead delivery stays dead, even once the remote end is back
    webhook.recover()
    timeline.advance(hours=1)
    deliveries_relay()
    assert len(webhook.requests) == 3

    # Until someone presses "retry now"
    delivery_retry(delivery=delivery, actor=owner)
    assert deliveries_to(channel)[0].status == DeliveryStatus.PENDING
    deliveries_relay()
    assert deliveries_to(channel)[0].status == DeliveryStatus.SENT
    assert len(webhook.shown) == 1


# ---------------------------------------------------------------- DingTalk rate limit


def test_a_burst_of_100_events_stays_within_20_a_minute_as_digests(
    project, owner, dingtalk, timeline
):
    channel = add_channel(
        actor=owner, kind="dingtalk", url=dingtalk.url, project=project, secret=DINGTALK_SECRET
    )
    for n in range(1, 101):
        occur(project, n)
    start = timeline.now()

    for step in range(121):  # the relay every 5 s, for up to 10 minutes
        timeline.travel_to(start + timedelta(seconds=5 * step))
        deliveries_relay()
        if statuses() == {DeliveryStatus.SENT}:
            break
    requests = len(dingtalk.requests)
    timeline.travel_to(start + timedelta(minutes=10))
    deliveries_relay()

    assert statuses() == {DeliveryStatus.SENT}
    assert len(dingtalk.requests) == requests, "nothing is sent twice"
    assert dingtalk.max_in_any(MINUTE) <= 20
    assert all(r.answer["errcode"] == 0 for r in dingtalk.requests)
    assert len(dingtalk.requests) < 100
    batches = {d.batch for d in deliveries_to(channel)}
    assert {r.json["msgUuid"] for r in dingtalk.requests} == {str(b) for b in batches}
    assert len(batches) == len(dingtalk.requests)
    shown_keys = "\n".join(m["text"] for m in dingtalk.shown.values())
    assert all(f"MALL-RISK-{n}" in shown_keys for n in range(1, 101))


def test_a_steady_stream_faster_than_the_robot_allows_is_folded_not_lost(
    project, owner, dingtalk, timeline
):
    channel = add_channel(
        actor=owner, kind="dingtalk", url=dingtalk.url, project=project, secret=DINGTALK_SECRET
    )
    start = timeline.now()
    emitted = 0
    for step in range(121):  # every 5 s for 10 minutes: 2 new events (the first 250 s)...
        timeline.travel_to(start + timedelta(seconds=5 * step))
        for _ in range(2 if emitted < 100 else 0):
            emitted += 1
            occur(project, emitted)
        deliveries_relay()  # ...and the relay, until everything is out
        if emitted == 100 and statuses() == {DeliveryStatus.SENT}:
            break

    assert emitted == 100
    assert statuses() == {DeliveryStatus.SENT}
    assert dingtalk.max_in_any(MINUTE) <= 20
    assert [r for r in dingtalk.requests if r.answer["errcode"] != 0] == []
    assert len(dingtalk.requests) < 100
    per_batch = Delivery.objects.filter(channel=channel).values("batch").annotate(n=Count("id"))
    sizes = sorted(per_batch.values_list("n", flat=True))
    assert sum(sizes) == 100
    assert max(sizes) >= 3, "a backlog should have gone out as a digest"
    shown_keys = "\n".join(m["text"] for m in dingtalk.shown.values())
    assert all(f"MALL-RISK-{n}" in shown_keys for n in range(1, 101))


# ---------------------------------------------------------------- a worker dies mid-send


def test_a_batch_left_sending_by_a_dead_worker_is_sent_after_a_while(
    project, owner, dingtalk, timeline
):
    channel = add_channel(
        actor=owner, kind="dingtalk", url=dingtalk.url, project=project, secret=DINGTALK_SECRET
    )
    occur(project)
    _reserve(channel.pk)  # a worker reserved it, then was killed before sending

    timeline.advance(seconds=60)
    deliveries_relay()
    assert dingtalk.requests == [], "another worker may still be sending it"

    timeline.advance(seconds=STUCK_AFTER.total_seconds())
    deliveries_relay()
    assert statuses() == {DeliveryStatus.SENT}
    assert len(dingtalk.shown) == 1


def test_a_batch_resent_after_its_worker_died_is_not_shown_twice(
    project, owner, dingtalk, timeline
):
    channel = add_channel(
        actor=owner, kind="dingtalk", url=dingtalk.url, project=project, secret=DINGTALK_SECRET
    )
    occur(project)
    channel, batch = _reserve(channel.pk)
    _send(channel, batch)  # the robot got it; the worker died before recording that
    assert len(dingtalk.shown) == 1

    timeline.advance(seconds=STUCK_AFTER.total_seconds() + 1)
    deliveries_relay()

    assert statuses() == {DeliveryStatus.SENT}
    assert [r.json["msgUuid"] for r in dingtalk.requests] == [str(batch[0].batch)] * 2
    assert len(dingtalk.shown) == 1


# ---------------------------------------------------------------- outbound safety (SSRF)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/robot/send",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://2130706433/hook",
    ],
)
def test_a_channel_into_a_private_network_is_refused(project, owner, settings, url):
    settings.NOTIFY_ALLOW_PRIVATE_NETWORK = False
    before = (Channel.objects.count(), Activity.objects.count())

    response = api_as(owner).post(
        "/api/v1/channels/",
        {"name": "内网", "kind": "webhook", "url": url, "project": project.pk},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["url"]
    assert (Channel.objects.count(), Activity.objects.count()) == before


def test_moving_a_channel_into_a_private_network_is_refused(project, owner, settings):
    channel = services.channel_create(
        actor=owner, project=project, name="研发群", kind="webhook", url="https://example.com/h"
    )
    settings.NOTIFY_ALLOW_PRIVATE_NETWORK = False

    response = api_as(owner).patch(
        f"/api/v1/channels/{channel.pk}/", {"url": "http://10.0.0.1/hook"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["url"]
    channel.refresh_from_db()
    assert channel.url == "https://example.com/h"


def test_a_channel_saved_while_allowed_is_refused_again_at_send_time(
    project, owner, webhook, settings
):
    channel = add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)
    occur(project)
    settings.NOTIFY_ALLOW_PRIVATE_NETWORK = False

    deliveries_relay()

    assert webhook.requests == []
    (delivery,) = deliveries_to(channel)
    assert delivery.status == DeliveryStatus.FAILED
    refusal = gettext("This address points into a private network, which is not allowed here.")
    assert delivery.last_error == refusal
    channel.refresh_from_db()
    assert channel.flagged
    assert channel.flag_reason == refusal


def test_a_redirect_is_not_followed(project, owner, webhook, remote):
    metadata_hits = []
    remote.expect_request("/latest/meta-data/").respond_with_handler(
        lambda request: metadata_hits.append(request) or "secret-token"
    )
    channel = add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)
    webhook.fail_with(302, {"Location": remote.url_for("/latest/meta-data/")})
    occur(project)

    deliveries_relay()

    assert metadata_hits == []
    (delivery,) = deliveries_to(channel)
    assert (delivery.status, delivery.response_code) == (DeliveryStatus.FAILED, 302)
    channel.refresh_from_db()
    assert channel.flagged


# ---------------------------------------------------------------- secrets stay secret


def test_the_secret_never_comes_back_out(
    project, owner, member, viewer, staff, client, dingtalk, caplog
):
    caplog.set_level(logging.DEBUG)
    secret = "SEC-never-show-me-7f3a9c"
    api = api_as(owner)
    created = api.post(
        "/api/v1/channels/",
        {
            "name": "研发群",
            "kind": "dingtalk",
            "url": dingtalk.url,
            "secret": secret,
            "project": project.pk,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    channel_id = created.json()["id"]
    assert created.json()["has_secret"] is True
    api.post(
        "/api/v1/subscriptions/",
        {"channel": channel_id, "project": project.pk, "events": ["*"]},
        format="json",
    )
    updated = api.patch(
        f"/api/v1/channels/{channel_id}/",
        {"secret": secret + "-rotated", "name": "研发群 2"},
        format="json",
    )
    assert updated.status_code == 200
    # The robot still has the old secret: the send fails, and says why without the secret
    occur(project)
    deliveries_relay()
    api.post(f"/api/v1/channels/{channel_id}/test/")

    bodies = [created.content, updated.content]
    for user in (owner, member, viewer, staff):
        client_for = api_as(user)
        bodies += [
            client_for.get("/api/v1/channels/").content,
            client_for.get(f"/api/v1/channels/{channel_id}/").content,
            client_for.get("/api/v1/deliveries/").content,
        ]
    client.force_login(owner)
    page = client.get(reverse("projects:notifications", args=[project.key]))
    assert page.status_code == 200
    assert "A secret is set." in page.content.decode() or "已设置密钥" in page.content.decode()
    bodies.append(page.content)

    activity = list(
        Activity.objects.filter(verb__startswith="channel.").values(
            "verb", "before", "after", "target_label"
        )
    )
    renamed = {"fields": ["name", "secret"]}
    assert {
        "verb": "channel.updated",
        "before": {},
        "after": renamed,
        "target_label": "研发群 2",
    } in (activity)
    errors = [
        *Delivery.objects.values_list("last_error", flat=True),
        Channel.objects.get(pk=channel_id).flag_reason,
    ]
    assert any("310000" in e for e in errors)

    leaks = [b for b in bodies if secret.encode() in b]
    leaks += [a for a in activity if secret in json.dumps(a, ensure_ascii=False)]
    leaks += [e for e in errors if secret in e]
    leaks += [r.getMessage() for r in caplog.records if secret in r.getMessage()]
    assert leaks == []


def test_a_site_wide_robots_token_does_not_reach_project_viewers(project, viewer, staff):
    token = "c0ffee5173d1a11ed0bb0a7d"
    add_channel(
        actor=staff, kind="dingtalk", url=closed_port_url("/robot/send") + f"?access_token={token}"
    )
    occur(project)
    deliveries_relay()
    assert Delivery.objects.get().status == DeliveryStatus.PENDING
    assert api_as(viewer).get("/api/v1/channels/").json()["count"] == 0

    response = api_as(viewer).get("/api/v1/deliveries/", {"project": project.pk})

    assert response.json()["count"] == 1
    assert token not in response.content.decode()
    assert "sign=" not in response.content.decode()
