"""Conversation settings on the shared test app, and signed posts to the mail webhook."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.conversations.routes import SIGNATURE_HEADER, inbound_signature

# The live set-up of the notices' end-to-end tests (a committing app, worker processes,
# aiosmtpd and a loopback Twilio) comes from tests/live.py, a plugin of tests/conftest.py.

REPLY_DOMAIN = "reply.shop.example"
SECRET = "inbound-test-secret"
DESK = "help@shop.example"
TWILIO_TOKEN = "twilio-test-token"


@pytest.fixture
def conversations(app, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = app.config["SETTINGS"]
    monkeypatch.setattr(settings, "reply_domain", REPLY_DOMAIN)
    monkeypatch.setattr(settings, "inbound_mail_secret", SECRET)
    monkeypatch.setattr(settings, "desk_email", DESK)
    monkeypatch.setattr(settings, "twilio_auth_token", TWILIO_TOKEN)


@pytest.fixture
def post_mail(client: FlaskClient, conversations: None) -> Callable[..., Any]:
    def post(raw: bytes, signature: str | None = None):
        headers = {
            SIGNATURE_HEADER: signature if signature is not None else inbound_signature(SECRET, raw)
        }
        return client.post(
            "/webhooks/mail/inbound", data=raw, headers=headers, content_type="message/rfc822"
        )

    return post
