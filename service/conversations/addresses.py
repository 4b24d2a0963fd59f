"""Reply addresses and Message-IDs: how an e-mail we sent is recognised when it comes back.

Every customer e-mail carries `Reply-To: c<token>@<REPLY_DOMAIN>`. The token is the
case id and an HMAC of it (keyed by SECRET_KEY, salted by purpose), base32 in lower
case: mail systems may lower-case a local part, so the house's itsdangerous tokens
(mixed case) would not survive the trip. 39 characters, unguessable, bound to one case.

Our Message-IDs are deterministic (`<notice-<notification id>.email@aftersales>`, see
service/notifications/backends/smtp.py), so `In-Reply-To`/`References` lead back to the
notice and through it to its case.

Pure functions: no database, only the app's secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import uuid
from email.utils import getaddresses
from typing import Final

from flask import current_app

_MAC_BYTES: Final = 8
_TOKEN: Final = re.compile(r"c([a-z2-7]{39})")
_NOTICE_ID: Final = re.compile(
    r"<notice-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.email@[^>]+>"
)


def _mac(case_id: uuid.UUID) -> bytes:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"reply-address:" + case_id.bytes, hashlib.sha256).digest()[:_MAC_BYTES]


def reply_token(case_id: uuid.UUID) -> str:
    raw = case_id.bytes + _mac(case_id)
    return "c" + base64.b32encode(raw).decode().rstrip("=").lower()


def reply_address(case_id: uuid.UUID | None) -> str | None:
    """The case's reply address, or None when no REPLY_DOMAIN is configured."""
    domain = current_app.config["SETTINGS"].reply_domain
    if case_id is None or not domain:
        return None
    return f"{reply_token(case_id)}@{domain}"


def case_from_address(address: str) -> uuid.UUID | None:
    """The case a reply address names, if its signature is genuine (else None)."""
    domain = current_app.config["SETTINGS"].reply_domain
    local, _, host = address.strip().lower().rpartition("@")
    if not domain or host != domain.lower():
        return None
    # Sub-addressing ("c...+tag@") is how some clients thread; the token comes first.
    match = _TOKEN.fullmatch(local.split("+", 1)[0])
    if not match:
        return None
    try:
        raw = base64.b32decode(match.group(1).upper() + "=")
    except (binascii.Error, ValueError):
        return None
    case_id, mac = uuid.UUID(bytes=raw[:16]), raw[16:]
    return case_id if hmac.compare_digest(mac, _mac(case_id)) else None


def is_reply_domain(address: str) -> bool:
    domain = current_app.config["SETTINGS"].reply_domain
    return bool(domain) and address.strip().lower().endswith("@" + domain.lower())


def notice_ids(header_values: list[str]) -> list[uuid.UUID]:
    """Our notices named in Message-ID-like headers (In-Reply-To, References), newest
    reference last as RFC 5322 orders them."""
    found = []
    for value in header_values:
        found += [uuid.UUID(m) for m in _NOTICE_ID.findall(value.lower())]
    return found


def addresses(*header_values: str | None) -> list[str]:
    """Bare, lower-cased addresses from address headers."""
    return [addr.lower() for _name, addr in getaddresses([v for v in header_values if v]) if addr]
