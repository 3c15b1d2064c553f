"""The notification settings pages, as their owners use them: a project's page (its
owners) and the site-wide page (staff). Add a channel, choose its events, send a test
message over htmx, read and filter the delivery log, retry a failed delivery."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import Activity
from portal.notifications.models import Channel, Delivery, DeliveryStatus, Subscription
from portal.notifications.services import deliveries_relay
from tests.projects.factories import make_project

from .conftest import DINGTALK_SECRET, WEBHOOK_SECRET, add_channel, occur

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def page_url(project) -> str:
    return reverse("projects:notifications", args=[project.key])


def log_rows(html: str) -> list[tuple[int, str]]:
    """(delivery id, status) of each row of the delivery log, top to bottom."""
    return [
        (int(pk), status)
        for pk, status in re.findall(r'data-delivery="(\d+)" data-status="(\w+)"', html)
    ]


def add_form(**overrides) -> dict:
    return {
        "action": "add",
        "new-name": "研发群机器人",
        "new-kind": "dingtalk",
        "new-url": "https://oapi.dingtalk.com/robot/send?access_token=abc",
        "new-secret": DINGTALK_SECRET,
        "new-keyword": "",
        "new-language": "zh-hans",
        "new-enabled": "on",
        **overrides,
    }


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


# ---------------------------------------------------------------- who may open the pages


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("staff", 200), ("member", 403), ("viewer", 403), ("outsider", 404)],
)
def test_project_page_is_for_the_projects_owners(request, project, signed_in, who, status):
    client = signed_in(request.getfixturevalue(who))

    response = client.get(page_url(project))
    posted = client.post(page_url(project), add_form())

    assert response.status_code == status
    if status != 200:
        assert posted.status_code == status
        assert not Channel.objects.exists()


def test_project_page_sends_the_anonymous_to_sign_in(client, project):
    response = client.get(page_url(project))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_site_page_is_for_staff(client, signed_in, owner, staff):
    url = reverse("portal:notifications")

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("portal:login"))
    # A project owner who is not staff is refused in the portal's layout (see
    # tests/portal/test_refusals.py), not sent to the admin's login page
    assert signed_in(owner).get(url).status_code == 403
    assert signed_in(owner).post(url, add_form()).status_code == 403
    assert not Channel.objects.exists()
    assert signed_in(staff).get(url).status_code == 200


# ---------------------------------------------------------------- channels and events


def test_owner_adds_a_channel_and_never_sees_its_secret_again(project, owner, signed_in):
    client = signed_in(owner)

    response = client.post(page_url(project), add_form())

    assert response.status_code == 302
    channel = Channel.objects.get()
    assert (channel.name, channel.kind, channel.project) == ("研发群机器人", "dingtalk", project)
    assert channel.secret == DINGTALK_SECRET
    page = client.get(page_url(project)).content.decode()
    assert f'data-channel="{channel.pk}"' in page
    assert "已设置密钥" in page  # "A secret is set."
    assert DINGTALK_SECRET not in page
    assert Activity.objects.filter(verb="channel.created", project=project).count() == 1


def test_bad_channel_form_shows_the_field_error_and_saves_nothing(project, owner, signed_in):
    response = signed_in(owner).post(page_url(project), add_form(**{"new-url": "not a url"}))

    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'class="field has-error" data-field="url"', html)
    assert DINGTALK_SECRET not in html, "the secret typed in is not echoed back"
    assert not Channel.objects.exists()


def test_a_private_address_is_refused_beside_the_url_field(project, owner, signed_in, settings):
    settings.NOTIFY_ALLOW_PRIVATE_NETWORK = False

    response = signed_in(owner).post(
        page_url(project), add_form(**{"new-url": "http://169.254.169.254/latest/"})
    )

    assert not Channel.objects.exists()
    assert response.status_code == 400
    assert re.search(r'class="field has-error" data-field="url"', response.content.decode())


def test_owner_chooses_the_events_a_channel_receives(project, owner, signed_in, webhook):
    channel = add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)

    response = signed_in(owner).post(
        page_url(project),
        {
            "action": "subscribe",
            "channel": channel.pk,
            f"s{channel.pk}-events": ["work_item.blocked", "risk.occurred"],
        },
    )

    assert response.status_code == 302
    assert Subscription.objects.get(channel=channel).events == [
        "risk.occurred",
        "work_item.blocked",
    ]
    page = signed_in(owner).get(page_url(project)).content.decode()
    assert re.search(rf'name="s{channel.pk}-events" value="risk.occurred"[^>]*checked', page)
    assert not re.search(rf'name="s{channel.pk}-events" value="kpi.red"[^>]*checked', page)


def test_saving_no_events_is_refused_and_keeps_the_old_ones(project, owner, signed_in, webhook):
    channel = add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)

    signed_in(owner).post(page_url(project), {"action": "subscribe", "channel": channel.pk})

    assert Subscription.objects.get(channel=channel).events == ["*"]


# ---------------------------------------------------------------- send a test message


def test_send_test_over_htmx_shows_delivered_inline(project, owner, signed_in, dingtalk):
    channel = add_channel(actor=owner, kind="dingtalk", url=dingtalk.url, project=project)

    response = signed_in(owner).post(
        page_url(project), {"action": "test", "channel": channel.pk}, **HTMX
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-test-result="sent"' in html
    assert "<html" not in html, "only the fragment comes back"
    assert "delivery-log" not in html
    assert dingtalk.titles == ["来自工程管理平台的测试消息"]


def test_send_test_over_htmx_shows_the_remote_error(project, owner, signed_in, dingtalk):
    channel = add_channel(
        actor=owner, kind="dingtalk", url=dingtalk.url, project=project, secret="SEC-typo"
    )

    response = signed_in(owner).post(
        page_url(project), {"action": "test", "channel": channel.pk}, **HTMX
    )

    html = response.content.decode()
    assert 'data-test-result="failed"' in html
    assert "310000 sign not match" in html
    assert "SEC-typo" not in html
    assert not Delivery.objects.exists()


# ---------------------------------------------------------------- the delivery log


@pytest.fixture
def log_with_a_failure(project, owner, webhook):
    """Two deliveries to MALL's webhook: the first refused (400), the second sent."""
    add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)
    webhook.fail_with(400)
    occur(project, 1)
    deliveries_relay()
    webhook.recover()
    occur(project, 2)
    deliveries_relay()
    failed = Delivery.objects.get(status=DeliveryStatus.FAILED)
    sent = Delivery.objects.get(status=DeliveryStatus.SENT)
    return failed, sent


def test_delivery_log_filters_by_status_over_htmx(project, owner, signed_in, log_with_a_failure):
    failed, sent = log_with_a_failure
    client = signed_in(owner)

    everything = client.get(page_url(project)).content.decode()
    only_failed = client.get(
        page_url(project), {"status": "failed"}, HTTP_HX_TARGET="delivery-log", **HTMX
    ).content.decode()

    assert sorted(log_rows(everything)) == sorted([(failed.pk, "failed"), (sent.pk, "sent")])
    assert log_rows(only_failed) == [(failed.pk, "failed")]
    assert "<html" not in only_failed
    assert 'id="delivery-log"' in only_failed


def test_retry_now_puts_a_failed_delivery_back_in_line(
    project, owner, signed_in, webhook, log_with_a_failure
):
    failed, sent = log_with_a_failure
    client = signed_in(owner)
    before = client.get(page_url(project)).content.decode()
    assert f'name="delivery" value="{failed.pk}"' in before, "failed rows offer Retry now"
    assert f'name="delivery" value="{sent.pk}"' not in before

    response = client.post(page_url(project), {"action": "retry", "delivery": failed.pk})

    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.PENDING
    page = client.get(page_url(project)).content.decode()
    assert (failed.pk, "pending") in log_rows(page)
    deliveries_relay()
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.SENT


def test_another_projects_delivery_cannot_be_retried_from_this_page(
    project, owner, signed_in, log_with_a_failure
):
    failed, _sent = log_with_a_failure
    other = make_project(owner=owner, key="OPS", name="运维平台")

    response = signed_in(owner).post(page_url(other), {"action": "retry", "delivery": failed.pk})

    assert response.status_code == 404
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.FAILED


# ---------------------------------------------------------------- the site-wide page


def test_staff_manage_site_wide_channels_on_their_page(staff, signed_in, project, webhook):
    client = signed_in(staff)
    url = reverse("portal:notifications")

    response = client.post(
        url,
        add_form(
            **{
                "new-name": "全公司告警",
                "new-kind": "webhook",
                "new-url": webhook.url,
                "new-secret": WEBHOOK_SECRET,
            }
        ),
    )
    assert response.status_code == 302
    channel = Channel.objects.get()
    assert channel.project is None
    client.post(url, {"action": "subscribe", "channel": channel.pk, f"s{channel.pk}-events": "*"})

    occur(project)
    deliveries_relay()

    page = client.get(url).content.decode()
    (delivery,) = Delivery.objects.all()
    assert log_rows(page) == [(delivery.pk, "sent")]
    assert WEBHOOK_SECRET not in page
    assert len(webhook.shown) == 1
    # And the project's page shows the shared channel, read-only
    project_page = signed_in(project.owner).get(page_url(project)).content.decode()
    assert "全公司告警" in project_page
    assert f'data-channel="{channel.pk}"' not in project_page


def test_project_page_queries_do_not_grow_with_channels_or_deliveries(
    project, owner, signed_in, webhook
):
    client = signed_in(owner)

    def queries_for_page() -> int:
        client.get(page_url(project))  # the session and caches warm
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page_url(project))
        assert response.status_code == 200
        return len(captured)

    add_channel(actor=owner, kind="webhook", url=webhook.url, project=project, name="群 0")
    occur(project, 0)
    few = queries_for_page()
    for n in range(1, 12):
        add_channel(actor=owner, kind="webhook", url=webhook.url, project=project, name=f"群 {n}")
        occur(project, n)

    many = queries_for_page()

    assert Delivery.objects.count() > 50, "more rows than one page of the log"
    assert many == few
