"""The Redis cache, failing open: an outage becomes cache misses, never a 500 or a wait.

Everything that reads or writes django.core.cache during a request (DRF's throttles,
rate limits, cached fragments) would otherwise raise redis.ConnectionError while Redis is
down, or wait on a hung one. Here each call answers as an empty cache would and the
first failure is logged; for RETRY_AFTER seconds after a failure Redis is not asked at
all, so however many cache calls a request makes it waits at most one short socket
timeout (set in the cache's OPTIONS, see `redis_cache`).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)

# What an unreachable, restarting or hung Redis raises. Anything else (a wrong type
# stored under a key, a bad command) is a bug and is left to surface.
OUTAGE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)

# Per process, per Redis: every thread has its own cache object, so the breaker lives here.
_down_until: dict[str, float] = {}
_lock = threading.Lock()


def redis_cache(url: str) -> dict[str, Any]:
    """CACHES["default"] for a Redis at `url`: fail-open, short timeouts, no retries."""
    return {
        "BACKEND": "portal.cache.FailOpenRedisCache",
        "LOCATION": url,
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
    }


class FailOpenRedisCache(RedisCache):
    RETRY_AFTER = 5.0  # seconds without asking Redis after it failed

    def __init__(self, server, params):
        super().__init__(server, params)
        self._outage_key = ",".join(self._servers)

    def _call(self, operation: str, fallback: Any, *args: Any) -> Any:
        if _down_until.get(self._outage_key, 0.0) > time.monotonic():
            return fallback
        try:
            result = getattr(super(), operation)(*args)
        except OUTAGE as exc:
            with _lock:
                already_down = self._outage_key in _down_until
                _down_until[self._outage_key] = time.monotonic() + self.RETRY_AFTER
            if not already_down:
                log.warning(
                    "cache unavailable (%s); serving without it, trying again every %.0f s",
                    exc.__class__.__name__,
                    self.RETRY_AFTER,
                )
            return fallback
        if self._outage_key in _down_until:
            with _lock:
                if _down_until.pop(self._outage_key, None) is not None:
                    log.info("cache available again")
        return result

    # What an empty cache answers. `add` stored nothing, so False; `incr` on a key the
    # cache cannot see counts from zero, so a counter (a rate limit) lets the caller through.

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", delta, key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def clear(self):
        return self._call("clear", False)
