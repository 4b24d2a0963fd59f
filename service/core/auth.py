"""Who is calling. Everyone authenticates with `Authorization: Bearer <token>`:

- storefronts with an API key (`ask_...`), scoped to their own cases;
- staff with a personal token (`ast_...`), scoped to their storefront or to all.

Unknown, revoked and missing credentials get one and the same 401.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
import uuid
from dataclasses import dataclass

from flask import g, request
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core import db
from service.core.db import utcnow
from service.staff.models import StaffRole, StaffToken, StaffUser
from service.storefronts.keys import find_key, note_use
from service.storefronts.models import Storefront

STAFF_TOKEN_PREFIX = "ast"


class ActorType(enum.StrEnum):
    #: A storefront's system, through its API key.
    storefront = "storefront"
    #: A service-desk person.
    staff = "staff"
    #: The customer, through a signed link.
    customer = "customer"
    #: The service itself (scheduled jobs, carrier updates).
    system = "system"


@dataclass(frozen=True)
class Actor:
    """Who did something, as the timeline records it."""

    type: ActorType
    id: uuid.UUID | None
    name: str
    role: StaffRole | None = None


SYSTEM = Actor(ActorType.system, None, "Aftersales")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of an API request."""

    storefront: Storefront | None = None
    staff: StaffUser | None = None
    #: The public prefix of the API key or staff token used: each has its own rate
    #: budgets (service.core.ratelimit). None when signed in through the workspace.
    credential: str | None = None

    @property
    def key(self) -> str:
        """A stable identity string (idempotency keys are per caller)."""
        if self.staff is not None:
            return f"staff:{self.staff.id}"
        assert self.storefront is not None
        return f"storefront:{self.storefront.id}"

    @property
    def scope(self) -> uuid.UUID | None:
        """The one storefront whose data this caller sees; None means every storefront."""
        if self.staff is not None:
            return self.staff.storefront_id
        assert self.storefront is not None
        return self.storefront.id

    @property
    def actor(self) -> Actor:
        if self.staff is not None:
            return Actor(ActorType.staff, self.staff.id, self.staff.name, self.staff.role)
        assert self.storefront is not None
        return Actor(ActorType.storefront, self.storefront.id, self.storefront.name)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_staff_token(session: Session, user: StaffUser) -> str:
    """A new personal token for `user`; only its hash is stored."""
    prefix = f"{STAFF_TOKEN_PREFIX}_{secrets.token_hex(4)}"
    plaintext = f"{prefix}_{secrets.token_urlsafe(32)}"
    session.add(StaffToken(staff_user=user, prefix=prefix, token_hash=_hash(plaintext)))
    session.flush()
    return plaintext


def _staff_by_token(session: Session, token: str) -> StaffToken | None:
    return session.scalars(
        select(StaffToken)
        .join(StaffUser)
        .where(
            StaffToken.token_hash == _hash(token), StaffToken.revoked_at.is_(None), StaffUser.active
        )
    ).one_or_none()


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def identify() -> Principal | None:
    """Who the bearer token names, or None; looked up once per request (the rate
    limiter asks before the view does)."""
    if "identified" in g:
        return g.identified
    token = bearer_token()
    principal = None
    if token and token.startswith(f"{STAFF_TOKEN_PREFIX}_"):
        staff_token = _staff_by_token(db.session(), token)
        if staff_token is not None:
            principal = Principal(staff=staff_token.staff_user, credential=staff_token.prefix)
    elif token:
        api_key = find_key(db.session(), token)
        if api_key is not None:
            principal = Principal(storefront=api_key.storefront, credential=api_key.prefix)
        if api_key is not None and note_use(db.session(), api_key, utcnow()):
            # Nothing else is pending yet: commit the note on its own, so a read-only
            # request (never committed) keeps it and a failed one does not undo it.
            db.session().commit()
    g.identified = principal
    return principal


def authenticate() -> Principal:
    principal = identify()
    if principal is None:
        abort(
            401,
            message="A valid API key or staff token is required: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": 'Bearer realm="aftersales"'},
        )
    return principal


def current_principal() -> Principal:
    return g.principal


def require_staff() -> StaffUser:
    staff = g.principal.staff
    if staff is None:
        abort(403, message="Only service staff may do this.")
    return staff


def require_admin() -> StaffUser:
    """The staff member, if an administrator; anyone else gets 403."""
    staff = require_staff()
    if staff.role != StaffRole.admin:
        abort(403, message="Only administrators may do this.")
    return staff
