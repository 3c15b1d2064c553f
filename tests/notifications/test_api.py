"""The notifications API: /api/v1/channels/ (+ /test/), /api/v1/subscriptions/,
/api/v1/deliveries/ (+ /retry/), walked through every role; field errors that write
nothing; list query budgets that do not grow with the rows (DESIGN §7)."""

from __future__ import annotations

import pytest

from portal import clock
from portal.models import Activity
from portal.notifications import services
from portal.notifications.models import Channel, Delivery, DeliveryStatus, Subscription
from portal.notifications.services import deliveries_relay
from tests.conftest import api_as
from tests.projects.factories import make_project

from .conftest import WEBHOOK_SECRET, add_channel, occur

pytestmark = pytest.mark.django_db

CHANNELS = "/api/v1/channels/"
SUBSCRIPTIONS = "/api/v1/subscriptions/"
DELIVERIES = "/api/v1/deliveries/"

# What each role gets: (reading, writing). Writing "ok" means the write succeeds.
ACCESS = {
    "owner": (200, "ok"),
    "staff": (200, "ok"),
    "member": (200, 403),
    "viewer": (200, 403),
    "outsider": (404, 404),
    "anonymous": (401, 401),
}
ROLES = list(ACCESS)


def user_for(request, who):
    return None if who == "anonymous" else request.getfixturevalue(who)


def written() -> dict[str, int]:
    return {
        "channels": Channel.objects.count(),
        "subscriptions": Subscription.objects.count(),
        "deliveries": Delivery.objects.count(),
        "activity": Activity.objects.count(),
    }


@pytest.fixture
def everyone(owner, member, viewer, outsider, staff):
    """All the roles exist (so a member's view is checked with the others around)."""


@pytest.fixture
def channel(project, owner, webhook, everyone):
    """MALL's webhook channel, subscribed to every event, with a signing secret."""
    return add_channel(
        actor=owner, kind="webhook", url=webhook.url, project=project, name="研发群 webhook"
    )


@pytest.fixture
def sitewide(staff, webhook):
    return add_channel(actor=staff, kind="webhook", url=webhook.url, name="全公司告警")


@pytest.fixture
def ops(outsider):
    """Another project, which only the outsider belongs to."""
    return make_project(owner=outsider, key="OPS", name="运维平台")


@pytest.fixture
def failed_delivery(project, channel, webhook):
    webhook.fail_with(400)
    occur(project)
    deliveries_relay()
    webhook.recover()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    return delivery


# ---------------------------------------------------------------- channels


@pytest.mark.parametrize("who", ROLES)
def test_channels_by_role(request, project, channel, webhook, who):
    client = api_as(user_for(request, who))
    read, write = ACCESS[who]
    detail = f"{CHANNELS}{channel.pk}/"

    # Reading: the project's people see the channel, never its secret
    listed = client.get(CHANNELS, {"project": project.pk})
    got = client.get(detail)
    assert (listed.status_code, got.status_code) == (read, read)
    if read == 200:
        (row,) = listed.json()["results"]
        assert (row["name"], row["kind"], row["has_secret"]) == ("研发群 webhook", "webhook", True)
        assert "secret" not in row
        assert "secret" not in got.json()
        assert WEBHOOK_SECRET not in listed.content.decode() + got.content.decode()

    new = {
        "name": "测试群",
        "kind": "slack",
        "url": "https://hooks.slack.com/services/T0/B0/x",
        "secret": "s3cr3t-value",
        "project": project.pk,
    }
    if write != "ok":
        # Writing: refused, and nothing changes; no message goes out
        before = written()
        assert client.post(CHANNELS, new, format="json").status_code == write
        assert client.patch(detail, {"name": "改名了"}, format="json").status_code == write
        assert client.post(f"{detail}test/").status_code == write
        assert client.delete(detail).status_code == write
        assert written() == before
        assert Channel.objects.get(pk=channel.pk).name == "研发群 webhook"
        assert webhook.requests == []
        return

    created = client.post(CHANNELS, new, format="json")
    assert created.status_code == 201
    body = created.json()
    assert (body["project"], body["has_secret"], body["enabled"]) == (project.pk, True, True)
    assert "s3cr3t-value" not in created.content.decode()
    assert Channel.objects.get(pk=body["id"]).secret == "s3cr3t-value"

    updated = client.patch(detail, {"name": "改名了", "enabled": False}, format="json")
    assert updated.status_code == 200
    fresh = Channel.objects.get(pk=channel.pk)
    assert (fresh.name, fresh.enabled) == ("改名了", False)
    assert fresh.secret == WEBHOOK_SECRET, "an update without a secret keeps it"

    tested = client.post(f"{detail}test/")
    assert tested.json() == {"ok": True, "code": 204, "error": ""}
    assert [m["title"] for m in webhook.shown.values()] == ["来自工程管理平台的测试消息"]

    assert client.delete(detail).status_code == 204
    assert not Channel.objects.filter(pk=channel.pk).exists()


def test_outsider_lists_no_channel_of_the_project(channel, outsider):
    response = api_as(outsider).get(CHANNELS)

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_outsider_cannot_create_a_channel_in_their_own_name_for_another_project(
    project, outsider, ops
):
    # The outsider owns OPS, and names MALL
    response = api_as(outsider).post(
        CHANNELS,
        {"name": "x", "kind": "webhook", "url": "https://example.com/h", "project": project.pk},
        format="json",
    )

    assert response.status_code == 404
    assert not Channel.objects.exists()


def test_send_test_reports_what_the_remote_end_said(channel, owner, webhook):
    webhook.fail_with(410)

    response = api_as(owner).post(f"{CHANNELS}{channel.pk}/test/")

    # Its status, not its body (which could be anything the server at that URL chose)
    assert response.json() == {"ok": False, "code": 410, "error": "HTTP 410"}
    assert not Delivery.objects.exists(), "a test message is not an outbox row"


def test_site_wide_channels_are_staff_only(project, owner, member, staff, sitewide, channel):
    # Staff see both; project people see only their project's channel
    assert {r["name"] for r in api_as(staff).get(CHANNELS).json()["results"]} == {
        "全公司告警",
        "研发群 webhook",
    }
    for user in (owner, member):
        names = [r["name"] for r in api_as(user).get(CHANNELS).json()["results"]]
        assert names == ["研发群 webhook"]
        assert api_as(user).get(f"{CHANNELS}{sitewide.pk}/").status_code == 404
        assert api_as(user).patch(f"{CHANNELS}{sitewide.pk}/", {"name": "x"}).status_code == 404
        assert api_as(user).post(f"{CHANNELS}{sitewide.pk}/test/").status_code == 404

    # Only staff create one
    body = {"name": "公司群", "kind": "webhook", "url": "https://example.com/hook"}
    assert api_as(owner).post(CHANNELS, body, format="json").status_code == 403
    created = api_as(staff).post(CHANNELS, body, format="json")
    assert created.status_code == 201
    assert created.json()["project"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "telegram"}, "kind"),
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://example.com/hook"}, "url"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_channel_input_is_a_field_error_and_writes_nothing(project, owner, body, field):
    before = written()
    data = {"name": "研发群", "kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send"}

    response = api_as(owner).post(CHANNELS, {**data, **body, "project": project.pk}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert written() == before


def test_bad_channel_update_changes_nothing(channel, owner):
    before = written()

    response = api_as(owner).patch(f"{CHANNELS}{channel.pk}/", {"kind": "fax"}, format="json")

    assert response.status_code == 400
    assert "kind" in response.json()
    assert Channel.objects.get(pk=channel.pk).kind == "webhook"
    assert written() == before


# ---------------------------------------------------------------- subscriptions


@pytest.fixture
def quiet_channel(project, owner, webhook, everyone):
    """A MALL channel not yet subscribed to anything."""
    return services.channel_create(
        actor=owner, project=project, name="值班群", kind="webhook", url=webhook.url
    )


@pytest.mark.parametrize("who", ROLES)
def test_subscriptions_by_role(request, project, channel, quiet_channel, who):
    client = api_as(user_for(request, who))
    read, write = ACCESS[who]
    subscription = Subscription.objects.get(channel=channel)
    detail = f"{SUBSCRIPTIONS}{subscription.pk}/"

    listed = client.get(SUBSCRIPTIONS, {"project": project.pk})
    got = client.get(detail)
    assert (listed.status_code, got.status_code) == (read, read)
    if read == 200:
        assert [r["events"] for r in listed.json()["results"]] == [["*"]]
        assert got.json()["channel"] == channel.pk

    new = {
        "channel": quiet_channel.pk,
        "project": project.pk,
        "events": ["risk.created", "kpi.red"],
    }
    if write != "ok":
        before = written()
        assert client.post(SUBSCRIPTIONS, new, format="json").status_code == write
        assert (
            client.patch(detail, {"events": ["sprint.closed"]}, format="json").status_code == write
        )
        assert client.delete(detail).status_code == write
        assert written() == before
        assert Subscription.objects.get(pk=subscription.pk).events == ["*"]
        return

    created = client.post(SUBSCRIPTIONS, new, format="json")
    assert created.status_code == 201
    assert created.json()["events"] == ["kpi.red", "risk.created"]
    assert Subscription.objects.get(channel=quiet_channel).events == ["kpi.red", "risk.created"]

    assert client.patch(detail, {"events": ["sprint.closed"]}, format="json").status_code == 200
    assert Subscription.objects.get(pk=subscription.pk).events == ["sprint.closed"]

    assert client.delete(detail).status_code == 204
    assert not Subscription.objects.filter(pk=subscription.pk).exists()


def test_an_outsider_cannot_list_or_subscribe_into_another_project(
    project, quiet_channel, outsider, ops
):
    assert api_as(outsider).get(SUBSCRIPTIONS, {"project": project.pk}).status_code == 404
    assert api_as(outsider).get(CHANNELS, {"project": project.pk}).status_code == 404
    assert api_as(outsider).get(DELIVERIES, {"project": project.pk}).status_code == 404
    # Even pointing MALL's channel at their own project
    response = api_as(outsider).post(
        SUBSCRIPTIONS,
        {"channel": quiet_channel.pk, "project": ops.pk, "events": ["*"]},
        format="json",
    )
    assert response.status_code == 400
    assert "channel" in response.json()
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    "events",
    [["risk.created", "risk.exploded"], [], "risk.created", [""]],
    ids=["unknown-event", "empty", "not-a-list", "blank"],
)
def test_bad_events_are_a_field_error_and_write_nothing(project, owner, quiet_channel, events):
    before = written()

    response = api_as(owner).post(
        SUBSCRIPTIONS,
        {"channel": quiet_channel.pk, "project": project.pk, "events": events},
        format="json",
    )

    assert response.status_code == 400
    assert "events" in response.json()
    assert written() == before


def test_unknown_event_in_an_update_is_a_field_error(channel, owner):
    subscription = Subscription.objects.get(channel=channel)
    before = written()

    response = api_as(owner).patch(
        f"{SUBSCRIPTIONS}{subscription.pk}/", {"events": ["risk.exploded"]}, format="json"
    )

    assert response.status_code == 400
    assert "events" in response.json()
    assert Subscription.objects.get(pk=subscription.pk).events == ["*"]
    assert written() == before


def test_a_rejected_move_to_another_channel_keeps_the_subscription(channel, quiet_channel, owner):
    subscription = Subscription.objects.get(channel=channel)

    response = api_as(owner).patch(
        f"{SUBSCRIPTIONS}{subscription.pk}/",
        {"channel": quiet_channel.pk, "events": ["risk.exploded"]},
        format="json",
    )

    assert response.status_code == 400
    assert "events" in response.json()
    assert Subscription.objects.filter(pk=subscription.pk, channel=channel).exists()


# ---------------------------------------------------------------- deliveries


@pytest.mark.parametrize("who", ROLES)
def test_deliveries_by_role(request, project, failed_delivery, who):
    client = api_as(user_for(request, who))
    read, write = ACCESS[who]
    detail = f"{DELIVERIES}{failed_delivery.pk}/"

    listed = client.get(DELIVERIES, {"project": project.pk})
    got = client.get(detail)
    assert (listed.status_code, got.status_code) == (read, read)
    if read == 200:
        (row,) = listed.json()["results"]
        assert (row["event_name"], row["status"], row["response_code"]) == (
            "risk.occurred",
            "failed",
            400,
        )
        assert row["channel_name"] == "研发群 webhook"
        assert got.json()["id"] == failed_delivery.pk

    retried = client.post(f"{detail}retry/")
    fresh = Delivery.objects.get(pk=failed_delivery.pk)
    if write != "ok":
        assert retried.status_code == write
        assert fresh.status == DeliveryStatus.FAILED
        return
    assert retried.status_code == 200
    assert retried.json()["status"] == "pending"
    assert fresh.status == DeliveryStatus.PENDING


def test_delivery_list_filters_by_status(project, owner, failed_delivery, webhook):
    occur(project, 2)
    deliveries_relay()
    client = api_as(owner)

    failed = client.get(DELIVERIES, {"project": project.pk, "status": "failed"}).json()
    sent = client.get(DELIVERIES, {"project": project.pk, "status": "sent"}).json()

    assert [r["id"] for r in failed["results"]] == [failed_delivery.pk]
    assert sent["count"] == 1


def test_retrying_what_is_not_failed_is_a_400(project, owner, channel):
    occur(project)
    delivery = Delivery.objects.get()

    response = api_as(owner).post(f"{DELIVERIES}{delivery.pk}/retry/")

    assert response.status_code == 400
    assert "status" in response.json()
    assert Delivery.objects.get().status == DeliveryStatus.PENDING


# ---------------------------------------------------------------- query budgets


def _many_channels(project, owner, count: int) -> None:
    Channel.objects.bulk_create(
        Channel(
            name=f"群 {n:03}",
            kind="dingtalk",
            url=f"https://oapi.dingtalk.com/robot/send?access_token={n}",
            secret=f"SEC{n}",
            project=project,
            created_by=owner,
        )
        for n in range(count)
    )


def _many_deliveries(project, channel, count: int) -> None:
    now = clock.now()
    Delivery.objects.bulk_create(
        Delivery(
            channel=channel,
            project=project,
            event_name="risk.occurred",
            payload={"key": f"MALL-RISK-{n}"},
            dedupe_key=f"bulk:{n}",
            status=DeliveryStatus.SENT,
            next_attempt_at=now,
            created_at=now,
        )
        for n in range(count)
    )


@pytest.mark.parametrize("rows", [5, 200])
def test_channel_list_queries_do_not_grow(
    project, owner, member, rows, django_assert_max_num_queries
):
    _many_channels(project, owner, rows)
    client = api_as(member)

    with django_assert_max_num_queries(8):
        response = client.get(CHANNELS, {"project": project.pk, "page_size": 200})

    assert response.json()["count"] == rows


@pytest.mark.parametrize("rows", [5, 200])
def test_delivery_list_queries_do_not_grow(
    project, owner, member, channel, rows, django_assert_max_num_queries
):
    _many_deliveries(project, channel, rows)
    client = api_as(member)

    with django_assert_max_num_queries(8):
        response = client.get(DELIVERIES, {"project": project.pk, "page_size": 200})

    assert len(response.json()["results"]) == rows


def test_webhook_urls_with_tokens_are_shown_whole_only_to_those_who_manage_them(
    project, owner, member, viewer
):
    # Given a DingTalk robot whose URL carries its access token
    robot = add_channel(
        actor=owner,
        kind="dingtalk",
        url="https://oapi.dingtalk.com/robot/send?access_token=7e1f00dcafe",
        project=project,
        events=["*"],
    )
    # When members and viewers read it, then the token is not in what they get
    for reader in (member, viewer):
        body = api_as(reader).get(f"/api/v1/channels/{robot.pk}/").json()
        assert body["url"] == "https://oapi.dingtalk.com/…"
        assert "7e1f00dcafe" not in str(api_as(reader).get("/api/v1/channels/").json())
    # and the owner who manages it sees it whole, to be able to check it
    assert api_as(owner).get(f"/api/v1/channels/{robot.pk}/").json()["url"] == robot.url
