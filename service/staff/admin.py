"""Administering staff: the one set of functions the admin pages, the CLI and the API
(`POST/PATCH /staff`) call.

- `add_staff` creates an account (role, optional storefront) with a password given or
  generated; `change_staff` changes name, role, storefront binding and active.
- Deactivating ends the person's workspace sessions and revokes their personal tokens
  at once (reactivating revives neither: they sign in again and get a new token).
- `reset_password` sets a new password (generated unless given) and ends the sessions.
- The last active administrator can be neither demoted nor deactivated, so the
  workspace never locks itself out.
- An admin bound to a storefront administers only it (`scope`): its staff, bound to it.

Bad input raises `marshmallow.ValidationError` with the failing fields by name
(`{"role": ["..."]}`), whoever called; nothing is written then. Functions flush; the
caller commits.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from service.core.db import utcnow
from service.staff.accounts import MIN_PASSWORD_LENGTH, create_staff_user
from service.staff.models import StaffRole, StaffToken, StaffUser
from service.storefronts.models import Storefront
from service.workspace.models import StaffSession

#: Fields `change_staff` accepts.
CHANGEABLE = ("name", "role", "storefront_id", "active")


def generated_password() -> str:
    return secrets.token_urlsafe(12)


def _storefront(
    session: Session, storefront_id: uuid.UUID | None, scope: uuid.UUID | None = None
) -> Storefront | None:
    if scope is not None and storefront_id != scope:
        raise ValidationError({"storefront_id": ["You may only bind staff to your storefront."]})
    if storefront_id is None:
        return None
    storefront = session.get(Storefront, storefront_id)
    if storefront is None:
        raise ValidationError({"storefront_id": ["No such storefront."]})
    return storefront


def _name(value: Any) -> str:
    name = str(value or "").strip()
    if not name or len(name) > 200:
        raise ValidationError({"name": ["A name of 1 to 200 characters is required."]})
    return name


def _role(value: Any) -> StaffRole:
    try:
        return StaffRole(value)
    except ValueError:
        choices = ", ".join(r.value for r in StaffRole)
        raise ValidationError({"role": [f"One of {choices}."]}) from None


def add_staff(
    session: Session,
    email: str,
    name: str,
    role: StaffRole | str,
    password: str | None = None,
    storefront_id: uuid.UUID | None = None,
    scope: uuid.UUID | None = None,
) -> tuple[StaffUser, str]:
    """Create a staff account; returns it and its password (generated when not given)."""
    errors: dict[str, list[str]] = {}
    for field, check in (("name", lambda: _name(name)), ("role", lambda: _role(role))):
        try:
            check()
        except ValidationError as exc:
            errors[field] = exc.messages[field]  # type: ignore[index]
    try:
        storefront = _storefront(session, storefront_id, scope)
    except ValidationError as exc:
        errors.update(exc.messages)  # type: ignore[arg-type]
        storefront = None
    if errors:
        raise ValidationError(errors)
    password = password or generated_password()
    try:
        user = create_staff_user(session, email, _name(name), _role(role), password, storefront)
    except ValueError as exc:
        # create_staff_user says "field: message".
        field, _sep, message = str(exc).partition(": ")
        raise ValidationError({field: [message]}) from exc
    return user, password


def _other_active_admins(session: Session, user: StaffUser) -> int:
    return session.scalar(
        select(func.count())
        .select_from(StaffUser)
        .where(StaffUser.role == StaffRole.admin, StaffUser.active, StaffUser.id != user.id)
    )


def end_access(session: Session, user: StaffUser) -> None:
    """Sign `user` out of every browser and revoke every personal token."""
    session.execute(delete(StaffSession).where(StaffSession.staff_user_id == user.id))
    revoke_tokens(session, user)


def revoke_tokens(session: Session, user: StaffUser) -> int:
    """Revoke all of `user`'s personal API tokens; how many were live."""
    result = session.execute(
        update(StaffToken)
        .where(StaffToken.staff_user_id == user.id, StaffToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return result.rowcount or 0


def live_tokens(session: Session, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many unrevoked personal tokens each of `user_ids` has."""
    rows = session.execute(
        select(StaffToken.staff_user_id, func.count())
        .where(StaffToken.staff_user_id.in_(user_ids), StaffToken.revoked_at.is_(None))
        .group_by(StaffToken.staff_user_id)
    )
    return {user_id: count for user_id, count in rows}


def get_staff(session: Session, scope: uuid.UUID | None, staff_id: uuid.UUID) -> StaffUser | None:
    """The staff member, if an admin of `scope` may administer them."""
    user = session.get(StaffUser, staff_id)
    if user is None or (scope is not None and user.storefront_id != scope):
        return None
    return user


def change_staff(
    session: Session, user: StaffUser, changes: dict[str, Any], scope: uuid.UUID | None = None
) -> StaffUser:
    """Apply `changes` (any of CHANGEABLE) to `user`, all or nothing."""
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for field, parse in (
        ("name", _name),
        ("role", _role),
        ("storefront_id", lambda v: _storefront(session, v, scope)),
        ("active", bool),
    ):
        if field in changes:
            try:
                values[field] = parse(changes[field])
            except ValidationError as exc:
                errors.update(exc.messages)  # type: ignore[arg-type]
    stays_admin = values.get("role", user.role) == StaffRole.admin
    stays_active = values.get("active", user.active)
    if (
        user.role == StaffRole.admin
        and user.active
        and not (stays_admin and stays_active)
        and not _other_active_admins(session, user)
    ):
        field = "active" if not stays_active else "role"
        errors.setdefault(field, []).append("The last active administrator must stay one.")
    if errors:
        raise ValidationError(errors)
    if "name" in values:
        user.name = values["name"]
    if "role" in values:
        user.role = values["role"]
    if "storefront_id" in changes:
        user.storefront_id = values["storefront_id"].id if values["storefront_id"] else None
    if "active" in values and values["active"] != user.active:
        user.active = values["active"]
        if not user.active:
            end_access(session, user)
    session.flush()
    return user


def reset_password(session: Session, user: StaffUser, password: str | None = None) -> str:
    """Set a new password (generated unless given) and end every session; returns it."""
    password = password or generated_password()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError({"password": [f"At least {MIN_PASSWORD_LENGTH} characters."]})
    user.password_hash = generate_password_hash(password)
    session.execute(delete(StaffSession).where(StaffSession.staff_user_id == user.id))
    session.flush()
    return password


def staff_by_email(session: Session, email: str) -> StaffUser | None:
    return session.scalars(
        select(StaffUser).where(StaffUser.email == email.strip().lower())
    ).first()
