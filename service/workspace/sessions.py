"""Staff sign-in: server-side sessions and the throttle on failed sign-ins.

1. `sign_in` checks e-mail and password (service.staff.accounts.check_login) after the
   throttle: too many failures for the account, or from the address, in the window and
   the attempt is refused with the wait, before any password is checked.
2. A success ends the browser's previous session (the id is rotated), clears the
   account's failures and stores a new `StaffSession`; the cookie carries only the
   random token, the table its SHA-256.
3. Each request finds the session by the cookie (`current_session`); one idle longer
   than the setting, or of a deactivated account, is deleted and the person signs in
   again. `last_seen_at` moves at most once a minute. Every sign-in prunes the sessions
   idle past the timeout, every failure the failures older than the window.

Functions take a session and flush; the views commit.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from service.core.contacts import normalise_email
from service.staff.accounts import MIN_PASSWORD_LENGTH, check_login
from service.staff.models import StaffUser
from service.workspace.models import LoginFailure, StaffSession

#: Failed sign-ins counted over this window...
THROTTLE_WINDOW = timedelta(minutes=15)
#: ... more than this many for one account, or from one address, and sign-in waits.
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_IP = 20
TOUCH_EVERY = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _email_key(email: str) -> str:
    try:
        return normalise_email(email)
    except ValueError:
        return email.strip().lower()[:320]


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to: `token` for the cookie, else why not."""

    token: str | None = None
    user: StaffUser | None = None
    #: "invalid", "inactive" or "throttled".
    refused: str | None = None
    retry_after: int = 0


def throttle_wait(session: Session, email: str, ip: str, now: datetime) -> int:
    """Seconds until this account and address may try again (0: now)."""
    since = now - THROTTLE_WINDOW
    waits = []
    for column, value, limit in (
        (LoginFailure.email, _email_key(email), MAX_FAILURES_PER_ACCOUNT),
        (LoginFailure.ip, ip, MAX_FAILURES_PER_IP),
    ):
        recent = select(LoginFailure.created_at).where(
            column == value, LoginFailure.created_at > since
        )
        count = session.scalar(select(func.count()).select_from(recent.subquery()))
        if count >= limit:
            # The window frees up when the oldest failure that still counts leaves it.
            oldest = session.scalar(
                recent.order_by(LoginFailure.created_at.desc()).offset(limit - 1).limit(1)
            )
            waits.append(int((oldest + THROTTLE_WINDOW - now).total_seconds()) + 1)
    return max(waits, default=0)


def sign_in(
    session: Session,
    email: str,
    password: str,
    ip: str,
    now: datetime,
    idle: timedelta,
    previous_token: str | None = None,
    user_agent: str | None = None,
) -> SignIn:
    if wait := throttle_wait(session, email, ip, now):
        return SignIn(refused="throttled", retry_after=wait)
    user = check_login(session, email, password)
    if user is None:
        inactive = session.scalars(
            select(StaffUser).where(StaffUser.email == _email_key(email), ~StaffUser.active)
        ).first()
        if inactive is not None and check_password_hash(inactive.password_hash, password):
            # Only someone who knows the password learns the account is deactivated.
            return SignIn(refused="inactive")
        # Failures that no longer count are pruned here, so the table stays small.
        session.execute(delete(LoginFailure).where(LoginFailure.created_at < now - THROTTLE_WINDOW))
        session.add(LoginFailure(email=_email_key(email), ip=ip[:64], created_at=now))
        session.flush()
        return SignIn(refused="invalid")
    if previous_token:
        end_session(session, previous_token)
    # Sessions idle past the timeout are dead anyway: pruned at every sign-in.
    session.execute(delete(StaffSession).where(StaffSession.last_seen_at < now - idle))
    session.execute(delete(LoginFailure).where(LoginFailure.email == user.email))
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=_hash(token),
            staff_user=user,
            created_at=now,
            last_seen_at=now,
            ip=ip[:64],
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    session.flush()
    return SignIn(token=token, user=user)


def current_session(
    session: Session, token: str | None, idle: timedelta, now: datetime
) -> StaffSession | None:
    """The live session of `token`; an expired one, or a deactivated account's, ends."""
    if not token:
        return None
    found = session.scalars(
        select(StaffSession).where(StaffSession.token_hash == _hash(token))
    ).one_or_none()
    if found is None:
        return None
    if not found.staff_user.active or now - found.last_seen_at > idle:
        session.delete(found)
        session.flush()
        return None
    if now - found.last_seen_at > TOUCH_EVERY:
        found.last_seen_at = now
        session.flush()
    return found


def end_session(session: Session, token: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.token_hash == _hash(token)))


def end_all_sessions(session: Session, user: StaffUser, keep_token: str | None = None) -> None:
    """Sign `user` out everywhere (deactivation, password change), except `keep_token`."""
    stmt = delete(StaffSession).where(StaffSession.staff_user_id == user.id)
    if keep_token:
        stmt = stmt.where(StaffSession.token_hash != _hash(keep_token))
    session.execute(stmt)


def change_password(
    session: Session, user: StaffUser, current: str, new: str, keep_token: str | None
) -> str | None:
    """Change `user`'s own password; the reason it was refused, or None. Other browsers
    signed in as `user` are signed out."""
    if not check_password_hash(user.password_hash, current):
        return "current"
    if len(new) < MIN_PASSWORD_LENGTH:
        return "length"
    user.password_hash = generate_password_hash(new)
    end_all_sessions(session, user, keep_token)
    session.flush()
    return None
