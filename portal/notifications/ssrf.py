"""Outbound URL safety: unless NOTIFY_ALLOW_PRIVATE_NETWORK, a channel reaches only the
public internet.

Two checks, one rule. `check_url` runs when a channel is saved and turns a refusal into a
field error. `connect_addresses` runs on every send: it resolves the name once, checks
every address it got, and returns them. The sender connects only to those addresses (see
senders.py), so a name that answers differently a moment later (DNS rebinding) cannot
steer the request into the internal network after it passed the check.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from portal.errors import ApplicationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 prefixes that carry an IPv4 address in their last 32 bits and reach it through a
# gateway: the IPv4 address is what counts.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public(ip: IPAddress) -> bool:
    """Whether `ip` is a globally reachable unicast address.

    `is_global` alone is not enough: it is true for multicast, for 6to4 addresses that wrap
    127.0.0.1, and false for everything we must refuse anyway: private, loopback, link-local
    (169.254.169.254, the cloud metadata service), shared address space (100.64.0.0/10,
    where Alibaba Cloud's metadata service 100.100.100.200 lives), 0.0.0.0, reserved.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return False  # scoped addresses are link-local by construction
        if ip.ipv4_mapped is not None:
            return is_public(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            return is_public(ip.sixtofour) and ip.is_global
        if ip in _NAT64:
            return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_private
    )


def _refusal() -> ApplicationError:
    return ApplicationError(
        _("This address points into a private network, which is not allowed here."), field="url"
    )


def _parts(url: str):
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or port == -1:
        raise ApplicationError(_("Use an http:// or https:// address."), field="url")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def connect_addresses(url: str) -> list[str] | None:
    """The addresses a send to `url` may connect to, in the resolver's order of
    preference, or None when any address is allowed (NOTIFY_ALLOW_PRIVATE_NETWORK: the
    embedded default, and sites that opt in).

    Raises ApplicationError when the URL is not http(s) or any address the name resolves
    to is not public (one bad answer is enough: the name is not trustworthy). A name that
    does not resolve raises socket.gaierror: the caller decides whether that is a field
    error (on save) or worth another try later (on send).
    """
    host, port = _parts(url)
    if settings.NOTIFY_ALLOW_PRIVATE_NETWORK:
        return None
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    addresses = []
    for _family, _type, _proto, _name, sockaddr in infos:
        try:
            ip = ipaddress.ip_address(sockaddr[0])
        except ValueError:
            raise _refusal() from None
        if isinstance(ip, ipaddress.IPv6Address) and len(sockaddr) >= 4 and sockaddr[3]:
            raise _refusal()  # a scope id: link-local, whatever the address says
        if not is_public(ip):
            raise _refusal()
        if str(ip) not in addresses:
            addresses.append(str(ip))
    if not addresses:
        raise _refusal()
    return addresses


def check_url(url: str) -> None:
    """Save-time check: refuse non-HTTP(S) URLs, and URLs whose host is (or resolves to)
    anything but a public address unless NOTIFY_ALLOW_PRIVATE_NETWORK. Sending checks
    again (connect_addresses), because settings and DNS change after a save."""
    try:
        connect_addresses(url)
    except socket.gaierror:
        raise ApplicationError(
            _("The host %(host)s cannot be resolved.") % {"host": urlsplit(url).hostname},
            field="url",
        ) from None
