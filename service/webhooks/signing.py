"""Secrets and signatures, per the Standard Webhooks spec, with its reference library.

A secret is `whsec_` + base64 of 32 random bytes. During a rotation's overlap both the
new and the previous secret sign (`webhook-signature: v1,<new> v1,<old>`), so a
receiver still holding the old one verifies, and one already holding the new one too.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks import Webhook


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signature_header(
    live_secrets: list[str], message_id: str, timestamp: datetime, body: str
) -> str:
    return " ".join(Webhook(secret).sign(message_id, timestamp, body) for secret in live_secrets)


def headers(
    live_secrets: list[str], message_id: str, timestamp: datetime, body: str
) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature_header(live_secrets, message_id, timestamp, body),
        "Content-Type": "application/json",
        "User-Agent": "Aftersales-Webhooks/1",
    }
