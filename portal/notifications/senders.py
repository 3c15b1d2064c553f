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
import time
import urllib.parse
from dataclasses import dataclass

import requests

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


def _post(url: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(
        url,
        data=body,
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
        timeout=TIMEOUT,
        allow_redirects=False,  # never follow a redirect somewhere we did not check
    )


class Sender:
    def send(self, channel: Channel, message: Message, *, message_id: str) -> Outcome:
        try:
            response = self.request(channel, message, message_id)
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
            return Outcome(RETRY, response.status_code, f"HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            return Outcome(RETRY, response.status_code, "not JSON")
        code = data.get("errcode")
        message = str(data.get("errmsg", ""))[:300]
        if code == 0:
            return Outcome(SENT, response.status_code)
        if code == 130101:
            return Outcome(PAUSE, response.status_code, f"130101 {message}", retry_after=600)
        if code in (310000, 300001, 400101, 400102):
            return Outcome(FAILED, response.status_code, f"{code} {message}", flag_channel=True)
        return Outcome(RETRY, response.status_code, f"{code} {message}")


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
            return Outcome(RETRY, response.status_code, f"HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            return Outcome(RETRY, response.status_code, "not JSON")
        code = data.get("code", data.get("StatusCode"))
        message = str(data.get("msg", data.get("StatusMessage", "")))[:300]
        if code == 0:
            return Outcome(SENT, response.status_code)
        if code in (11232, 9499):
            return Outcome(RETRY, response.status_code, f"{code} {message}", retry_after=60)
        if code in (19021, 19022, 19024, 19001, 19002):
            return Outcome(FAILED, response.status_code, f"{code} {message}", flag_channel=True)
        return Outcome(RETRY, response.status_code, f"{code} {message}")


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
            try:
                after = float(response.headers.get("Retry-After", "60"))
            except ValueError:
                after = 60.0
            return Outcome(RETRY, 429, "rate limited", retry_after=after)
        if response.status_code in (400, 403, 404, 410):
            return Outcome(FAILED, response.status_code, response.text[:300], flag_channel=True)
        return Outcome(RETRY, response.status_code, f"HTTP {response.status_code}")


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSender(Sender):
    """Generic JSON webhook, signed like GitHub's (X-Portal-Signature-256); the delivery id
    header lets the receiver drop a repeat. 2xx = sent; 4xx (but 408/429) permanent."""

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
        if 200 <= response.status_code < 300:
            return Outcome(SENT, response.status_code)
        if response.status_code == 429:
            try:
                after = float(response.headers.get("Retry-After", "60"))
            except ValueError:
                after = 60.0
            return Outcome(RETRY, 429, "rate limited", retry_after=after)
        if 400 <= response.status_code < 500 and response.status_code != 408:
            return Outcome(FAILED, response.status_code, response.text[:300], flag_channel=True)
        return Outcome(RETRY, response.status_code, f"HTTP {response.status_code}")


SENDERS: dict[str, Sender] = {
    "dingtalk": DingTalkSender(),
    "feishu": FeishuSender(),
    "slack": SlackSender(),
    "webhook": WebhookSender(),
}

# Messages per minute each kind of remote accepts from one channel.
RATE_PER_MINUTE = {"dingtalk": 20, "feishu": 100, "slack": 60, "webhook": 120}
