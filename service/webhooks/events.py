"""The event catalog and `emit`: one event row and one delivery row per subscribed,
enabled endpoint, written in the caller's transaction (like the notices), handed to
RQ only after the commit (service.webhooks.handoff).

Every event of a case carries the case's id, number, status and version and a
per-case `sequence` (1, 2, 3...), so a receiver can tell a stale event from a newer
one and ask the feed (`GET /api/v1/events`) for what it missed.
"""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.cases.models import Case
from service.core.db import utcnow
from service.webhooks import handoff
from service.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

#: Every type an endpoint may subscribe to, with what it means (documented in the spec).
CATALOG: dict[str, str] = {
    "case.created": "A case was opened.",
    "case.status_changed": "A case moved to another status (`previous_status` in data).",
    "case.assigned": "A case's assignee, priority or escalation changed.",
    "quote.sent": "A repair quote was sent to the customer.",
    "quote.decided": "The customer approved or declined the quote.",
    "shipment.created": "The goods were shipped back to the customer.",
    "shipment.delivered": "The goods were delivered to the customer.",
    "survey.answered": "The customer answered the follow-up survey.",
    "sla.breached": "An SLA clock of the case ran late.",
    "webhook.test": "Sent on request, to test an endpoint (no case).",
}
EVENT_TYPES = tuple(CATALOG)

#: The event an action implies besides `case.status_changed`.
ACTION_EVENTS = {
    "send_quote": "quote.sent",
    "approve_quote": "quote.decided",
    "decline_quote": "quote.decided",
    "ship": "shipment.created",
    "deliver": "shipment.delivered",
}


_last_id = 0


def ordered_id() -> uuid.UUID:
    """A time-ordered id (microseconds, then randomness), increasing within a process:
    events written in one transaction keep their order in the feed's (created_at, id)."""
    global _last_id
    candidate = (time.time_ns() // 1000) << 64 | secrets.randbits(64)
    _last_id = max(candidate, _last_id + 1)
    return uuid.UUID(int=_last_id & ((1 << 128) - 1))


def case_data(case: Case) -> dict[str, Any]:
    return {
        "case_id": str(case.id),
        "number": case.number,
        "status": case.status.value,
        "version": case.version,
    }


def _subscribers(session: Session, storefront_id: uuid.UUID, type_: str) -> list[uuid.UUID]:
    endpoints = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
            WebhookEndpoint.storefront_id == storefront_id, WebhookEndpoint.enabled
        )
    ).all()
    return [eid for eid, types in endpoints if not types or type_ in types]


def emit(
    session: Session,
    case: Case,
    type_: str,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> WebhookEvent:
    """Record event `type_` of `case` and its deliveries; flushes, never commits."""
    assert type_ in CATALOG, type_
    now = now or utcnow()
    # The case row is being written in this transaction (perform() touched it), so
    # concurrent emitters of one case are serialized by its row lock; the unique
    # (case_id, sequence) catches any other.
    session.flush()
    if type_ == "case.created":
        sequence = 1  # a case's first event: no query on the hot path of intake
    else:
        sequence = (
            session.scalar(
                select(func.coalesce(func.max(WebhookEvent.sequence), 0)).where(
                    WebhookEvent.case_id == case.id
                )
            )
            + 1
        )
    body = case_data(case) | {"sequence": sequence} | (data or {})
    return _record(session, case.storefront_id, case.id, sequence, type_, body, now)


def emit_test(session: Session, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` event for one endpoint only."""
    now = utcnow()
    event = WebhookEvent(
        id=ordered_id(),
        storefront_id=endpoint.storefront_id,
        type="webhook.test",
        payload=payload("webhook.test", now, {"endpoint_id": str(endpoint.id)}),
        created_at=now,
    )
    session.add(event)
    delivery = WebhookDelivery(
        id=uuid.uuid4(), endpoint_id=endpoint.id, event=event, next_attempt_at=now
    )
    handoff.hand_over([delivery])
    session.add(delivery)
    session.flush()
    return delivery


def payload(type_: str, now: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": type_, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": data}


def _record(
    session: Session,
    storefront_id: uuid.UUID,
    case_id: uuid.UUID,
    sequence: int,
    type_: str,
    data: dict[str, Any],
    now: datetime,
) -> WebhookEvent:
    event = WebhookEvent(
        id=ordered_id(),
        storefront_id=storefront_id,
        case_id=case_id,
        type=type_,
        sequence=sequence,
        payload=payload(type_, now, data),
        created_at=now,
    )
    session.add(event)
    deliveries = [
        WebhookDelivery(
            id=uuid.uuid4(),
            endpoint_id=endpoint_id,
            event_id=event.id,
            case_id=case_id,
            sequence=sequence,
            next_attempt_at=now,
        )
        for endpoint_id in _subscribers(session, storefront_id, type_)
    ]
    handoff.hand_over(deliveries)
    session.add_all(deliveries)
    session.flush()
    return event
