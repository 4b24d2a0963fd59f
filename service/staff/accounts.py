"""Creating staff users and checking their passwords."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from service.core.contacts import normalise_email
from service.staff.models import StaffRole, StaffUser
from service.storefronts.models import Storefront

MIN_PASSWORD_LENGTH = 10


def create_staff_user(
    session: Session,
    email: str,
    name: str,
    role: StaffRole,
    password: str,
    storefront: Storefront | None = None,
) -> StaffUser:
    try:
        email = normalise_email(email)
    except ValueError as exc:
        raise ValueError(f"email: {exc}") from exc
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalars(select(StaffUser).where(StaffUser.email == email)).first():
        raise ValueError(f"email: {email} already has an account")
    user = StaffUser(
        email=email,
        name=name,
        role=role,
        password_hash=generate_password_hash(password),
        storefront_id=storefront.id if storefront else None,
    )
    session.add(user)
    session.flush()
    return user


def check_login(session: Session, email: str, password: str) -> StaffUser | None:
    user = session.scalars(
        select(StaffUser).where(StaffUser.email == email.strip().lower(), StaffUser.active)
    ).one_or_none()
    if user is None or not check_password_hash(user.password_hash, password):
        return None
    return user
