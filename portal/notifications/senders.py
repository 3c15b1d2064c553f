"""One small class per remote protocol: build the request, read the answer.

Each answer becomes an Outcome the outbox acts on: sent, retry (maybe after a given
delay), pause the channel, or fail for good (and flag the channel for an admin).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import time
import urllib.parse
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from portal.errors import ApplicationError

from . import ssrf
from .messages import Message
from .models import Channel

TIMEOUT = (3.05, 5)  # connect, read (seconds)


@dataclass(frozen=True)
class Outcome:
    kind: str  # "sent" | "retry" | "pause" | "failed"
    code: int | None = None
    error: str = ""
    retry_after: float | None = None  # seconds, when the remote end said so
    flag_channel: bool = False
    # A retry that is only worth a few attempts (an answer that is usually permanent but is
    # sometimes a receiver in the middle of a deploy): give up after this many in total.
    max_attempts: int | None = None


SENT = "sent"
RETRY = "retry"
PAUSE = "pause"
FAILED = "failed"


_URL = re.compile(r"(https?://[^/\s'\"?#]+)[^\s'\"]*")


def safe_error(exc: Exception) -> str:
    """The error class and message with every URL cut to its scheme and host: robot
    tokens and signatures live in queries and paths and must not reach the log."""
    text = _URL.sub(r"\1/…", f"{exc.__class__.__name__}: {exc}")
    text = re.sub(r"(url: )\S+", r"\1…", text)  # urllib3 quotes the path and query
    return re.sub(r"\?[^\s'\"]*", "?…", text)[:500]


def http_status(response: requests.Response) -> str:
    """What a refusal says about the remote end: its status, never its body. A body can
    be anything the URL's server chose to put there (an internal page, a token), and it
    would reach the delivery log, the API and the "send test" answer."""
    return f"HTTP {response.status_code}"


# ---------------------------------------------------------------- connecting


def _pinned(connection_cls: type[HTTPConnection], addresses: list[str]) -> type[HTTPConnection]:
    """A urllib3 connection class that opens its socket to one of `addresses` (the checked
    ones, tried in order, as urllib3 tries a name's addresses) while everything else (Host
    header, TLS SNI and the certificate check) keeps using the URL's host name."""

    class PinnedConnection(connection_cls):  # type: ignore[valid-type, misc]
        def _new_conn(self) -> socket.socket:
            failure: OSError | None = None
            for address in addresses:
                try:
                    return urllib3_connection.create_connection(
                        (address, self.port),
                        self.timeout,
                        source_address=self.source_address,
                        socket_options=self.socket_options,
                    )
                except OSError as exc:
                    failure = exc
            if isinstance(failure, TimeoutError):
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                ) from failure
            raise NewConnectionError(
                self, f"Failed to establish a new connection: {failure}"
            ) from failure

    return PinnedConnection


class PinnedAdapter(HTTPAdapter):
    """Every connection this adapter opens goes to the given addresses, whatever the
    URL's host name resolves to by then."""

    def __init__(self, addresses: list[str]) -> None:
        self.addresses = addresses
        super().__init__()

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        http = type(
            "PinnedHTTPPool",
            (HTTPConnectionPool,),
            {"ConnectionCls": _pinned(HTTPConnection, self.addresses)},
        )
        https = type(
            "PinnedHTTPSPool",
            (HTTPSConnectionPool,),
            {"ConnectionCls": _pinned(HTTPSConnection, self.addresses)},
        )
        self.poolmanager.pool_classes_by_scheme = {"http": http, "https": https}


def _post(url: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    """POST once, to the address the SSRF check approved, never following a redirect.

    Raises ApplicationError when the URL may not be reached, requests' exceptions when it
    cannot be reached now (a name that does not resolve counts: DNS may come back)."""
    try:
        addresses = ssrf.connect_addresses(url)
    except socket.gaierror as exc:
        raise requests.ConnectionError(f"{urllib.parse.urlsplit(url).hostname}: {exc}") from None
    with requests.Session() as session:
        if addresses is not None:
            # Environment proxies are ignored here: a proxy would resolve the name itself
            # and connect wherever it points, undoing the check.
            session.trust_env = False
            adapter = PinnedAdapter(addresses)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        return session.post(
            url,
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8", **headers},
            timeout=TIMEOUT,
            allow_redirects=False,  # never follow a redirect somewhere we did not check
        )


def _retry_after(response: requests.Response, default: float = 60.0) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", default)))
    except ValueError:
        return default


def _protocol_error(response: requests.Response, code: object, message: str) -> str:
    """A robot's own error (its code, and its message when the answer was a 2xx, which is
    how these robots report errors); for any other status, the status and the code only."""
    if 200 <= response.status_code < 300:
        message = _URL.sub(r"\1/…", message)[:200]
        return f"{code} {message}".strip()
    if isinstance(code, int) and not isinstance(code, bool):
        return f"{http_status(response)} {code}"
    return http_status(response)


class Sender:
    def send(self, channel: Channel, message: Message, *, message_id: str) -> Outcome:
        """Send one message (the SSRF check happens on the way out, in _post)."""
        try:
            response = self.request(channel, message, message_id)
        except ApplicationError as exc:
            return Outcome(FAILED, None, exc.message, flag_channel=True)
        except requests.RequestException as exc:
            return Outcome(RETRY, error=safe_error(exc))
        if 300 <= response.status_code < 400:
            return Outcome(
                FAILED, response.status_code, "redirects are not followed", flag_channel=True
            )
        return self.interpret(response)

    def request(self, channel: Channel, message: Message, message_id: str) -> requests.Response:
        raise NotImplementedError

    def interpret(self, response: requests.Response) -> Outcome:
        raise NotImplementedError


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk: HMAC-SHA256 keyed by the secret over "timestamp\\nsecret", base64, URL-encoded."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


class DingTalkSender(Sender):
    """Custom robot. errcode 0 = sent; 130101 (too fast) pauses the robot for 10 minutes;
    310000 (bad signature or keyword, IP not allowed) is permanent."""

    def request(self, channel, message, message_id):
        url = channel.url
        if channel.secret:
            timestamp = int(time.time() * 1000)
            separator = "&" if "?" in url else "?"
            url = f"{url}{separator}timestamp={timestamp}&sign={dingtalk_sign(channel.secret, timestamp)}"
        text = message.markdown
        if channel.keyword and channel.keyword not in text:
            text = f"{text}\n\n{channel.keyword}"
        body = {
            "msgtype": "markdown",
            "markdown": {"title": message.title, "text": text},
            "msgUuid": message_id,
        }
        return _post(url, json.dumps(body, ensure_ascii=False).encode(), {})

    def interpret(self, response):
        if response.status_code >= 500:
            return Outcome(RETRY, response.status_code, http_status(response))
        try:
            data = response.json()
        except ValueError:
            return Outcome(RETRY, response.status_code, f"{http_status(response)}, not JSON")
        if not isinstance(data, dict):
            return Outcome(RETRY, response.status_code, f"{http_status(response)}, not JSON")
        code = data.get("errcode")
        error = _protocol_error(response, code, str(data.get("errmsg", "")))
        if code == 0:
            return Outcome(SENT, response.status_code)
        if code == 130101:
            return Outcome(PAUSE, response.status_code, error, retry_after=600)
        if code in (310000, 300001, 400101, 400102):
            return Outcome(FAILED, response.status_code, error, flag_channel=True)
        return Outcome(RETRY, response.status_code, error)


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu/Lark: HMAC-SHA256 keyed by "timestamp\\nsecret" over an empty message, base64."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


class FeishuSender(Sender):
    """Custom bot. code 0 = sent; 19021 (bad signature / stale timestamp) and 19024
    (keyword) are permanent; 11232 and 9499 (rate limited) retry later."""

    def request(self, channel, message, message_id):
        body: dict = {
            "msg_type": "post",
            "content": {
                "post": {
                    "zh_cn" if channel.language.startswith("zh") else "en_us": {
                        "title": message.title,
                        "content": [
                            [{"tag": "text", "text": line}]
                            for line in message.text.splitlines()[1:] or [""]
                        ],
                    }
                }
            },
        }
        if channel.secret:
            timestamp = int(time.time())
            body["timestamp"] = str(timestamp)
            body["sign"] = feishu_sign(channel.secret, timestamp)
        return _post(channel.url, json.dumps(body, ensure_ascii=False).encode(), {})

    def interpret(self, response):
        if response.status_code >= 500:
            return Outcome(RETRY, response.status_code, http_status(response))
        try:
            data = response.json()
        except ValueError:
            return Outcome(RETRY, response.status_code, f"{http_status(response)}, not JSON")
        if not isinstance(data, dict):
            return Outcome(RETRY, response.status_code, f"{http_status(response)}, not JSON")
        code = data.get("code", data.get("StatusCode"))
        error = _protocol_error(response, code, str(data.get("msg", data.get("StatusMessage", ""))))
        if code == 0:
            return Outcome(SENT, response.status_code)
        if code in (11232, 9499):
            return Outcome(RETRY, response.status_code, error, retry_after=60)
        if code in (19021, 19022, 19024, 19001, 19002):
            return Outcome(FAILED, response.status_code, error, flag_channel=True)
        return Outcome(RETRY, response.status_code, error)


# What Slack's incoming webhooks answer in the body of a refusal. Only these reach the
# delivery log: anything else a server says is not Slack talking, and stays out.
SLACK_ERRORS = frozenset(
    {
        "action_prohibited",
        "channel_is_archived",
        "channel_not_found",
        "invalid_auth",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_payload",
        "invalid_token",
        "missing_text_or_fallback_or_attachments",
        "no_active_hooks",
        "no_service",
        "no_service_id",
        "no_team",
        "no_text",
        "posting_to_general_channel_denied",
        "rollup_error",
        "team_disabled",
        "too_many_attachments",
        "user_not_found",
    }
)


class SlackSender(Sender):
    """Incoming webhook. 200 "ok" = sent; 429 waits exactly Retry-After; 400/403/404/410
    are permanent and flag the channel (bad payload, revoked, channel gone)."""

    def request(self, channel, message, message_id):
        blocks = [
            {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "\n".join(message.text.splitlines()[1:])[:2900] or " ",
                },
            },
        ]
        if message.link:
            blocks.append(
                {
                    "type": "context",
                    "elements": [
                        {"type": "mrkdwn", "text": f"<{message.link}|{message.title[:60]}>"}
                    ],
                }
            )
        body = {"text": message.text[:3000], "blocks": blocks}
        return _post(channel.url, json.dumps(body, ensure_ascii=False).encode(), {})

    def interpret(self, response):
        if response.status_code == 200:
            return Outcome(SENT, 200)
        if response.status_code == 429:
            return Outcome(RETRY, 429, "rate limited", retry_after=_retry_after(response))
        error = http_status(response)
        if response.text.strip() in SLACK_ERRORS:
            error = f"{error} {response.text.strip()}"
        if response.status_code in (400, 403, 404, 410):
            return Outcome(FAILED, response.status_code, error, flag_channel=True)
        return Outcome(RETRY, response.status_code, error)


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# A generic receiver's 4xx: these are usually a mistake that stays (wrong key, wrong URL)
# but are also what a receiver briefly answers while it is being deployed or its routes
# reload, so they get a few attempts, spaced out, before the channel is flagged.
WEBHOOK_UNSURE = frozenset({401, 403, 404, 409})
WEBHOOK_UNSURE_ATTEMPTS = 3
# Plainly transient: retried like a 5xx, for as long as any delivery (Retry-After honoured).
WEBHOOK_TRANSIENT = frozenset({408, 425, 429})


class WebhookSender(Sender):
    """Generic JSON webhook, signed like GitHub's (X-Portal-Signature-256); the delivery id
    header lets the receiver drop a repeat.

    2xx = sent. 5xx, 408, 425 and 429 are retried with back-off (Retry-After honoured).
    401, 403, 404 and 409 get WEBHOOK_UNSURE_ATTEMPTS attempts in all, then fail and flag
    the channel. Any other 4xx (400, 405, 410, 413, 422, …) says the request itself is
    wrong: it fails at once and flags the channel."""

    def request(self, channel, message, message_id):
        body = json.dumps(
            {
                "id": message_id,
                "title": message.title,
                "text": message.text,
                "markdown": message.markdown,
                "link": message.link,
            },
            ensure_ascii=False,
        ).encode()
        headers = {"X-Portal-Delivery": message_id}
        if channel.secret:
            headers["X-Portal-Signature-256"] = webhook_signature(channel.secret, body)
        return _post(channel.url, body, headers)

    def interpret(self, response):
        status = response.status_code
        if 200 <= status < 300:
            return Outcome(SENT, status)
        if status in WEBHOOK_TRANSIENT:
            after = _retry_after(response) if "Retry-After" in response.headers else None
            return Outcome(RETRY, status, http_status(response), retry_after=after)
        if status in WEBHOOK_UNSURE:
            return Outcome(
                RETRY, status, http_status(response), max_attempts=WEBHOOK_UNSURE_ATTEMPTS
            )
        if 400 <= status < 500:
            return Outcome(FAILED, status, http_status(response), flag_channel=True)
        return Outcome(RETRY, status, http_status(response))


SENDERS: dict[str, Sender] = {
    "dingtalk": DingTalkSender(),
    "feishu": FeishuSender(),
    "slack": SlackSender(),
    "webhook": WebhookSender(),
}

# Messages per minute each kind of remote accepts from one channel.
RATE_PER_MINUTE = {"dingtalk": 20, "feishu": 100, "slack": 60, "webhook": 120}
