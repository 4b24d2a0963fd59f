"""The workspace's own tables: server-side sign-in sessions and failed sign-ins.

The database is the source of truth (any number of web processes, Redis may lose its
data): the browser's cookie carries only a random id, whose SHA-256 is stored here.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.core.db import Base, IdMixin, utcnow
from service.staff.models import StaffUser


class StaffSession(IdMixin, Base):
    """One signed-in browser. Ends at logout, after `STAFF_SESSION_IDLE_MINUTES` without
    a request, or when the account is deactivated."""

    __tablename__ = "staff_sessions"

    #: SHA-256 of the cookie's value: a leaked table signs no one in.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Moved forward at most once a minute, so reading pages is not a write per request.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    staff_user: Mapped[StaffUser] = relationship(lazy="joined", innerjoin=True)


class LoginFailure(IdMixin, Base):
    """A failed sign-in, counted per account and per address to throttle guessing."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_email_at", "email", "created_at"),
        Index("ix_login_failures_ip_at", "ip", "created_at"),
    )

    email: Mapped[str] = mapped_column(String(320))
    ip: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
