"""The transition table: for every action, from which statuses it moves to which, for
which kinds of case, who may do it, what body it needs, which guard applies and what
it writes (service.cases.effects). `perform()` in service.cases.lifecycle applies it;
this is the one table, and nothing else decides where a status may go.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import marshmallow as ma

from service.cases import action_schemas as bodies
from service.cases.effects import (
    Effect,
    Guard,
    add_outbound_shipment,
    archive_resolution,
    assign_technician,
    covered_by_warranty,
    decide_quote,
    issue_quote,
    mark_delivered,
    note_shipping_instructions,
    quote_decidable,
    record_reason,
    record_refund,
    record_replacement,
    record_resolution,
    register_receipts,
    storefront_only_before_receipt,
)
from service.cases.models import CaseKind, CaseStatus
from service.core.auth import ActorType
from service.sla.clocks import COMPLETED
from service.staff.models import StaffRole

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

DESK = frozenset({StaffRole.agent, StaffRole.supervisor, StaffRole.admin})
WORKSHOP = frozenset({StaffRole.technician, StaffRole.supervisor, StaffRole.admin})
#: Everyone who works cases; a QA reviewer scores contacts and changes no case.
ANY_STAFF = DESK | WORKSHOP
SUPERVISORS = frozenset({StaffRole.supervisor, StaffRole.admin})


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
            effect=note_shipping_instructions,
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
            effect=register_receipts,
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
            effect=assign_technician,
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
            effect=issue_quote,
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
            guard=covered_by_warranty,
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
            guard=quote_decidable,
            effect=decide_quote(approved=True),
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
            guard=quote_decidable,
            effect=decide_quote(approved=False),
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
            effect=archive_resolution,
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
            effect=record_replacement,
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
            effect=record_refund,
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
            effect=add_outbound_shipment,
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
            effect=mark_delivered,
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
            effect=record_resolution,
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
            guard=storefront_only_before_receipt,
            effect=record_reason,
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
            effect=record_reason,
        ),
    )
}
