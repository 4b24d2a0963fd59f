"""The outbox: one row per notice, written in the transaction of the change it reports."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, IdMixin, str_enum, utcnow


class Channel(enum.StrEnum):
    email = "email"
    sms = "sms"


class NoticeStatus(enum.StrEnum):
    #: Written; to be handed to a worker (after commit, or by the sweeper).
    pending = "pending"
    #: On the RQ queue.
    queued = "queued"
    #: Waiting for a time: quiet hours for SMS, or a retry's backoff.
    deferred = "deferred"
    #: A worker holds it until `locked_until` and is talking to the provider.
    sending = "sending"
    #: The provider accepted it.
    sent = "sent"
    #: Gave up: a permanent error, or too many transient ones.
    failed = "failed"
    #: Not sent on purpose (no consent, STOP, no address, superseded by a later SMS of
    #: the case, dropped by staff); `last_error` says why.
    suppressed = "suppressed"
    #: An e-mail whose last attempt may have reached the SMTP server, held for staff to
    #: release (send again) or drop (EMAIL_UNCERTAIN_POLICY=hold).
    uncertain = "uncertain"


#: Statuses a worker may claim (deferred ones only once due).
CLAIMABLE = (NoticeStatus.pending, NoticeStatus.queued, NoticeStatus.deferred)


class Notification(IdMixin, Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # One notice per event and channel: a retried request or job cannot add a second.
        UniqueConstraint("event_key", "channel"),
        Index("ix_notifications_due", "status", "scheduled_for"),
        # The hourly cap per recipient (service.notifications.outbox) counts by these.
        Index("ix_notifications_recipient_created", "recipient", "created_at"),
    )

    #: What the notice reports: a timeline event id, or e.g. "survey_invite:<case id>".
    event_key: Mapped[str] = mapped_column(String(80))
    case_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "notice_channel"))
    #: The template's event name (the action: `ship`, `send_quote`, `survey_invite`...).
    template: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str | None] = mapped_column(String(320))
    # The rendered notice, frozen at the time of the change, so a retry re-sends exactly
    # what was first meant (and a provider can be asked whether it already has it).
    subject: Mapped[str | None] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[NoticeStatus] = mapped_column(str_enum(NoticeStatus, "notice_status"))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    scheduled_for: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    #: Set just before an attempt hands the e-mail to the SMTP server (DATA) and cleared
    #: by every claim: still set on a row whose worker died, it means that attempt may
    #: have been delivered.
    handed_over_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
