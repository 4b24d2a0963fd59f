"""Service staff: the people who work the queue in the admin UI and the staff API."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.core.db import Base, IdMixin, TimestampMixin, str_enum


class StaffRole(enum.StrEnum):
    #: Takes calls, registers cases and goods, follows up.
    agent = "agent"
    #: Diagnoses, quotes and repairs.
    technician = "technician"
    #: Everything an agent and a technician do, plus escalations and reports.
    supervisor = "supervisor"
    #: Manages storefronts, keys and staff.
    admin = "admin"
    #: Scores agents' logged contacts against the quality rubric (质检); reads reports.
    qa_reviewer = "qa_reviewer"


class StaffUser(IdMixin, TimestampMixin, Base):
    __tablename__ = "staff_users"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[StaffRole] = mapped_column(str_enum(StaffRole, "staff_role"))
    password_hash: Mapped[str] = mapped_column(String(256))
    #: None: works for every storefront (the usual service desk); else only this one.
    storefront_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    #: The workspace's language for this person (None: the browser's).
    locale: Mapped[str | None] = mapped_column(String(10))


class StaffToken(IdMixin, TimestampMixin, Base):
    """A staff member's personal API token (`Authorization: Bearer ast_...`), hashed."""

    __tablename__ = "staff_tokens"

    staff_user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None]

    staff_user: Mapped[StaffUser] = relationship(lazy="joined", innerjoin=True)
