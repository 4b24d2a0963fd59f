"""Creating storefronts (with a case prefix no other storefront has), and creating,
checking and revoking their API keys."""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.db import utcnow
from service.storefronts.models import ApiKey, Storefront

KEY_PREFIX = "ask"


#: A case prefix: a letter, then letters or digits (case numbers read `ACME-000123`).
CASE_PREFIX = re.compile(r"[A-Z][A-Z0-9]{0,11}")
PREFIX_MAX = 12


class UnknownKeyError(LookupError):
    """No key has the given prefix."""


class CasePrefixError(ValueError):
    """The case prefix is malformed or another storefront has it."""


def derive_prefix(name: str) -> str:
    """`Acme Gadgets` -> `AG`, `Harbour` -> `HARB`: the initials of several words, or the
    start of a single one; `RMA` when the name has no usable letters."""
    words = re.findall(r"[A-Z0-9]+", name.upper())
    while words and not words[0][0].isalpha():
        words.pop(0)
    if not words:
        return "RMA"
    return "".join(word[0] for word in words) if len(words) > 1 else words[0][:4]


def _prefix_taken(session: Session, prefix: str) -> bool:
    return session.scalar(select(Storefront.id).where(Storefront.case_prefix == prefix)) is not None


def available_prefix(session: Session, name: str) -> str:
    """The derived prefix, or the first of `<prefix>2`, `<prefix>3`, ... still free."""
    base = derive_prefix(name)
    candidate, n = base, 1
    while _prefix_taken(session, candidate):
        n += 1
        candidate = f"{base[: PREFIX_MAX - len(str(n))]}{n}"
    return candidate


def check_prefix(session: Session, prefix: str) -> str:
    """The prefix, upper-cased, if well-formed and free; CasePrefixError otherwise."""
    prefix = prefix.strip().upper()
    if not CASE_PREFIX.fullmatch(prefix):
        raise CasePrefixError(
            f"case prefix {prefix!r} must be a letter then up to 11 letters or digits"
        )
    if _prefix_taken(session, prefix):
        raise CasePrefixError(f"case prefix {prefix!r} is already used by another storefront")
    return prefix


def hash_key(key: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is safe and keeps lookups indexed.
    return hashlib.sha256(key.encode()).hexdigest()


def create_storefront(
    session: Session,
    name: str,
    slug: str | None = None,
    case_prefix: str | None = None,
    **settings: int | str,
) -> Storefront:
    """A new storefront. Without `case_prefix` one is derived from the name; a given
    one must be free (CasePrefixError). The unique constraint backs the check when two
    storefronts are created at once."""
    slug = slug or re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64] or "storefront"
    prefix = check_prefix(session, case_prefix) if case_prefix else available_prefix(session, name)
    storefront = Storefront(name=name, slug=slug, case_prefix=prefix, **settings)
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
