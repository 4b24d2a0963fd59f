"""What a customer's reply does to its case, whichever way it came (e-mail, SMS, or the
desk assigning an unmatched one): see the package docstring, "What a reply does"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service.cases.lifecycle import record_event
from service.cases.models import Case
from service.contact_log.models import ContactChannel, ContactDirection
from service.contact_log.service import log_contact
from service.conversations.models import Message, MessageKind
from service.core.auth import Actor, ActorType
from service.notifications.outbox import write_staff_email
from service.sla.clocks import on_customer_reply


def customer_actor(case: Case) -> Actor:
    return Actor(ActorType.customer, None, case.customer.name)


def attach_reply(
    session: Session, case: Case, message: Message, matched_by: str, now: datetime
) -> None:
    """Put a customer's message on `case`: contact log, timeline, flag, clocks, assignee."""
    message.case_id, message.storefront_id = case.id, case.storefront_id
    message.customer_id, message.matched_by = case.customer_id, matched_by
    actor = customer_actor(case)
    channel = ContactChannel(message.channels[0]) if message.channels else ContactChannel.email
    if message.kind == MessageKind.auto_reply:
        # Logged for the record; it neither flags the case nor wakes anyone.
        record_event(
            session, case, "auto_reply", actor, case.status, message.body[:500],
            {"message_id": str(message.id)}, now, internal=True,
        )  # fmt: skip
        return
    log_contact(
        session,
        case,
        {"direction": ContactDirection.inbound, "channel": channel, "summary": message.body,
         "occurred_at": now},
        actor,
        timeline=False,
    )  # fmt: skip
    record_event(
        session, case, "customer_reply", actor, case.status, None,
        {"message_id": str(message.id), "channel": channel.value}, now,
    )  # fmt: skip
    case.customer_replied = True
    on_customer_reply(case, now)
    notify_assignee(session, case, message, now)


def notify_assignee(session: Session, case: Case, message: Message, now: datetime) -> None:
    """An e-mail to the case's assignee through the outbox (once per message)."""
    assignee = case.assignee
    if assignee is None or not assignee.active or not assignee.email:
        return
    write_staff_email(
        session,
        case,
        assignee.email,
        "customer_replied",
        f"reply:{message.id.hex}",
        now,
        note=message.body,
    )
