"""The guards and effects of the transition table (service.cases.transitions).

A guard says why an action is not possible now (None: it is), beyond status, kind and
actor. An effect writes what the action changes besides the status (receipts, a quote,
a shipment...) and returns the data for the timeline event; it never assigns a status —
`perform()` in service.cases.lifecycle does that after the effect ran.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service.cases.errors import ActionDataError, ActionRefused
from service.cases.models import Case, CaseStatus, ItemReceipt
from service.core.auth import Actor, ActorType
from service.quotes.models import DecisionChannel, QuoteStatus
from service.quotes.service import create_quote, current_quote
from service.shipments.carriers import TrackingNumberError, resolve_tracking
from service.shipments.models import Direction, Shipment
from service.staff.models import StaffRole, StaffUser
from service.tracking import subscriptions as tracking_subscriptions

Effect = Callable[[Session, Case, dict[str, Any], Actor, datetime], dict[str, Any]]
Guard = Callable[[Case, Actor, datetime], str | None]


# --- guards -------------------------------------------------------------------------


def covered_by_warranty(case: Case, _actor: Actor, _now: datetime) -> str | None:
    if all(item.in_warranty for item in case.items):
        return None
    return "Not every item is in warranty: send a quote for the customer to approve."


def storefront_only_before_receipt(case: Case, actor: Actor, _now: datetime) -> str | None:
    if actor.type == ActorType.storefront and case.status not in (
        CaseStatus.open,
        CaseStatus.awaiting_item,
    ):
        return "A storefront can cancel only before the item is received; ask the service desk."
    return None


#: Guards that read nothing of the case but its status (and the actor): they can run on
#: a list row, which has no items or quotes loaded (service.cases.lifecycle.needs_relations).
STATUS_ONLY_GUARDS: frozenset[Guard] = frozenset({storefront_only_before_receipt})


def quote_decidable(case: Case, _actor: Actor, now: datetime) -> str | None:
    quote = current_quote(case)
    if quote is None or quote.status != QuoteStatus.pending:
        return "There is no pending quote."
    if quote.expired(now):
        return f"Quote {quote.revision} expired at {quote.valid_until.isoformat()}."
    return None


# --- effects ------------------------------------------------------------------------


def note_shipping_instructions(
    session: Session, case: Case, data: dict, actor: Actor, now: datetime
) -> dict:
    return {"shipping_instructions": data["shipping_instructions"]}


def register_receipts(
    session: Session, case: Case, data: dict, actor: Actor, now: datetime
) -> dict:
    items = {item.id: item for item in case.items}
    seen: set = set()
    for index, line in enumerate(data["items"]):
        item = items.get(line["item_id"])
        if item is None:
            raise ActionDataError(f"items.{index}.item_id", "Not an item of this case.")
        if item.id in seen:
            raise ActionDataError(f"items.{index}.item_id", "Listed twice.")
        seen.add(item.id)
    if missing := [str(item_id) for item_id in items if item_id not in seen]:
        raise ActionDataError("items", f"Register every item of the case; missing: {missing}.")
    for line in data["items"]:
        items[line["item_id"]].receipts.append(
            ItemReceipt(
                condition=line["condition"],
                accessories=line["accessories"],
                serial_number_seen=line.get("serial_number_seen"),
                notes=line.get("notes"),
                received_by_id=actor.id if actor.type == ActorType.staff else None,
                received_by_name=actor.name,
                received_at=now,
            )
        )
    return {"conditions": {str(line["item_id"]): line["condition"].value for line in data["items"]}}


def assign_technician(
    session: Session, case: Case, data: dict, actor: Actor, now: datetime
) -> dict:
    if "technician_id" in data:
        case.assignee = assignable_staff(session, case, data["technician_id"], "technician_id")
    if case.assignee is None or case.assignee.role == StaffRole.agent:
        raise ActionDataError("technician_id", "Assign a technician to diagnose the case.")
    return {"technician": case.assignee.name}


def issue_quote(session: Session, case: Case, data: dict, actor: Actor, now: datetime) -> dict:
    if data["valid_until"] <= now:
        raise ActionDataError("valid_until", "Must be in the future.")
    quote = create_quote(session, case, data, actor, now)
    return {
        "quote_id": str(quote.id),
        "revision": quote.revision,
        "total_minor": quote.total_minor,
        "currency": quote.currency,
    }


def decide_quote(approved: bool) -> Effect:
    def effect(session: Session, case: Case, data: dict, actor: Actor, now: datetime) -> dict:
        quote = current_quote(case)
        assert quote is not None  # the guard ran
        if "quote_id" in data and data["quote_id"] != quote.id:
            raise ActionRefused(409, "That quote has been superseded by a newer one.")
        quote.status = QuoteStatus.approved if approved else QuoteStatus.declined
        quote.decided_at = now
        quote.decided_by_name = actor.name
        quote.decided_via = DECISION_CHANNELS[actor.type]
        quote.decision_note = data.get("note")
        return {
            "quote_id": str(quote.id),
            "revision": quote.revision,
            "via": quote.decided_via.value,
        }

    return effect


DECISION_CHANNELS = {
    ActorType.customer: DecisionChannel.customer_link,
    ActorType.storefront: DecisionChannel.storefront,
    ActorType.staff: DecisionChannel.staff_phone,
}


def archive_resolution(
    session: Session, case: Case, data: dict, actor: Actor, now: datetime
) -> dict:
    case.problem_found = data["problem_found"]
    case.cause = data.get("cause")
    case.fix = data["fix"]
    return {"problem_found": case.problem_found, "cause": case.cause, "fix": case.fix}


def record_replacement(
    session: Session, case: Case, data: dict, actor: Actor, now: datetime
) -> dict:
    replacement = " ".join(
        part
        for part in (data.get("replacement_sku"), data.get("replacement_serial_number"))
        if part
    )
    case.fix = f"Replaced with {replacement}." if replacement else "Replaced."
    return {
        key: data[key] for key in ("replacement_sku", "replacement_serial_number") if key in data
    }


def record_refund(session: Session, case: Case, data: dict, actor: Actor, now: datetime) -> dict:
    case.refund_amount_minor = data["amount_minor"]
    case.refund_currency = data["currency"]
    case.fix = data.get("reason") or case.fix
    return {"amount_minor": data["amount_minor"], "currency": data["currency"]}


def add_outbound_shipment(
    session: Session, case: Case, data: dict, actor: Actor, now: datetime
) -> dict:
    shipment = add_shipment(session, case, Direction.outbound, data, actor, now)
    tracking_subscriptions.plan(session, case.storefront_id, shipment, now)
    return shipment_data(shipment)


def mark_delivered(session: Session, case: Case, data: dict, actor: Actor, now: datetime) -> dict:
    outbound = [s for s in case.shipments if s.direction == Direction.outbound]
    if outbound:
        outbound[-1].delivered_at = now
    return {}


def record_resolution(
    session: Session, case: Case, data: dict, actor: Actor, now: datetime
) -> dict:
    case.fix = data["resolution"]
    case.problem_found = data.get("problem_found")
    case.cause = data.get("cause")
    return {"resolution": data["resolution"]}


def record_reason(session: Session, case: Case, data: dict, actor: Actor, now: datetime) -> dict:
    return {"reason": data["reason"]}


# --- shared pieces used by effects and by the non-status routes ------------------------


def assignable_staff(session: Session, case: Case, staff_id: Any, field_name: str) -> StaffUser:
    user = session.get(StaffUser, staff_id)
    if user is None or not user.active or user.storefront_id not in (None, case.storefront_id):
        raise ActionDataError(field_name, "No active staff member with this id.")
    return user


def add_shipment(
    session: Session, case: Case, direction: Direction, data: dict, actor: Actor, now: datetime
) -> Shipment:
    try:
        tracking = resolve_tracking(
            data["tracking_number"], data.get("carrier"), data.get("carrier_name")
        )
    except TrackingNumberError as exc:
        raise ActionDataError(exc.field, exc.message) from exc
    shipment = Shipment(
        direction=direction,
        carrier_code=tracking.carrier_code,
        carrier_name=tracking.carrier_name,
        tracking_number=tracking.tracking_number,
        tracking_url=tracking.tracking_url,
        created_by_name=actor.name,
        created_at=now,
    )
    case.shipments.append(shipment)
    session.flush()
    return shipment


def shipment_data(shipment: Shipment) -> dict[str, Any]:
    return {
        "direction": shipment.direction.value,
        "carrier_code": shipment.carrier_code,
        "carrier_name": shipment.carrier_name,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
    }
