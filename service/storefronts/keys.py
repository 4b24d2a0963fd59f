"""Creating storefronts (with a case prefix no other storefront has), and creating,
checking and revoking their API keys.

Only a key's SHA-256 is stored: the key itself is shown once, when issued. Each
authenticated request notes when the key was used (`note_use`), at most once a
minute per key, so reading the API is not a write per request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from service.core.db import utcnow
from service.storefronts.models import ApiKey, Storefront

KEY_PREFIX = "ask"
#: `last_used_at` moves at most this often.
NOTE_USE_EVERY = timedelta(minutes=1)


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


def find_key(session: Session, plaintext: str) -> ApiKey | None:
    """The active key (with its storefront); None for unknown and revoked keys alike."""
    stmt = (
        select(ApiKey)
        .join(ApiKey.storefront)
        .where(ApiKey.key_hash == hash_key(plaintext), ApiKey.revoked_at.is_(None))
        # The storefront from the same row: every authenticated request needs it.
        .options(contains_eager(ApiKey.storefront))
    )
    return session.scalars(stmt).one_or_none()


def find_storefront_by_key(session: Session, plaintext: str) -> Storefront | None:
    """The storefront of an active key; None for unknown and revoked keys alike."""
    api_key = find_key(session, plaintext)
    return api_key.storefront if api_key else None


def note_use(session: Session, api_key: ApiKey, now: datetime) -> bool:
    """Record that `api_key` was used, unless that was noted under a minute ago; True
    when it wrote. The UPDATE re-checks the time, so processes racing write once."""
    if api_key.last_used_at is not None and now - api_key.last_used_at < NOTE_USE_EVERY:
        return False
    result = session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == api_key.id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - NOTE_USE_EVERY),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:
        return False
    set_committed_value(api_key, "last_used_at", now)
    return True


def storefront_keys(session: Session, storefront_id: uuid.UUID) -> list[ApiKey]:
    """A storefront's keys, live ones first, newest first."""
    stmt = (
        select(ApiKey)
        .where(ApiKey.storefront_id == storefront_id)
        .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id)
    )
    return list(session.scalars(stmt))


def revoke_key(session: Session, prefix: str) -> ApiKey:
    api_key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()
    if api_key is None:
        raise UnknownKeyError(f"no key with prefix {prefix!r}")
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
    return api_key


def storefront_key(session: Session, storefront_id: uuid.UUID, prefix: str) -> ApiKey | None:
    """The key named `prefix`, if it is this storefront's."""
    return session.scalars(
        select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.storefront_id == storefront_id)
    ).one_or_none()
