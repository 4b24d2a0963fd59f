"""Signed customer links (itsdangerous): per case and purpose, expiring, and revocable by
rotating the case's `link_key`, which every token carries."""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid
from typing import Protocol

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

#: Purpose -> how long its links stay valid, in days.
PURPOSES = {"status": 60, "quote": 30, "survey": 14}


class LinkedCase(Protocol):
    """What a link needs of a case. The case model builds on this module (its
    `link_key` default comes from here), so this module must not import the model."""

    id: uuid.UUID
    link_key: str


class LinkInvalid(Exception):
    """Tampered, for another purpose, or revoked (403)."""


class LinkExpired(Exception):
    """Genuine but too old (410)."""


def new_link_key() -> str:
    return secrets.token_urlsafe(6)


def _signer(purpose: str) -> TimestampSigner:
    # The purpose is the salt: a status-page token cannot open the survey.
    return TimestampSigner(current_app.config["SECRET_KEY"], salt=f"customer-link:{purpose}")


def make_token(case: LinkedCase, purpose: str) -> str:
    # Compact on purpose: the link goes into SMS, where every character counts.
    case_part = base64.urlsafe_b64encode(case.id.bytes).decode().rstrip("=")
    return _signer(purpose).sign(f"{case_part}.{case.link_key}").decode()


def customer_link(case: LinkedCase, purpose: str) -> str:
    """The absolute URL a customer opens for `purpose` (status, quote, survey)."""
    base = current_app.config["SETTINGS"].public_base_url
    path = {"status": "c", "quote": "c/quote", "survey": "c/survey"}[purpose]
    return f"{base}/{path}/{make_token(case, purpose)}"


def read_token(token: str, purpose: str) -> tuple[uuid.UUID, str]:
    """(case id, link key) from a token; the caller checks the key against the case."""
    try:
        value = _signer(purpose).unsign(token, max_age=PURPOSES[purpose] * 86400).decode()
        case_part, link_key = value.split(".", 1)
        case_id = uuid.UUID(bytes=base64.urlsafe_b64decode(case_part + "=="))
        return case_id, link_key
    except SignatureExpired as exc:
        raise LinkExpired from exc
    except (BadSignature, binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise LinkInvalid from exc
