"""Outbound safety (SSRF): where a channel may point, checked when it is saved and again,
on the very address the request then goes to, when it sends.

With NOTIFY_ALLOW_PRIVATE_NETWORK off (production), only globally reachable unicast
addresses are allowed. No test here connects anywhere but 127.0.0.1: the refused
addresses are only ever checked, and "the internet" is a socket guard that refuses (or
routes to the local receiver) any connection to a public address.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import shutil
import socket
import ssl
import subprocess

import pytest
from django.urls import reverse
from django.utils import translation
from pytest_httpserver import HTTPServer

from portal.models import Activity
from portal.notifications import ssrf
from portal.notifications.models import Channel, Delivery, DeliveryStatus
from portal.notifications.services import channel_send_test, deliveries_relay
from tests.conftest import api_as, require_service

from .conftest import add_channel, occur

pytestmark = pytest.mark.django_db

REFUSAL = "This address points into a private network, which is not allowed here."

# Where a channel must not point, and why.
INTERNAL = [
    "http://100.100.100.200/latest/meta-data/",  # Alibaba Cloud metadata (shared space)
    "http://100.64.0.1/hook",  # carrier-grade NAT, 100.64.0.0/10
    "http://169.254.169.254/latest/meta-data/",  # AWS/GCP/Azure metadata (link-local)
    "http://[::ffff:127.0.0.1]:8080/hook",  # loopback, as an IPv4-mapped IPv6 address
    "http://[::ffff:169.254.169.254]/latest/",  # the metadata service, IPv4-mapped
    "http://[2002:7f00:1::]/hook",  # 6to4 wrapping 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/latest/",  # NAT64 of 169.254.169.254
    "http://0.0.0.0:8080/hook",  # "this host"
    "http://224.0.0.1/hook",  # multicast
    "http://240.0.0.1/hook",  # reserved
    "http://localhost:8080/hook",  # a name that resolves to loopback
    "http://127.1/hook",  # a short form of 127.0.0.1
    "http://[fe80::1]/hook",  # IPv6 link-local
]


@pytest.fixture
def production(settings):
    settings.NOTIFY_ALLOW_PRIVATE_NETWORK = False


def written() -> tuple[int, int]:
    return Channel.objects.count(), Activity.objects.count()


# ---------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("::ffff:8.8.8.8", True),  # IPv4-mapped: judged by the IPv4 address
        ("64:ff9b::808:808", True),
        ("100.100.100.200", False),
        ("100.64.0.1", False),
        ("100.127.255.254", False),
        ("169.254.169.254", False),
        ("10.0.0.1", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("127.0.0.1", False),
        ("0.0.0.0", False),
        ("255.255.255.255", False),
        ("224.0.0.1", False),
        ("233.252.0.1", False),  # multicast, though `is_global` says yes
        ("198.18.0.1", False),  # benchmarking
        ("192.0.2.1", False),  # documentation
        ("::1", False),
        ("::", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.1.2.3", False),
        ("2002:7f00:1::", False),
        ("2002:a00:1::", False),  # 6to4 of 10.0.0.1
        ("64:ff9b::7f00:1", False),
        ("fc00::1", False),
        ("fe80::1", False),
        ("ff0e::1", False),  # global-scope multicast
    ],
)
def test_only_public_unicast_addresses_count_as_public(address, public):
    assert ssrf.is_public(ipaddress.ip_address(address)) is public


# ---------------------------------------------------------------- when a channel is saved


@pytest.mark.parametrize("url", INTERNAL)
def test_the_api_refuses_a_channel_into_the_internal_network(project, owner, production, url):
    before = written()

    response = api_as(owner).post(
        "/api/v1/channels/",
        {"name": "内网", "kind": "webhook", "url": url, "project": project.pk},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["url"]
    assert written() == before


@pytest.mark.parametrize("url", INTERNAL)
def test_the_channel_form_refuses_an_internal_address_beside_the_url(
    project, owner, client, production, url
):
    client.force_login(owner)

    response = client.post(
        reverse("projects:notifications", args=[project.key]),
        {
            "action": "add",
            "new-name": "内网",
            "new-kind": "webhook",
            "new-url": url,
            "new-language": "zh-hans",
            "new-enabled": "on",
        },
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'class="field has-error" data-field="url"', html)
    assert not Channel.objects.exists()


def test_the_channel_form_refuses_moving_a_channel_to_the_metadata_service(
    project, owner, client, production
):
    channel = add_channel(
        actor=owner, kind="webhook", url="https://93.184.215.14/hook", project=project
    )
    client.force_login(owner)

    client.post(
        reverse("projects:notifications", args=[project.key]),
        {
            "action": "update",
            "channel": channel.pk,
            f"c{channel.pk}-name": channel.name,
            f"c{channel.pk}-kind": "webhook",
            f"c{channel.pk}-url": "http://100.100.100.200/latest/meta-data/",
            f"c{channel.pk}-language": "zh-hans",
            f"c{channel.pk}-enabled": "on",
        },
    )

    channel.refresh_from_db()
    assert channel.url == "https://93.184.215.14/hook"


def test_a_public_address_is_accepted(project, owner, production):
    response = api_as(owner).post(
        "/api/v1/channels/",
        {
            "name": "外部",
            "kind": "webhook",
            "url": "https://93.184.215.14/hook",
            "project": project.pk,
        },
        format="json",
    )

    assert response.status_code == 201, response.content


# ---------------------------------------------------------------- when it sends


def test_a_channel_saved_while_allowed_is_not_sent_to_once_disallowed(
    project, owner, webhook, settings
):
    # Given a channel on this host, saved while private networks were allowed
    channel = add_channel(
        actor=owner,
        kind="webhook",
        url=webhook.url.replace("127.0.0.1", "localhost"),
        project=project,
    )
    occur(project)
    settings.NOTIFY_ALLOW_PRIVATE_NETWORK = False

    # When the relay runs, and an owner presses "send test"
    with translation.override("en"):
        deliveries_relay()
        outcome = channel_send_test(channel=channel, actor=owner)

    # Then nothing was sent, the delivery failed for good and the channel asks for a look
    assert webhook.requests == []
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.FAILED, REFUSAL)
    channel.refresh_from_db()
    assert (channel.flagged, channel.flag_reason) == (True, REFUSAL)
    assert (outcome.kind, outcome.error) == ("failed", REFUSAL)


HOOK_HOST = "hooks.partner.example"  # never resolved for real: the test answers for DNS
PUBLIC_IP = "93.184.215.14"
SECOND_PUBLIC_IP = "93.184.215.15"


class Internet:
    """DNS and the network beyond this machine, as the test wants them.

    `answers` are what the resolver gives for HOOK_HOST, one per lookup (the last one
    repeats); an answer is an address or a list of them. Connections to 127.0.0.1 go
    through; one to a public address is refused, unless `routes` carries it to a local
    port (the local receiver playing the public one). Nothing ever leaves the machine."""

    def __init__(self, monkeypatch, answers: list[str | list[str]]) -> None:
        self.answers = list(answers)
        self.connections: list[tuple[str, int]] = []
        self.routes: dict[str, int] = {}
        real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect
        internet = self

        def getaddrinfo(host, port, *args, **kwargs):
            if host != HOOK_HOST:
                return real_getaddrinfo(host, port, *args, **kwargs)
            answer = internet.answers[0] if len(internet.answers) == 1 else internet.answers.pop(0)
            addresses = [answer] if isinstance(answer, str) else answer
            return [
                info
                for address in addresses
                for info in real_getaddrinfo(address, port, *args, **kwargs)
            ]

        def connect(sock, address):
            if sock.family not in (socket.AF_INET, socket.AF_INET6):
                return real_connect(sock, address)
            host, port = address[0], address[1]
            internet.connections.append((host, port))
            if ipaddress.ip_address(host).is_loopback:
                return real_connect(sock, address)
            if host in internet.routes:
                return real_connect(sock, ("127.0.0.1", internet.routes[host]))
            raise ConnectionRefusedError(f"{host} is beyond this test's machine")

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket.socket, "connect", connect)


def test_a_name_that_rebinds_to_loopback_after_the_check_is_not_followed(
    project, owner, webhook, settings, monkeypatch
):
    # Given a channel whose name resolves to a public address when checked, then to
    # 127.0.0.1 (where an internal service listens) for anyone asking again
    port = webhook.server.port
    channel = add_channel(
        actor=owner,
        kind="webhook",
        url=f"http://{HOOK_HOST}:{port}/hooks/portal",
        project=project,
    )
    settings.NOTIFY_ALLOW_PRIVATE_NETWORK = False
    internet = Internet(monkeypatch, [PUBLIC_IP, "127.0.0.1"])
    occur(project)

    # When the relay sends (and the public address does not answer)
    deliveries_relay()

    # Then the request went to the address that was checked, and never to loopback
    assert internet.connections == [(PUBLIC_IP, port)]
    assert webhook.requests == []
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING, "a refused connection is tried again"
    assert delivery.attempts == 1
    channel.refresh_from_db()
    assert not channel.flagged


def test_a_name_with_several_addresses_is_tried_on_each_checked_one(
    project, owner, webhook, settings, monkeypatch
):
    # Given a name with two public addresses, of which only the second answers
    port = webhook.server.port
    add_channel(
        actor=owner, kind="webhook", url=f"http://{HOOK_HOST}:{port}/hooks/portal", project=project
    )
    settings.NOTIFY_ALLOW_PRIVATE_NETWORK = False
    internet = Internet(monkeypatch, [[SECOND_PUBLIC_IP, PUBLIC_IP]])
    internet.routes[PUBLIC_IP] = port
    occur(project)

    deliveries_relay()

    assert internet.connections == [(SECOND_PUBLIC_IP, port), (PUBLIC_IP, port)]
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_a_name_with_one_internal_address_among_public_ones_is_refused(
    project, owner, webhook, settings, monkeypatch
):
    port = webhook.server.port
    channel = add_channel(
        actor=owner, kind="webhook", url=f"http://{HOOK_HOST}:{port}/hooks/portal", project=project
    )
    settings.NOTIFY_ALLOW_PRIVATE_NETWORK = False
    internet = Internet(monkeypatch, [[PUBLIC_IP, "10.0.0.7"]])
    occur(project)

    with translation.override("en"):
        deliveries_relay()

    assert internet.connections == []
    assert Delivery.objects.get().last_error == REFUSAL
    channel.refresh_from_db()
    assert channel.flagged


def test_the_pinned_request_still_names_the_host(project, owner, webhook, settings, monkeypatch):
    # Given the receiver is reachable at the public address its name resolves to
    port = webhook.server.port
    add_channel(
        actor=owner,
        kind="webhook",
        url=f"http://{HOOK_HOST}:{port}/hooks/portal",
        project=project,
    )
    settings.NOTIFY_ALLOW_PRIVATE_NETWORK = False
    internet = Internet(monkeypatch, [PUBLIC_IP])
    internet.routes[PUBLIC_IP] = port
    occur(project, 3)

    deliveries_relay()

    # Then it arrives, addressed to the name (Host header) over a connection to the IP
    assert internet.connections == [(PUBLIC_IP, port)]
    (request,) = webhook.requests
    assert request.headers["Host"] == f"{HOOK_HOST}:{port}"
    assert Delivery.objects.get().status == DeliveryStatus.SENT


@pytest.fixture
def tls_receiver(tmp_path):
    """An https receiver on 127.0.0.1 with a self-signed certificate for HOOK_HOST; it
    notes the server name each client asks for (SNI)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        require_service("openssl is not installed: no certificate for the TLS receiver")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", f"/CN={HOOK_HOST}", "-addext", f"subjectAltName=DNS:{HOOK_HOST}"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", ssl_context=context)
    server.server_names = []
    context.sni_callback = lambda _sock, name, _context: server.server_names.append(name)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def test_https_goes_to_the_checked_address_and_still_names_the_host_for_tls(
    project, owner, settings, monkeypatch, tls_receiver
):
    port = tls_receiver.port
    channel = add_channel(
        actor=owner, kind="webhook", url=f"https://{HOOK_HOST}:{port}/hooks/portal", project=project
    )
    settings.NOTIFY_ALLOW_PRIVATE_NETWORK = False
    internet = Internet(monkeypatch, [PUBLIC_IP])
    internet.routes[PUBLIC_IP] = port

    outcome = channel_send_test(channel=channel, actor=owner)

    # The socket went to the checked address; TLS asked for the host name (SNI) and
    # checked the certificate (this one is self-signed, so it is refused, as it should be)
    assert internet.connections == [(PUBLIC_IP, port)]
    assert tls_receiver.server_names == [HOOK_HOST]
    assert outcome.kind == "retry"
    assert "CERTIFICATE_VERIFY_FAILED" in outcome.error


def test_a_name_that_rebinds_to_the_metadata_service_is_refused_at_send_time(
    project, owner, webhook, settings, monkeypatch
):
    # Given a channel whose name was public when saved and now resolves to the metadata IP
    port = webhook.server.port
    settings.NOTIFY_ALLOW_PRIVATE_NETWORK = False
    internet = Internet(monkeypatch, [PUBLIC_IP, "100.100.100.200"])
    channel = add_channel(
        actor=owner, kind="webhook", url=f"http://{HOOK_HOST}:{port}/hook", project=project
    )
    occur(project)

    with translation.override("en"):
        deliveries_relay()

    assert internet.connections == []
    assert Delivery.objects.get().last_error == REFUSAL
    channel.refresh_from_db()
    assert channel.flagged


def test_a_redirect_elsewhere_is_not_followed(project, owner, webhook, remote):
    elsewhere = []
    remote.expect_request("/latest/meta-data/").respond_with_handler(
        lambda request: elsewhere.append(request) or "secret-token"
    )
    channel = add_channel(actor=owner, kind="webhook", url=webhook.url, project=project)
    webhook.fail_with(307, {"Location": remote.url_for("/latest/meta-data/")})
    occur(project)

    deliveries_relay()
    outcome = channel_send_test(channel=channel, actor=owner)

    assert elsewhere == []
    assert Delivery.objects.get().status == DeliveryStatus.FAILED
    assert (outcome.kind, outcome.code) == ("failed", 307)


# ---------------------------------------------------------------- what comes back


LEAK = "INTERNAL-ONLY db_password=hunter2 <html>admin console</html>"


@pytest.mark.parametrize("kind", ["dingtalk", "feishu", "slack", "webhook"])
@pytest.mark.parametrize("status", [400, 401, 404, 500, 503])
def test_a_refusal_says_the_status_never_the_body(
    project, owner, remote, kind, status, client, caplog
):
    """Whatever the server at a channel's URL puts in a 4xx/5xx body (an internal page,
    a token) stays out of the delivery log, the channel's flag, the API, the "send test"
    answer and the log: only its status is reported."""
    caplog.set_level(logging.DEBUG)
    remote.expect_request("/leaky", method="POST").respond_with_data(
        json.dumps({"errcode": LEAK, "errmsg": LEAK, "code": LEAK, "msg": LEAK}),
        status=status,
        content_type="application/json",
    )
    channel = add_channel(
        actor=owner, kind=kind, url=remote.url_for("/leaky"), project=project, secret=""
    )
    occur(project)

    deliveries_relay()
    tested = api_as(owner).post(f"/api/v1/channels/{channel.pk}/test/")
    client.force_login(owner)
    page = client.post(
        reverse("projects:notifications", args=[project.key]),
        {"action": "test", "channel": channel.pk},
        HTTP_HX_REQUEST="true",
    )

    delivery = Delivery.objects.get()
    channel.refresh_from_db()
    assert delivery.response_code == status
    assert str(status) in delivery.last_error
    assert tested.json()["code"] == status
    seen = [
        delivery.last_error,
        channel.flag_reason,
        tested.content.decode(),
        page.content.decode(),
        api_as(owner).get("/api/v1/deliveries/").content.decode(),
        api_as(owner).get(f"/api/v1/channels/{channel.pk}/").content.decode(),
        client.get(reverse("projects:notifications", args=[project.key])).content.decode(),
        caplog.text,
    ]
    assert [text for text in seen if "hunter2" in text or "INTERNAL-ONLY" in text] == []
