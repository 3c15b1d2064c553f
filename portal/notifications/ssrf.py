"""Outbound URL safety: in production a channel may not point into private networks."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from portal.errors import ApplicationError


def _blocked(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def check_url(url: str) -> None:
    """Refuse non-HTTP(S) URLs, and URLs resolving to private, loopback or link-local
    addresses unless NOTIFY_ALLOW_PRIVATE_NETWORK. Checked on save and again on send,
    because DNS can change between the two."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApplicationError(_("Use an http:// or https:// address."), field="url")
    if settings.NOTIFY_ALLOW_PRIVATE_NETWORK:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        raise ApplicationError(
            _("The host %(host)s cannot be resolved.") % {"host": parts.hostname}, field="url"
        ) from None
    for info in infos:
        if _blocked(info[4][0]):
            raise ApplicationError(
                _("This address points into a private network, which is not allowed here."),
                field="url",
            )
