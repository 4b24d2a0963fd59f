"""The SSRF guard: where a webhook may be sent.

Checked when an endpoint is registered or changed, and again before every attempt
(an address can change after registration). The host is resolved once; every address
it resolves to must be public: private, loopback, link-local (169.254.169.254, the
cloud metadata service), multicast, reserved and unspecified ranges are refused, and
the ranges requests-hardened adds (CG-NAT, NAT64, 6to4...). Loopback is allowed only
with WEBHOOK_ALLOW_LOOPBACK (development, tests). The attempt itself goes through
requests-hardened, which connects to the address it resolved and checked, so a DNS
answer changing between check and connect (rebinding) cannot reach a private host.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from requests_hardened.ip_filter import EXTRA_BLOCKED_NET_RANGES

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(ValueError):
    """The URL may not be sent to; the message says why, for the caller."""


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (the tests replace the resolver: socket's)."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"{host} does not resolve.") from exc
    return [ipaddress.ip_address(answer[4][0].split("%")[0]) for answer in answers]


def refused_address(address: IPAddress, allow_loopback: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return not allow_loopback
    return (
        address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
        or any(address in net for net in EXTRA_BLOCKED_NET_RANGES)
    )


def check_url(url: str, allow_loopback: bool, allow_http: bool) -> None:
    """Refuse `url` (AddressRefused) unless it is http(s) to public addresses only."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise AddressRefused("Not a valid URL.") from exc
    if parts.scheme not in ("https", "http"):
        raise AddressRefused("The URL must start with https://.")
    if not parts.hostname:
        raise AddressRefused("The URL has no host.")
    if parts.username or parts.password:
        raise AddressRefused("The URL may not carry credentials.")
    addresses = resolve(parts.hostname, port)
    if not addresses or any(refused_address(a, allow_loopback) for a in addresses):
        raise AddressRefused(
            f"{parts.hostname} resolves to a private, loopback or reserved address."
        )
    if parts.scheme == "http" and not (
        allow_http or (allow_loopback and all(a.is_loopback for a in addresses))
    ):
        raise AddressRefused("The URL must start with https://.")
