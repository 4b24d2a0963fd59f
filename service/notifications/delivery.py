"""Sending one notice, exactly once as far as the provider can tell.

1. Claim: a compare-and-set UPDATE moves the row to `sending` with a lease; only one
   worker can win it, on SQLite and PostgreSQL alike. The claim is committed before
   any outside I/O, and no transaction is open while the provider is talking.
2. Send. On a retry (attempts > 1) the provider is first asked whether it already has
   this notice (Twilio: the Messages list; file backends: the file), so a worker killed
   after the provider accepted does not cause a second copy.
3. SMTP cannot be asked, so its window is kept narrow and on the record (`Handover`):
   just before DATA the row is marked `handed_over_at` (refused if the lease was lost
   meanwhile), and the server's 250 is committed as `sent` at once, before QUIT.
4. Mark sent, or schedule a retry with exponential backoff, or fail for good.
A worker that dies mid-send leaves the row `sending`; when the lease ends the sweeper
hands it to another worker, which reconciles as in 2. An e-mail left `sending` with
`handed_over_at` set (or whose connection broke during DATA) may have been delivered:
EMAIL_UNCERTAIN_POLICY=resend sends it again (at least once), `hold` marks it
`uncertain` for staff to release or drop (at most once; `service.notifications.uncertain`).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from service.cases.models import Case
from service.conversations.addresses import reply_address
from service.core.db import utcnow
from service.customers.models import Customer
from service.notifications.backends import (
    EmailMessage,
    PermanentSendError,
    SendError,
    SmsMessage,
    SmtpEmailBackend,
    UncertainSendError,
)
from service.notifications.backends.configured import email_backend, sms_backend
from service.notifications.consent import suppression_reason
from service.notifications.models import CLAIMABLE, Channel, NoticeStatus, Notification
from service.notifications.quiet_hours import sms_quiet_until, superseded, superseded_by
from service.notifications.rendering import STAFF_EVENTS
from service.storefronts.models import Storefront

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    """What the send needs, copied out so no session is open during outside I/O."""

    id: uuid.UUID
    channel: Channel
    recipient: str
    subject: str | None
    body_text: str
    body_html: str | None
    attempts: int
    created_at: datetime
    #: The case's reply address for a customer e-mail (service/conversations/addresses.py).
    reply_to: str | None = None

    @property
    def idempotency_key(self) -> str:
        return f"notice-{self.id}.{self.channel.value}"


def claimable(now: datetime):
    return or_(
        and_(Notification.status.in_(CLAIMABLE), Notification.scheduled_for <= now),
        # A worker died (or stalled) mid-send: its lease is over.
        and_(Notification.status == NoticeStatus.sending, Notification.locked_until < now),
    )


def claim(
    session: Session, notice_id: uuid.UUID, now: datetime, channel: Channel | None = None
) -> Claimed | None:
    """Claim a notice (of `channel` only, if given) with a lease and commit: one UPDATE
    ... RETURNING what the send needs. Under EMAIL_UNCERTAIN_POLICY=hold an e-mail whose
    dead worker had begun DATA is not claimed (`hold_uncertain` takes it)."""
    settings = current_app.config["SETTINGS"]
    lease = timedelta(seconds=settings.notice_lease_seconds)
    conditions = [Notification.id == notice_id, claimable(now)]
    if channel is not None:
        conditions.append(Notification.channel == channel)
    if settings.email_uncertain_policy == "hold":
        conditions.append(
            or_(Notification.status != NoticeStatus.sending, Notification.handed_over_at.is_(None))
        )
    row = session.execute(
        update(Notification)
        .where(*conditions)
        .values(
            status=NoticeStatus.sending,
            attempts=Notification.attempts + 1,
            locked_until=now + lease,
            handed_over_at=None,
            updated_at=now,
        )
        .returning(*_CLAIMED)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if row is None:
        return None  # nothing changed: no commit, the caller's next step goes on
    session.commit()
    return Claimed(
        id=row.id,
        channel=row.channel,
        recipient=row.recipient or "",
        subject=row.subject,
        body_text=row.body_text,
        body_html=row.body_html,
        attempts=row.attempts,
        created_at=row.created_at,
        reply_to=reply_address(row.case_id) if row.template not in STAFF_EVENTS else None,
    )


_CLAIMED = (
    Notification.id,
    Notification.channel,
    Notification.recipient,
    Notification.subject,
    Notification.body_text,
    Notification.body_html,
    Notification.attempts,
    Notification.created_at,
    Notification.case_id,
    Notification.template,
)


def take(session: Session, notice_id: uuid.UUID, now: datetime) -> Claimed | str | None:
    """The delivery job's first step: the claimed notice, what held it back (a string),
    or None (not due, finished, or another worker's). An e-mail is claimed in one
    statement; an SMS is checked against the send-time rules first (`hold_back`)."""
    claimed = claim(session, notice_id, now, channel=Channel.email)
    if claimed is None:
        claimed = hold_back(session, notice_id, now) or claim(session, notice_id, now)
    if claimed is None and current_app.config["SETTINGS"].email_uncertain_policy == "hold":
        return hold_uncertain(session, notice_id, now)
    return claimed


def hold_back(session: Session, notice_id: uuid.UUID, now: datetime) -> str | None:
    """Reasons not to send a due notice now, decided again at send time: an SMS that
    became due inside quiet hours (a late retry, a Redis outage) waits for the morning,
    one whose customer replied STOP meanwhile is suppressed, and a deferred one that a
    later SMS of its case superseded is suppressed as such."""
    # The row with its customer and storefront in one SELECT (the job's only read).
    found = session.execute(
        select(Notification, Customer, Storefront)
        .join(Case, Case.id == Notification.case_id)
        .join(Customer, Customer.id == Case.customer_id)
        .join(Storefront, Storefront.id == Case.storefront_id)
        .where(
            Notification.id == notice_id,
            Notification.channel == Channel.sms,
            Notification.status.in_(CLAIMABLE),
        )
    ).one_or_none()
    if found is None:
        return None
    row, customer, storefront = found
    if reason := suppression_reason(customer, Channel.sms):
        row.status, row.last_error, row.updated_at = NoticeStatus.suppressed, reason, now
        session.commit()
        return "suppressed"
    if row.status == NoticeStatus.deferred and (later := superseded_by(session, row)):
        row.status, row.last_error, row.updated_at = NoticeStatus.suppressed, superseded(later), now
        session.commit()
        return "suppressed: superseded"
    wait = sms_quiet_until(now, customer, storefront)
    if wait is None:
        return None
    row.status, row.scheduled_for, row.updated_at = NoticeStatus.deferred, wait, now
    session.commit()
    return "deferred: quiet hours"


UNCERTAIN_AFTER_DEATH = (
    "uncertain: the worker stopped after handing the e-mail to the SMTP server; "
    "it may have been delivered"
)


def hold_uncertain(session: Session, notice_id: uuid.UUID, now: datetime) -> str | None:
    """Under EMAIL_UNCERTAIN_POLICY=hold, an e-mail whose worker died after DATA began
    (its lease ran out with `handed_over_at` still set) is held as `uncertain`."""
    if current_app.config["SETTINGS"].email_uncertain_policy != "hold":
        return None
    held = session.execute(
        update(Notification)
        .where(
            Notification.id == notice_id,
            Notification.channel == Channel.email,
            Notification.status == NoticeStatus.sending,
            Notification.locked_until < now,
            Notification.handed_over_at.is_not(None),
        )
        .values(
            status=NoticeStatus.uncertain,
            locked_until=None,
            last_error=UNCERTAIN_AFTER_DEATH,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return "held: uncertain" if held else None


class LeaseLost(Exception):
    """Another worker took the notice over while this one was slow: do not hand it over."""


class Handover:
    """Records an e-mail's SMTP transaction on its row as it happens (step 3), in the
    job's second session (opened after the claim's was closed)."""

    def __init__(self, session: Session, notice: Claimed) -> None:
        self.session = session
        self.notice = notice
        self.sent = False

    def _ours(self):
        return and_(
            Notification.id == self.notice.id,
            Notification.status == NoticeStatus.sending,
            Notification.attempts == self.notice.attempts,
        )

    def before_data(self) -> None:
        now = utcnow()
        marked = self.session.execute(
            update(Notification)
            .where(self._ours(), Notification.locked_until >= now)
            .values(handed_over_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        self.session.commit()
        if marked != 1:
            raise LeaseLost(f"notice {self.notice.id}: lease lost before DATA")

    def accepted(self, provider_id: str) -> None:
        try:
            finish(self.session, self.notice, provider_id, None, utcnow())
            self.sent = True
        except SQLAlchemyError:
            # Sent, but not on the record: marked after QUIT, or left to the lease.
            log.warning("notice %s accepted but not yet marked sent", self.notice.id)
            try:
                self.session.rollback()
            except SQLAlchemyError:
                self.session.invalidate()


def send(notice: Claimed, handover: Handover | None = None) -> str:
    """Hand the notice to its provider; returns the provider's message id. An SMTP
    send reports its progress to `handover`."""
    if notice.channel == Channel.email:
        backend = email_backend()
        message = EmailMessage(
            to=notice.recipient,
            subject=notice.subject or "",
            text=notice.body_text,
            html=notice.body_html or "",
            idempotency_key=notice.idempotency_key,
            reply_to=notice.reply_to,
        )
    else:
        backend = sms_backend()
        message = SmsMessage(
            to=notice.recipient, body=notice.body_text, idempotency_key=notice.idempotency_key
        )
    if notice.attempts > 1:
        already = backend.find_sent(message, since=notice.created_at)
        if already:
            log.info("notice %s was already accepted as %s; not sending again", notice.id, already)
            return already
    if handover is not None and isinstance(backend, SmtpEmailBackend):
        return backend.send(message, handover=handover)
    return backend.send(message)


def finish(
    session: Session,
    notice: Claimed,
    provider_id: str | None,
    error: SendError | None,
    now: datetime,
) -> NoticeStatus:
    settings = current_app.config["SETTINGS"]
    values: dict = {"locked_until": None, "handed_over_at": None, "updated_at": now}
    if error is None:
        values |= {
            "status": NoticeStatus.sent,
            "provider_message_id": provider_id,
            "sent_at": now,
            "last_error": None,
        }
    elif isinstance(error, UncertainSendError) and settings.email_uncertain_policy == "hold":
        values |= {"status": NoticeStatus.uncertain, "last_error": _describe(error)}
    elif isinstance(error, PermanentSendError) or notice.attempts >= settings.notice_max_attempts:
        values |= {"status": NoticeStatus.failed, "last_error": _describe(error)}
    else:
        backoff = settings.notice_retry_seconds * 2 ** (notice.attempts - 1)
        values |= {
            "status": NoticeStatus.deferred,
            "last_error": _describe(error),
            "scheduled_for": now + timedelta(seconds=min(backoff, 6 * 3600)),
        }
    session.execute(
        update(Notification)
        .where(Notification.id == notice.id, Notification.status == NoticeStatus.sending)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return values["status"]


def _describe(error: SendError) -> str:
    code = getattr(error, "code", None)
    kind = (
        "permanent"
        if isinstance(error, PermanentSendError)
        else "uncertain"
        if isinstance(error, UncertainSendError)
        else "transient"
    )
    return f"{kind}{f' [{code}]' if code else ''}: {error}"


def due_ids(session: Session, now: datetime, requeue_after: timedelta, limit: int = 500) -> list:
    """Notices the sweeper should hand to RQ: due and unclaimed, queued too long ago
    (the job was lost with Redis), or held by a worker whose lease ran out."""
    stale_queue = and_(
        Notification.status == NoticeStatus.queued, Notification.updated_at < now - requeue_after
    )
    due = or_(
        and_(
            Notification.status.in_((NoticeStatus.pending, NoticeStatus.deferred)),
            Notification.scheduled_for <= now,
        ),
        stale_queue,
        and_(Notification.status == NoticeStatus.sending, Notification.locked_until < now),
    )
    stmt = select(Notification.id).where(due).order_by(Notification.scheduled_for).limit(limit)
    return list(session.scalars(stmt))
