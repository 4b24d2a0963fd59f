"""Staff writing on a case: a message to the customer (e-mail, SMS or both, in their
language, optionally from a saved reply), or an internal note. Saved replies (macros)
are kept per storefront here too."""

from __future__ import annotations

import string
import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.cases.lifecycle import record_event
from service.cases.models import Case
from service.contact_log.models import ContactChannel, ContactDirection
from service.contact_log.service import log_contact
from service.conversations.models import Macro, Message, MessageKind
from service.core.auth import Actor
from service.core.db import utcnow
from service.links import customer_link
from service.notifications.models import Channel, NoticeStatus, Notification
from service.notifications.outbox import write_customer_notices
from service.notifications.rendering import normalize_locale, status_words
from service.storefronts.models import Storefront

#: The placeholders a message or saved reply may use, and what each becomes.
PLACEHOLDERS: Final[dict[str, str]] = {
    "customer_name": "the customer's name",
    "case_number": "the case number",
    "status": "the case's status, in the customer's words and language",
    "status_link": "the customer's status page (a signed link)",
    "storefront_name": "the storefront's name",
}


class MessageError(ValueError):
    """A message or saved reply that cannot be sent as given (422 on `field`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def check_placeholders(text: str, field: str) -> None:
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise MessageError(field, f"Unbalanced braces: {exc}. Write {{{{ for a brace.") from exc
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            known = ", ".join(f"{{{key}}}" for key in PLACEHOLDERS)
            raise MessageError(field, f"Unknown placeholder {{{name}}}; use {known}.")


def expand(text: str, case: Case, storefront: Storefront, locale: str) -> str:
    values = {
        "customer_name": case.customer.name,
        "case_number": case.number,
        "status": status_words(case.status.value, locale),
        "status_link": customer_link(case, "status"),
        "storefront_name": storefront.name,
    }
    return text.format_map(values)


def _text_for(session: Session, case: Case, data: dict[str, Any], locale: str) -> str:
    if data.get("macro_id"):
        macro = session.get(Macro, data["macro_id"])
        if macro is None or macro.storefront_id != case.storefront_id:
            raise MessageError("macro_id", "No such saved reply for this storefront.")
        bodies = macro.bodies or {}
        text = bodies.get(locale) or bodies.get("en") or next(iter(bodies.values()), "")
    else:
        text = data.get("body") or ""
    check_placeholders(text, "body")
    if not text.strip():
        raise MessageError("body", "Write a message or choose a saved reply.")
    return text


def write_message(
    session: Session, case: Case, data: dict[str, Any], actor: Actor, now: datetime | None = None
) -> Message:
    """Send (through the outbox) or note a message on `case`. A sent one is a contact
    log entry per channel (the first outbound one meets first response) and clears
    the case's customer-replied flag; a note is never sent nor shown to the customer."""
    now = now or utcnow()
    storefront = session.get(Storefront, case.storefront_id)
    locale = normalize_locale(case.customer.locale)
    text = expand(_text_for(session, case, data, locale), case, storefront, locale)
    message = Message(
        id=uuid.uuid4(), case_id=case.id, storefront_id=case.storefront_id,
        customer_id=case.customer_id, direction=ContactDirection.outbound, body=text,
        author_id=actor.id, author_name=actor.name, matched_by="staff", created_at=now,
    )  # fmt: skip
    if data.get("internal"):
        message.kind, message.channels = MessageKind.note, []
        session.add(message)
        record_event(session, case, "note", actor, case.status, text, {}, now, internal=True)
        return message
    channels = tuple(Channel(c) for c in dict.fromkeys(data.get("channels") or ["email"]))
    message.kind, message.channels = MessageKind.message, [c.value for c in channels]
    message.notice_key = f"message:{message.id.hex}"
    session.add(message)
    rows = write_customer_notices(
        session, case, "message", message.notice_key, now, note=text, channels=channels
    )
    for row in rows:
        if row.status == NoticeStatus.failed and (row.last_error or "").startswith("render"):
            raise MessageError("body", f"Cannot be sent by {row.channel.value}: {row.last_error}")
    for channel in channels:
        log_contact(
            session,
            case,
            {"direction": ContactDirection.outbound, "channel": ContactChannel(channel.value),
             "summary": text, "occurred_at": now},
            actor,
            timeline=False,
        )  # fmt: skip
    record_event(
        session, case, "message", actor, case.status, None,
        {"message_id": str(message.id), "channels": message.channels}, now,
    )  # fmt: skip
    case.customer_replied = False
    return message


def deliveries(session: Session, message: Message) -> list[Notification]:
    if not message.notice_key:
        return []
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.event_key == message.notice_key)
            .order_by(Notification.channel)
        )
    )


def case_messages(session: Session, case: Case, *, customer_view: bool = False) -> list[Message]:
    """The conversation of a case, oldest first; the customer sees no notes and no
    machine mail."""
    stmt = select(Message).where(Message.case_id == case.id)
    if customer_view:
        stmt = stmt.where(Message.kind.in_((MessageKind.message, MessageKind.reply)))
    return list(session.scalars(stmt.order_by(Message.created_at, Message.id)))


# --- saved replies ---------------------------------------------------------------------


def save_macro(
    session: Session, macro: Macro | None, storefront_id: uuid.UUID, data: dict
) -> Macro:
    for locale, text in (data.get("bodies") or {}).items():
        check_placeholders(text, f"bodies.{locale}")
    if macro is None:
        macro = Macro(storefront_id=storefront_id)
        session.add(macro)
    if "name" in data:
        macro.name = data["name"]
    if "bodies" in data:
        macro.bodies = dict(data["bodies"])
    session.flush()
    return macro
