"""The contact log (接听记录): every call, message or visit on a case, in or out."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, IdMixin, str_enum, utcnow


class ContactDirection(enum.StrEnum):
    #: The customer reached us (呼入).
    inbound = "in"
    #: We reached the customer (呼出).
    outbound = "out"


class ContactChannel(enum.StrEnum):
    phone = "phone"
    email = "email"
    chat = "chat"
    sms = "sms"
    visit = "visit"


class Contact(IdMixin, Base):
    __tablename__ = "contacts"

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[ContactDirection] = mapped_column(
        str_enum(ContactDirection, "contact_direction")
    )
    channel: Mapped[ContactChannel] = mapped_column(str_enum(ContactChannel, "contact_channel"))
    #: Why: what the customer asked or why we called.
    summary: Mapped[str] = mapped_column(Text)
    #: What came of it.
    outcome: Mapped[str | None] = mapped_column(Text)
    staff_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    staff_name: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
