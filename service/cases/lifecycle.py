"""The case lifecycle: one declarative transition table and the one function through
which every status change passes.

`TRANSITIONS` says, for every action, from which statuses it moves to which, for which
kinds of case, who may do it, what body it needs and which guard applies. `perform`
checks all of that, runs the action's effect (receipt, quote, shipment...) and records
the change: new status, a timeline event and the customer's notices, all in the
caller's transaction. Nothing else assigns `Case.status`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import marshmallow as ma
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.cases import action_schemas as bodies
from service.cases.errors import ActionDataError, ActionRefused
from service.cases.models import Case, CaseEvent, CaseKind, CaseStatus, ItemReceipt
from service.core.auth import Actor, ActorType
from service.core.db import utcnow
from service.quotes.models import DecisionChannel, QuoteStatus
from service.quotes.service import create_quote, current_quote
from service.shipments.carriers import TrackingNumberError, resolve_tracking
from service.shipments.models import Direction, Shipment
from service.sla import clocks as sla
from service.sla.clocks import COMPLETED
from service.staff.models import StaffRole, StaffUser
from service.storefronts.models import Storefront
from service.surveys.service import schedule as schedule_survey

S = CaseStatus
K = CaseKind
ALL_KINDS = frozenset(CaseKind)
ITEM_KINDS = frozenset({K.repair, K.return_, K.exchange})
#: Statuses a case can still be cancelled from: everything before completion.
CANCELLABLE = frozenset(
    {
        S.open,
        S.awaiting_item,
        S.received,
        S.diagnosing,
        S.quote_pending,
        S.repairing,
        S.ready_to_ship,
    }
)

ANY_STAFF = frozenset(StaffRole)
DESK = frozenset({StaffRole.agent, StaffRole.supervisor, StaffRole.admin})
WORKSHOP = frozenset({StaffRole.technician, StaffRole.supervisor, StaffRole.admin})
SUPERVISORS = frozenset({StaffRole.supervisor, StaffRole.admin})


Effect = Callable[[Session, Case, dict[str, Any], Actor, datetime], dict[str, Any]]
Guard = Callable[[Case, Actor, datetime], str | None]


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[CaseStatus]
    target: CaseStatus
    kinds: frozenset[CaseKind]
    #: Who may do it; staff additionally need one of `staff_roles`.
    actors: frozenset[ActorType]
    staff_roles: frozenset[StaffRole]
    body: type[ma.Schema]
    summary: str
    #: Why it is not possible now (None: it is), beyond status, kind and actor.
    guard: Guard | None = None
    #: What the action writes besides the status; returns data for the timeline event.
    effect: Effect | None = field(default=None, compare=False)


# --- guards -------------------------------------------------------------------------


def _covered_by_warranty(case: Case, _actor: Actor, _now: datetime) -> str | None:
    if all(item.in_warranty for item in case.items):
        return None
    return "Not every item is in warranty: send a quote for the customer to approve."


def _storefront_only_before_receipt(case: Case, actor: Actor, _now: datetime) -> str | None:
    if actor.type == ActorType.storefront and case.status not in (S.open, S.awaiting_item):
        return "A storefront can cancel only before the item is received; ask the service desk."
    return None


def _quote_decidable(case: Case, _actor: Actor, now: datetime) -> str | None:
    quote = current_quote(case)
    if quote is None or quote.status != QuoteStatus.pending:
        return "There is no pending quote."
    if quote.expired(now):
        return f"Quote {quote.revision} expired at {quote.valid_until.isoformat()}."
    return None


# --- effects ------------------------------------------------------------------------


def _request_item(session: Session, case: Case, data: dict, actor: Actor, now: datetime) -> dict:
    return {"shipping_instructions": data["shipping_instructions"]}


def _receive(session: Session, case: Case, data: dict, actor: Actor, now: datetime) -> dict:
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


def _diagnose(session: Session, case: Case, data: dict, actor: Actor, now: datetime) -> dict:
    if "technician_id" in data:
        case.assignee = assignable_staff(session, case, data["technician_id"], "technician_id")
    if case.assignee is None or case.assignee.role == StaffRole.agent:
        raise ActionDataError("technician_id", "Assign a technician to diagnose the case.")
    return {"technician": case.assignee.name}


def _send_quote(session: Session, case: Case, data: dict, actor: Actor, now: datetime) -> dict:
    if data["valid_until"] <= now:
        raise ActionDataError("valid_until", "Must be in the future.")
    quote = create_quote(session, case, data, actor, now)
    return {
        "quote_id": str(quote.id),
        "revision": quote.revision,
        "total_minor": quote.total_minor,
        "currency": quote.currency,
    }


def _decide_quote(approved: bool) -> Effect:
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


def _archive(session: Session, case: Case, data: dict, actor: Actor, now: datetime) -> dict:
    case.problem_found = data["problem_found"]
    case.cause = data.get("cause")
    case.fix = data["fix"]
    return {"problem_found": case.problem_found, "cause": case.cause, "fix": case.fix}


def _replace(session: Session, case: Case, data: dict, actor: Actor, now: datetime) -> dict:
    replacement = " ".join(
        part
        for part in (data.get("replacement_sku"), data.get("replacement_serial_number"))
        if part
    )
    case.fix = f"Replaced with {replacement}." if replacement else "Replaced."
    return {
        key: data[key] for key in ("replacement_sku", "replacement_serial_number") if key in data
    }


def _refund(session: Session, case: Case, data: dict, actor: Actor, now: datetime) -> dict:
    case.refund_amount_minor = data["amount_minor"]
    case.refund_currency = data["currency"]
    case.fix = data.get("reason") or case.fix
    return {"amount_minor": data["amount_minor"], "currency": data["currency"]}


def _ship(session: Session, case: Case, data: dict, actor: Actor, now: datetime) -> dict:
    shipment = add_shipment(session, case, Direction.outbound, data, actor, now)
    return shipment_data(shipment)


def _deliver(session: Session, case: Case, data: dict, actor: Actor, now: datetime) -> dict:
    outbound = [s for s in case.shipments if s.direction == Direction.outbound]
    if outbound:
        outbound[-1].delivered_at = now
    return {}


def _resolve(session: Session, case: Case, data: dict, actor: Actor, now: datetime) -> dict:
    case.fix = data["resolution"]
    case.problem_found = data.get("problem_found")
    case.cause = data.get("cause")
    return {"resolution": data["resolution"]}


def _reason(session: Session, case: Case, data: dict, actor: Actor, now: datetime) -> dict:
    return {"reason": data["reason"]}


# --- the table ------------------------------------------------------------------------

_STAFF = frozenset({ActorType.staff})

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            action="request_item",
            sources=frozenset({S.open}),
            target=S.awaiting_item,
            kinds=ITEM_KINDS,
            actors=_STAFF,
            staff_roles=DESK,
            body=bodies.RequestItemSchema,
            summary="Ask the customer to send the item",
            effect=_request_item,
        ),
        Transition(
            action="receive",
            sources=frozenset({S.open, S.awaiting_item}),
            target=S.received,
            kinds=ITEM_KINDS,
            actors=_STAFF,
            staff_roles=ANY_STAFF,
            body=bodies.ReceiveSchema,
            summary="Register the goods received (来货登记)",
            effect=_receive,
        ),
        Transition(
            action="diagnose",
            sources=frozenset({S.received}),
            target=S.diagnosing,
            kinds=ITEM_KINDS,
            actors=_STAFF,
            staff_roles=ANY_STAFF,
            body=bodies.DiagnoseSchema,
            summary="Start diagnosis by a technician",
            effect=_diagnose,
        ),
        Transition(
            action="send_quote",
            # From quote_pending too: a new quote supersedes the one awaiting a decision.
            sources=frozenset({S.diagnosing, S.quote_pending}),
            target=S.quote_pending,
            kinds=frozenset({K.repair}),
            actors=_STAFF,
            staff_roles=WORKSHOP,
            body=bodies.SendQuoteSchema,
            summary="Quote the repair for the customer's approval",
            effect=_send_quote,
        ),
        Transition(
            action="start_repair",
            sources=frozenset({S.diagnosing}),
            target=S.repairing,
            kinds=frozenset({K.repair}),
            actors=_STAFF,
            staff_roles=WORKSHOP,
            body=bodies.NoteSchema,
            summary="Repair under warranty (no quote needed)",
            guard=_covered_by_warranty,
        ),
        Transition(
            action="approve_quote",
            sources=frozenset({S.quote_pending}),
            target=S.repairing,
            kinds=frozenset({K.repair}),
            actors=frozenset({ActorType.customer, ActorType.storefront, ActorType.staff}),
            staff_roles=DESK,
            body=bodies.QuoteDecisionSchema,
            summary="Record the customer's approval of the quote",
            guard=_quote_decidable,
            effect=_decide_quote(approved=True),
        ),
        Transition(
            action="decline_quote",
            sources=frozenset({S.quote_pending}),
            target=S.ready_to_ship,
            kinds=frozenset({K.repair}),
            actors=frozenset({ActorType.customer, ActorType.storefront, ActorType.staff}),
            staff_roles=DESK,
            body=bodies.QuoteDecisionSchema,
            summary="Record a decline: the item goes back unrepaired",
            guard=_quote_decidable,
            effect=_decide_quote(approved=False),
        ),
        Transition(
            action="finish_repair",
            sources=frozenset({S.repairing}),
            target=S.ready_to_ship,
            kinds=frozenset({K.repair}),
            actors=_STAFF,
            staff_roles=WORKSHOP,
            body=bodies.ResolutionSchema,
            summary="Finish the repair, archiving problem, cause and fix",
            effect=_archive,
        ),
        Transition(
            action="replace",
            sources=frozenset({S.received, S.diagnosing}),
            target=S.ready_to_ship,
            kinds=frozenset({K.exchange}),
            actors=_STAFF,
            staff_roles=WORKSHOP,
            body=bodies.ReplaceSchema,
            summary="Prepare a replacement to ship",
            effect=_replace,
        ),
        Transition(
            action="refund",
            sources=frozenset({S.received, S.diagnosing}),
            target=S.refunded,
            kinds=frozenset({K.return_}),
            actors=_STAFF,
            staff_roles=DESK,
            body=bodies.RefundSchema,
            summary="Refund the returned item",
            effect=_refund,
        ),
        Transition(
            action="ship",
            sources=frozenset({S.ready_to_ship}),
            target=S.shipped,
            kinds=frozenset({K.repair, K.exchange}),
            actors=_STAFF,
            staff_roles=ANY_STAFF,
            body=bodies.TrackingSchema,
            summary="Ship back, with carrier and tracking number",
            effect=_ship,
        ),
        Transition(
            action="deliver",
            sources=frozenset({S.shipped}),
            target=S.delivered,
            kinds=frozenset({K.repair, K.exchange}),
            actors=frozenset({ActorType.staff, ActorType.storefront, ActorType.system}),
            staff_roles=ANY_STAFF,
            body=bodies.NoteSchema,
            summary="Confirm delivery to the customer",
            effect=_deliver,
        ),
        Transition(
            action="resolve",
            sources=frozenset({S.open}),
            target=S.resolved,
            kinds=frozenset({K.complaint, K.inquiry}),
            actors=_STAFF,
            staff_roles=DESK,
            body=bodies.ResolveSchema,
            summary="Answer a complaint or inquiry",
            effect=_resolve,
        ),
        Transition(
            action="close",
            sources=COMPLETED,
            target=S.closed,
            kinds=ALL_KINDS,
            actors=frozenset({ActorType.staff, ActorType.system}),
            staff_roles=DESK,
            body=bodies.NoteSchema,
            summary="Close a completed case",
        ),
        Transition(
            action="cancel",
            sources=CANCELLABLE,
            target=S.cancelled,
            kinds=ALL_KINDS,
            actors=frozenset({ActorType.staff, ActorType.storefront}),
            staff_roles=DESK,
            body=bodies.ReasonSchema,
            summary="Cancel (storefronts: only before receipt)",
            guard=_storefront_only_before_receipt,
            effect=_reason,
        ),
        Transition(
            action="reopen",
            sources=frozenset({S.closed}),
            target=S.open,
            kinds=ALL_KINDS,
            actors=_STAFF,
            staff_roles=SUPERVISORS,
            body=bodies.ReasonSchema,
            summary="Reopen a closed case",
            effect=_reason,
        ),
    )
}


# --- checking and performing ------------------------------------------------------


def _refusal(
    transition: Transition, case: Case, actor: Actor, now: datetime
) -> ActionRefused | None:
    if case.kind not in transition.kinds:
        return ActionRefused(
            409, f"{transition.action} does not apply to a {case.kind.value} case."
        )
    if actor.type not in transition.actors or (
        actor.type == ActorType.staff and actor.role not in transition.staff_roles
    ):
        who = actor.role.value if actor.role else actor.type.value
        return ActionRefused(403, f"A {who} may not {transition.action}.")
    if case.status not in transition.sources:
        return ActionRefused(409, f"Cannot {transition.action} a case that is {case.status.value}.")
    if transition.guard and (reason := transition.guard(case, actor, now)):
        return ActionRefused(409, reason)
    return None


def allowed_actions(case: Case, actor: Actor, now: datetime | None = None) -> list[str]:
    """The actions `actor` may perform on `case` now, in table order."""
    now = now or utcnow()
    return [a for a, t in TRANSITIONS.items() if _refusal(t, case, actor, now) is None]


def perform(
    session: Session,
    case: Case,
    action: str,
    data: dict[str, Any],
    actor: Actor,
    now: datetime | None = None,
) -> CaseEvent:
    """Apply `action` to `case` with its validated body `data`; flushes, never commits.

    Raises ActionRefused (nothing written) or ActionDataError (the caller rolls back).
    """
    now = now or utcnow()
    transition = TRANSITIONS[action]
    if refusal := _refusal(transition, case, actor, now):
        raise refusal
    event_data = transition.effect(session, case, data, actor, now) if transition.effect else {}
    return record_event(
        session,
        case,
        action,
        actor,
        transition.target,
        data.get("note"),
        event_data,
        now,
        notify=True,
    )


def record_event(
    session: Session,
    case: Case,
    action: str,
    actor: Actor,
    to_status: CaseStatus,
    note: str | None,
    data: dict[str, Any],
    now: datetime,
    internal: bool = False,
    notify: bool = False,
) -> CaseEvent:
    """Write one timeline event and move the case to `to_status` (the only assignment of
    a status anywhere). Events that change nothing but record work pass the current status.
    With `notify`, the customer's notices for the event go into the outbox, in the same
    transaction.
    """
    from service.notifications.outbox import record_notices

    from_status = case.status  # None while the case is being opened
    sequence = (
        session.scalar(
            select(func.coalesce(func.max(CaseEvent.sequence), 0)).where(
                CaseEvent.case_id == case.id
            )
        )
        if from_status is not None
        else 0
    )
    case.status = to_status
    # Touching the row bumps `version` even for events that change no column: every
    # recorded change invalidates the ETag others hold.
    case.updated_at = now
    changes_status = from_status is not None and from_status != to_status
    if from_status is None or changes_status:
        storefront = session.get(Storefront, case.storefront_id)
        if from_status is None:
            sla.start(case, storefront, now)
        else:
            sla.on_status_change(case, storefront, from_status, to_status, now)
        if changes_status and to_status in COMPLETED:
            schedule_survey(session, case, now)
    # A staff transition answers the customer; internal events (assignment) do not.
    if actor.type == ActorType.staff and changes_status and case.first_responded_at is None:
        case.first_responded_at = now
    event = CaseEvent(
        case_id=case.id,
        sequence=sequence + 1,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor_type=actor.type.value,
        actor_id=actor.id,
        actor_name=actor.name,
        note=note,
        internal=internal,
        data=data,
        created_at=now,
    )
    session.add(event)
    session.flush()
    if notify:
        record_notices(session, case, event)
    return event


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


#: Inbound tracking can be reported while the item is on its way to us.
INBOUND_STATUSES = frozenset({S.open, S.awaiting_item})


def report_inbound_shipment(session: Session, case: Case, data: dict, actor: Actor) -> Shipment:
    """The customer's parcel to us: tracked, but no change of status until it arrives."""
    if case.status not in INBOUND_STATUSES:
        raise ActionRefused(409, "The item is no longer expected to arrive.")
    now = utcnow()
    shipment = add_shipment(session, case, Direction.inbound, data, actor, now)
    record_event(
        session,
        case,
        "inbound_shipment",
        actor,
        case.status,
        data.get("note"),
        shipment_data(shipment),
        now,
    )
    return shipment


def shipment_data(shipment: Shipment) -> dict[str, Any]:
    return {
        "direction": shipment.direction.value,
        "carrier_code": shipment.carrier_code,
        "carrier_name": shipment.carrier_name,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
    }
