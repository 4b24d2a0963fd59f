"""The one function through which every status change passes.

`perform` checks an action against the transition table (service.cases.transitions):
status, kind, actor and guard; runs the action's effect (service.cases.effects) and
records the change: new status, a timeline event and the customer's notices, all in
the caller's transaction. Nothing else assigns `Case.status`.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.cases.effects import STATUS_ONLY_GUARDS, add_shipment, shipment_data
from service.cases.errors import ActionRefused
from service.cases.models import Case, CaseEvent, CaseKind, CaseStatus
from service.cases.transitions import TRANSITIONS, Transition
from service.core.auth import Actor, ActorType
from service.core.db import utcnow
from service.notifications.outbox import record_notices
from service.shipments.models import Direction, Shipment
from service.sla import clocks as sla
from service.sla.clocks import COMPLETED
from service.staff.models import StaffRole
from service.storefronts.models import Storefront
from service.surveys.scheduling import schedule_survey
from service.webhooks.events import ACTION_EVENTS, emit


def _refusal(
    transition: Transition, case: Case, actor: Actor, now: datetime
) -> ActionRefused | None:
    if case.kind not in transition.kinds:
        return ActionRefused(
            409, f"{transition.action} does not apply to a {case.kind.value} case."
        )
    if not _actor_may(transition, actor.type, actor.role):
        who = actor.role.value if actor.role else actor.type.value
        return ActionRefused(403, f"A {who} may not {transition.action}.")
    if case.status not in transition.sources:
        return ActionRefused(409, f"Cannot {transition.action} a case that is {case.status.value}.")
    if transition.guard and (reason := transition.guard(case, actor, now)):
        return ActionRefused(409, reason)
    return None


def _actor_may(transition: Transition, actor_type: ActorType, role: StaffRole | None) -> bool:
    return actor_type in transition.actors and (
        actor_type != ActorType.staff or role in transition.staff_roles
    )


@lru_cache(maxsize=1024)
def _possible(
    status: CaseStatus, kind: CaseKind, actor_type: ActorType, role: StaffRole | None
) -> tuple[Transition, ...]:
    """The transitions that status, kind and actor allow, in table order: the same for
    every case alike, so a list works them out once, and runs only the guards."""
    return tuple(
        t
        for t in TRANSITIONS.values()
        if kind in t.kinds and status in t.sources and _actor_may(t, actor_type, role)
    )


def allowed_actions(case: Any, actor: Actor, now: datetime | None = None) -> list[str]:
    """The actions `actor` may perform on `case` now, in table order.

    `case` may be a list row (service.cases.summaries) when `needs_relations` is false
    for it: then no guard reads more than its status.
    """
    now = now or utcnow()
    return [
        t.action
        for t in _possible(case.status, case.kind, actor.type, actor.role)
        if t.guard is None or t.guard(case, actor, now) is None
    ]


def needs_relations(status: CaseStatus, kind: CaseKind, actor: Actor) -> bool:
    """Whether a guard that reads the case's items or quotes may decide its actions."""
    return any(
        t.guard is not None and t.guard not in STATUS_ONLY_GUARDS
        for t in _possible(status, kind, actor.type, actor.role)
    )


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
    _emit_webhooks(session, case, action, from_status, event, now)
    return event


def _emit_webhooks(
    session: Session,
    case: Case,
    action: str,
    from_status: CaseStatus | None,
    event: CaseEvent,
    now: datetime,
) -> None:
    """The webhook events a timeline event implies, in the same transaction."""
    if from_status is None:
        emit(session, case, "case.created", now=now)
        return
    if from_status != case.status:
        data = {"previous_status": from_status.value, "action": action}
        emit(session, case, "case.status_changed", data, now=now)
    if follows := ACTION_EVENTS.get(action):
        emit(session, case, follows, {"action": action, "details": event.data}, now=now)
    if action == "assign":
        emit(session, case, "case.assigned", {"changes": event.data}, now=now)


#: Inbound tracking can be reported while the item is on its way to us.
INBOUND_STATUSES = frozenset({CaseStatus.open, CaseStatus.awaiting_item})


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
