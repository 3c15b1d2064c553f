"""Refusals a person can act on: who may do this, and where to go instead.

An HTML view that refuses a signed-in person raises `Refused` (Django's `PermissionDenied`
with a reason and next steps), or plain `PermissionDenied`; the site's 403 handler answers
both with `refusal_response`: templates/403.html in the portal's layout, with its
navigation, status 403. Never the admin's login page, never a bare "403 Forbidden".

DRF turns a `Refused` raised inside an API view into its own 403 with the reason as
`detail`, so rules shared with the API may raise it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class NextStep:
    """A link on the refusal page: somewhere the person can go instead."""

    url: str
    label: str


class Refused(PermissionDenied):
    """The person may not do this. `reason` says who may; `detail` whom to ask (optional);
    `next_steps` where to go instead (the home page when empty)."""

    def __init__(
        self, reason: str, *, next_steps: Sequence[NextStep] = (), detail: str = ""
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.next_steps = tuple(next_steps)
        self.detail = detail


def refusal_response(
    request: HttpRequest,
    *,
    reason: str = "",
    next_steps: Sequence[NextStep] = (),
    detail: str = "",
) -> HttpResponse:
    """The 403 page every refusal of an HTML page goes through: the reason, whom to ask,
    and at least one link onwards (the home page when the caller names none)."""
    context = {
        "reason": reason
        or _("Your role in this project does not allow this. Ask a project owner if you need it."),
        "detail": detail,
        "next_steps": list(next_steps) or [NextStep(reverse("website:home"), _("Home"))],
    }
    return render(request, "403.html", context, status=403)


def refusal_for_exception(request: HttpRequest, exception: BaseException | None) -> HttpResponse:
    """The 403 handler's answer: a `Refused` keeps its reason and next steps; any other
    `PermissionDenied` gets the general reason."""
    if isinstance(exception, Refused):
        return refusal_response(
            request,
            reason=exception.reason,
            next_steps=exception.next_steps,
            detail=exception.detail,
        )
    return refusal_response(request)
