"""Creating, checking and revoking storefront API keys."""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.db import utcnow
from service.storefronts.models import ApiKey, Storefront

KEY_PREFIX = "ask"


class UnknownKeyError(LookupError):
    """No key has the given prefix."""


def hash_key(key: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is safe and keeps lookups indexed.
    return hashlib.sha256(key.encode()).hexdigest()


def create_storefront(
    session: Session, name: str, slug: str | None = None, **settings: int | str
) -> Storefront:
    slug = slug or re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64] or "storefront"
    storefront = Storefront(name=name, slug=slug, **settings)
    session.add(storefront)
    session.flush()
    return storefront


def issue_key(
    session: Session, storefront: Storefront, label: str | None = None
) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the plaintext key, which is never stored."""
    prefix = f"{KEY_PREFIX}_{secrets.token_hex(4)}"
    plaintext = f"{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey(
        storefront=storefront, prefix=prefix, key_hash=hash_key(plaintext), label=label
    )
    session.add(api_key)
    session.flush()
    return api_key, plaintext


def find_storefront_by_key(session: Session, plaintext: str) -> Storefront | None:
    """The storefront of an active key; None for unknown and revoked keys alike."""
    stmt = (
        select(Storefront)
        .join(ApiKey)
        .where(ApiKey.key_hash == hash_key(plaintext), ApiKey.revoked_at.is_(None))
    )
    return session.scalars(stmt).one_or_none()


def revoke_key(session: Session, prefix: str) -> ApiKey:
    api_key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()
    if api_key is None:
        raise UnknownKeyError(f"no key with prefix {prefix!r}")
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
    return api_key
