"""The one clock services read. Normally `timezone.now()`; `frozen_at` pins it for a block.

Why a seam: the demo writes months of believable history through the real services, and
tests of time-dependent rules (rate limits, overdue reviews) can pin the time without
patching the standard library.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_pinned: ContextVar[datetime | None] = ContextVar("portal_clock_pinned", default=None)


def now() -> datetime:
    pinned = _pinned.get()
    return pinned if pinned is not None else timezone.now()


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    if timezone.is_naive(moment):
        raise ValueError("frozen_at needs an aware datetime")
    token = _pinned.set(moment)
    try:
        yield
    finally:
        _pinned.reset(token)
