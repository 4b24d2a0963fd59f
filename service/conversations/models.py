"""The conversation's tables: every message on a case (and the unmatched ones that
await a case), the saved replies, and where the IMAP poller has read up to."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.contact_log.models import ContactDirection
from service.core.db import Base, IdMixin, TimestampMixin, str_enum, utcnow


class MessageKind(enum.StrEnum):
    #: Staff wrote to the customer (sent through the outbox).
    message = "message"
    #: Staff wrote for colleagues: never sent, never on the customer's page.
    note = "note"
    #: The customer wrote (a reply, or a new inquiry by e-mail).
    reply = "reply"
    #: An out-of-office or other automatic answer: logged, changes nothing.
    auto_reply = "auto_reply"
    #: A delivery failure report (DSN): the address is marked undeliverable.
    bounce = "bounce"


class Message(IdMixin, Base):
    __tablename__ = "conversation_messages"
    __table_args__ = (Index("ix_conversation_messages_case_created", "case_id", "created_at"),)

    #: None while unmatched: the desk assigns it (`/inbound/unmatched`).
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    storefront_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE")
    )
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL")
    )
    kind: Mapped[MessageKind] = mapped_column(str_enum(MessageKind, "message_kind"))
    direction: Mapped[ContactDirection] = mapped_column(
        str_enum(ContactDirection, "contact_direction")
    )
    #: "email" and/or "sms" (ContactChannel values); none for an internal note.
    channels: Mapped[list] = mapped_column(JSON, default=list)
    #: What makes an inbound message once-only: its Message-ID, or `sms:<provider sid>`.
    external_id: Mapped[str | None] = mapped_column(String(300), unique=True)
    #: The address or number it came from (inbound) or went to (outbound).
    address: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(300))
    #: What a reader needs: quoted history and signature stripped.
    body: Mapped[str] = mapped_column(Text)
    #: The whole message as received (raw MIME or SMS text), kept for disputes.
    original: Mapped[str | None] = mapped_column(Text)
    #: How it was matched: reply_address, in_reply_to, sender, desk, assigned, staff.
    matched_by: Mapped[str | None] = mapped_column(String(20))
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    author_name: Mapped[str] = mapped_column(String(200))
    #: The e-mail/SMS notices a staff message went out as (Notification.event_key).
    notice_key: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Macro(IdMixin, TimestampMixin, Base):
    """A saved reply of a storefront, one text per locale, with placeholders."""

    __tablename__ = "conversation_macros"
    __table_args__ = (UniqueConstraint("storefront_id", "name"),)

    storefront_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(100))
    #: {"en": "...", "zh-CN": "..."}; the customer's locale is used, else English.
    bodies: Mapped[dict] = mapped_column(JSON)


class MailboxCursor(Base):
    """The highest IMAP UID read per mailbox and UIDVALIDITY, so a poll fetches only
    what is new (a changed UIDVALIDITY restarts from the beginning; dedupe on
    Message-ID keeps that harmless)."""

    __tablename__ = "conversation_mailbox_cursors"

    mailbox: Mapped[str] = mapped_column(String(400), primary_key=True)
    uid_validity: Mapped[int] = mapped_column(default=0, server_default="0")
    last_uid: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
