"""Sign-in lockout: how django-axes counts failures here, what a locked-out person sees,
and how an admin lifts a lock.

Axes records every failed sign-in in the database (AccessAttempt rows keyed by username,
address and user agent). The portal reads those rows with two limits (settings/base.py):
an account is locked after AXES_FAILURE_LIMIT recent failures from any address, an
address after SIGNIN_ADDRESS_FAILURE_LIMIT recent failures on any accounts.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext

from .activity import activity_record
from .models import User


def client_ip_address(request: HttpRequest) -> str | None:
    """The address a sign-in comes from (AXES_CLIENT_IP_CALLABLE).

    Each of the TRUSTED_PROXY_COUNT proxies appends the address it received the request
    from to X-Forwarded-For, so the client is that many entries from the right; anything
    further left was written by the client and proves nothing. A request with fewer
    entries did not come through the proxies, so its own REMOTE_ADDR is the client.
    """
    remote = request.META.get("REMOTE_ADDR")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if len(forwarded) < hops:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-hops]))
    except ValueError:
        return remote


def _failures(attempts: QuerySet[AccessAttempt]) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class SignInAttemptHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per account and a (higher) one per address.

    Axes compares one number, `get_failures`, with AXES_FAILURE_LIMIT; the address count
    is scaled onto that limit, so either count reaching its own limit locks.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        username = get_client_username(request, credentials)
        account = _failures(recent.filter(username=username)) if username else 0
        address = _failures(recent.filter(ip_address=request.axes_ip_address))
        account_limit = settings.AXES_FAILURE_LIMIT
        scaled_address = address * account_limit // settings.SIGNIN_ADDRESS_FAILURE_LIMIT
        return max(account, scaled_address)

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """On a successful sign-in, forget only that user's failures from that address.

        Axes' own reset deletes every row matching the username *or* the address, so
        anyone could wipe the count on a colleague's account by signing in to their own
        account from the same machine between guesses.
        """
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count


def lockout_message(minutes: int) -> str:
    return ngettext(
        "Too many failed sign-ins. Try again in %(minutes)s minute or ask an admin "
        "to unlock your account.",
        "Too many failed sign-ins. Try again in %(minutes)s minutes or ask an admin "
        "to unlock your account.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """The page for a refused sign-in (AXES_LOCKOUT_CALLABLE), portal and admin alike.

    Every attempt while locked restarts the cool-off (axes records it), so the wait
    from now is the whole cool-off.
    """
    cool_off = get_cool_off(request)
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 0
    return render(
        request,
        "portal/lockout.html",
        {"message": lockout_message(minutes)},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


@transaction.atomic
def user_signin_unlock(*, users: Iterable[User], actor: User) -> int:
    """Forget the failed sign-ins on each user's account, from every address, so they
    can sign in at once. An address locked by failures on other accounts stays locked
    (admin → Access attempts, or `manage.py axes_reset_ip`). One Activity row per user.
    Returns the number of users unlocked."""
    count = 0
    for user in users:
        # axes' reset() with no username would delete every attempt: never call it so.
        if not user.get_username():
            continue
        axes_reset(username=user.get_username())
        activity_record(actor=actor, verb="user.signin_unlocked", target=user, label=user.label)
        count += 1
    return count
