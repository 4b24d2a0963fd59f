"""Logging calls and messages on a case (接听记录)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.cases.lifecycle import record_event
from service.cases.models import Case
from service.contact_log.models import Contact, ContactDirection
from service.core.auth import Actor
from service.core.db import utcnow


def log_contact(
    session: Session, case: Case, data: dict[str, Any], actor: Actor, *, timeline: bool = True
) -> Contact:
    """Record a contact; the first outbound one answers the case (first response).

    A conversation message (service/conversations/) writes its own, customer-visible
    timeline event and passes `timeline=False`."""
    now = utcnow()
    contact = Contact(
        case_id=case.id,
        direction=data["direction"],
        channel=data["channel"],
        summary=data["summary"],
        outcome=data.get("outcome"),
        staff_id=actor.id,
        staff_name=actor.name,
        occurred_at=data.get("occurred_at", now),
        created_at=now,
    )
    session.add(contact)
    if contact.direction == ContactDirection.outbound and case.first_responded_at is None:
        case.first_responded_at = min(contact.occurred_at, now)
    if not timeline:
        session.flush()
        return contact
    record_event(
        session,
        case,
        "contact",
        actor,
        case.status,
        data["summary"],
        {"direction": contact.direction.value, "channel": contact.channel.value},
        now,
        internal=True,
    )
    return contact


def case_contacts(session: Session, case: Case) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact).where(Contact.case_id == case.id).order_by(Contact.occurred_at)
        )
    )
