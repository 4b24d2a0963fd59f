"""Taking in a customer's e-mail or SMS: claim it once, recognise machines, match it to a
case, and hand it to `replies.attach_reply` (or to the unmatched list, or to intake).

Each call is one message in the caller's transaction; the caller commits. The claim
(the INSERT of the message with its unique `external_id`) comes first, before any read,
so a second worker with the same message waits on the first and then gets an
IntegrityError: it rolls back and reports "duplicate".
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.cases.intake import open_case
from service.cases.lifecycle import record_event
from service.cases.models import Case, CaseChannel, CaseKind, CaseStatus
from service.contact_log.models import ContactDirection
from service.conversations.addresses import case_from_address, is_reply_domain, notice_ids
from service.conversations.models import Message, MessageKind
from service.conversations.parsing import InboundMail, parse
from service.conversations.replies import attach_reply, customer_actor
from service.core.auth import SYSTEM, Actor, ActorType
from service.core.db import utcnow
from service.customers.models import Customer
from service.notifications.models import Notification
from service.storefronts.models import Storefront

log = logging.getLogger(__name__)

#: A case in these states takes no reply by sender or SMS matching (a reply address or
#: In-Reply-To still finds it, so late answers are not lost).
FINISHED = (CaseStatus.closed, CaseStatus.cancelled)


@dataclass(frozen=True)
class Outcome:
    #: attached, opened, unmatched, auto_reply, bounce, duplicate, ignored.
    result: str
    message_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    reason: str | None = None


def receive_email(
    session: Session, raw: bytes, envelope_to: list[str] | None = None, now: datetime | None = None
) -> Outcome:
    now = now or utcnow()
    mail = parse(raw, envelope_to)
    if reason := _loop_reason(mail):
        log.info("inbound mail %s ignored: %s", mail.message_id, reason)
        return Outcome("ignored", reason=reason)
    kind = {"bounce": MessageKind.bounce, "auto_reply": MessageKind.auto_reply}.get(
        mail.automatic or "", MessageKind.reply
    )
    message = claim(
        session,
        Message(
            id=uuid.uuid4(), kind=kind, direction=ContactDirection.inbound, channels=["email"],
            external_id=mail.message_id[:300], address=mail.sender[:320] or None,
            subject=mail.subject or None, body=_clean(mail.stripped),
            original=_clean(raw.decode("utf-8", "replace")), author_name=mail.sender_name[:200],
            created_at=now,
        ),
    )  # fmt: skip
    if message is None:
        return Outcome("duplicate")
    if kind == MessageKind.bounce:
        return _bounce(session, message, mail, now)
    case, matched_by = match_email(session, mail)
    if case is None and matched_by is None and kind == MessageKind.reply and _to_desk(mail):
        # Never for an automatic message: the new case's notice would answer a machine.
        case, matched_by = _open_by_email(session, mail, now), "desk"
    if case is None:
        return Outcome("unmatched", message.id, reason=matched_by)
    attach_reply(session, case, message, matched_by or "sender", now)
    result = "auto_reply" if kind == MessageKind.auto_reply else "attached"
    return Outcome("opened" if matched_by == "desk" else result, message.id, case.id)


def claim(session: Session, message: Message) -> Message | None:
    """Insert the message; None when its external id was taken (by another worker too)."""
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:
        return None
    return message


def _clean(text: str) -> str:
    # The shared text rule (no NUL, no lone surrogates) applies to what we store too.
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _own_addresses() -> set[str]:
    settings = current_app.config["SETTINGS"]
    own = {parseaddr(settings.email_from)[1].lower()}
    if settings.desk_email:
        own.add(settings.desk_email.lower())
    return own


def _loop_reason(mail: InboundMail) -> str | None:
    """Mail that we sent ourselves coming back is never taken in (a loop's first turn)."""
    if not mail.sender:
        return "no sender"
    if mail.sender in _own_addresses() or is_reply_domain(mail.sender):
        return "sent by us"
    if notice_ids([mail.message_id]):
        return "one of our own notices"
    return None


def _to_desk(mail: InboundMail) -> bool:
    desk = current_app.config["SETTINGS"].desk_email
    return bool(desk) and desk.lower() in mail.recipients


def match_email(session: Session, mail: InboundMail) -> tuple[Case | None, str | None]:
    """(case, how): by the signed reply address, then In-Reply-To/References, then the
    sender's one open case. (None, "ambiguous") when the sender has several."""
    for address in mail.recipients:
        if (case_id := case_from_address(address)) and (case := session.get(Case, case_id)):
            return case, "reply_address"
    for notice_id in reversed(notice_ids(mail.reply_ids)):
        notice = session.get(Notification, notice_id)
        if notice is not None and notice.case_id is not None:
            return session.get(Case, notice.case_id), "in_reply_to"
    return _by_customer(session, Customer.email == mail.sender)


def _by_customer(session: Session, which) -> tuple[Case | None, str | None]:
    cases = session.scalars(
        select(Case)
        .join(Customer, Case.customer_id == Customer.id)
        .where(which, Case.status.notin_(FINISHED))
        .order_by(Case.created_at.desc())
        .limit(2)
    ).all()
    if len(cases) == 1:
        return cases[0], "sender"
    return None, "ambiguous" if cases else None


def _desk_storefront(session: Session) -> Storefront | None:
    slug = current_app.config["SETTINGS"].desk_storefront
    if slug:
        return session.scalars(select(Storefront).where(Storefront.slug == slug)).first()
    only = session.scalars(select(Storefront).limit(2)).all()
    return only[0] if len(only) == 1 else None


def _open_by_email(session: Session, mail: InboundMail, now: datetime) -> Case | None:
    storefront = _desk_storefront(session)
    if storefront is None:
        log.warning("mail to the desk from %s: no DESK_STOREFRONT to open it in", mail.sender)
        return None
    known = session.scalars(
        select(Customer).where(
            Customer.storefront_id == storefront.id, Customer.email == mail.sender
        )
    ).first()
    data = {
        "kind": CaseKind.inquiry,
        "channel": CaseChannel.email,
        "customer": {"email": mail.sender, "name": known.name if known else mail.sender_name},
        "description": (mail.stripped or mail.subject or "(empty e-mail)")[:10_000],
    }
    actor = Actor(ActorType.customer, None, data["customer"]["name"])
    return open_case(session, storefront, data, actor, now)


def _bounce(session: Session, message: Message, mail: InboundMail, now: datetime) -> Outcome:
    """Mark every customer with a failed address undeliverable; note it on the case."""
    for address in mail.failed_recipients:
        session.execute(
            update(Customer)
            .where(Customer.email == address, Customer.email_bounced_at.is_(None))
            .values(email_bounced_at=now, email_bounce_reason=mail.subject[:300] or "bounced")
            .execution_options(synchronize_session=False)
        )
    case = None
    for notice_id in notice_ids(mail.bounced_ids + mail.reply_ids):
        notice = session.get(Notification, notice_id)
        if notice is not None and notice.case_id is not None:
            case = session.get(Case, notice.case_id)
            break
    if case is not None:
        message.case_id, message.storefront_id = case.id, case.storefront_id
        message.customer_id, message.matched_by = case.customer_id, "in_reply_to"
        session.refresh(case.customer)
        record_event(
            session, case, "email_bounced", SYSTEM, case.status,
            ", ".join(mail.failed_recipients) or None,
            {"message_id": str(message.id), "addresses": mail.failed_recipients}, now,
            internal=True,
        )  # fmt: skip
    return Outcome("bounce", message.id, case.id if case else None)


def receive_sms(
    session: Session, phone: str, body: str, sid: str, now: datetime | None = None
) -> Outcome:
    """A non-keyword SMS: onto the sender's one open case, else the unmatched list; from
    a number no customer has, nothing at all."""
    now = now or utcnow()
    phone = phone.strip()
    customers = (
        session.scalars(select(Customer).where(Customer.phone == phone)).all() if phone else []
    )
    if not customers:
        return Outcome("ignored", reason="unknown number")
    # Twilio always sends a MessageSid; without one, the text and minute stand in for it.
    sid = sid or hashlib.sha256(f"{phone}|{body}|{now:%Y%m%d%H%M}".encode()).hexdigest()
    message = claim(
        session,
        Message(
            id=uuid.uuid4(), kind=MessageKind.reply, direction=ContactDirection.inbound,
            channels=["sms"], external_id=f"sms:{sid}"[:300], address=phone,
            body=_clean(body.strip()) or "(empty SMS)", original=_clean(body),
            author_name=customers[0].name, storefront_id=customers[0].storefront_id,
            customer_id=customers[0].id, created_at=now,
        ),
    )  # fmt: skip
    if message is None:
        return Outcome("duplicate")
    case, matched_by = _by_customer(session, Customer.phone == phone)
    if case is None:
        return Outcome("unmatched", message.id, reason=matched_by)
    attach_reply(session, case, message, "sender", now)
    return Outcome("attached", message.id, case.id)


def assign_unmatched(session: Session, message: Message, case: Case) -> Message:
    """The desk puts an unmatched message on a case; it then counts as a reply there."""
    attach_reply(session, case, message, "assigned", utcnow())
    return message


__all__ = ["Outcome", "assign_unmatched", "customer_actor", "receive_email", "receive_sms"]
