"""Applying a verified tracking update to our records, in the caller's transaction.

1. The shipment: the storefront's newest outbound shipment with that number (the
   case row is locked, so two pushes for one parcel queue).
2. Checkpoints not seen before (by dedupe key) are stored, and one timeline event
   `tracking_update` shows the latest of them.
3. The parcel's status follows the push unless the push is older than what we have
   (pushes are retried and may arrive out of order); delivered is final.
4. Exception, returned, expired and Kuaidi100's abort flag the case for the desk
   (an internal timeline event); later normal progress clears the flag. Flags change
   on news only (a new checkpoint or status): a replay never re-raises a flag the desk
   cleared (POST .../tracking/clear-flag).
5. A delivered parcel moves a shipped case to delivered through `perform()` as the
   system actor: the customer's notices and the follow-up survey follow as for a
   `deliver` by hand.

A replayed push finds every checkpoint stored and the status and flag unchanged: it
changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.cases.errors import ActionRefused
from service.cases.lifecycle import perform, record_event
from service.cases.models import Case, CaseStatus
from service.core.auth import SYSTEM, Actor
from service.shipments.carriers import normalise
from service.shipments.models import Direction, Shipment
from service.tracking.adapters import FLAGGING, Status, TrackingUpdate
from service.tracking.models import ShipmentEvent, TrackingAccount

log = logging.getLogger(__name__)

#: Statuses that mean the parcel is moving normally again (a flag other than these
#: clears when one arrives).
PROGRESS = frozenset(
    {Status.info_received, Status.in_transit, Status.out_for_delivery, Status.delivered}
)


@dataclass
class Outcome:
    shipment: Shipment | None = None
    new_checkpoints: int = 0
    delivered: bool = False
    flagged: str | None = None


def find_shipment(session: Session, account: TrackingAccount, number: str) -> Shipment | None:
    return session.scalar(
        select(Shipment)
        .join(Case, Case.id == Shipment.case_id)
        .where(
            Case.storefront_id == account.storefront_id,
            Shipment.direction == Direction.outbound,
            Shipment.tracking_number == normalise(number),
        )
        .order_by(Shipment.created_at.desc())
        .limit(1)
    )


def apply_update(
    session: Session, account: TrackingAccount, update: TrackingUpdate, now: datetime
) -> Outcome:
    shipment = find_shipment(session, account, update.tracking_number)
    if shipment is None:
        log.info("tracking push for an unknown number from %s", account.provider)
        return Outcome()
    case = session.scalar(select(Case).where(Case.id == shipment.case_id).with_for_update(of=Case))
    assert case is not None  # the shipment's foreign key
    outcome = Outcome(shipment=shipment)
    added = _store_checkpoints(session, shipment, account.provider, update, now)
    outcome.new_checkpoints = len(added)
    status_changed = _follow_status(shipment, update)
    if added or status_changed:
        shipment.tracking_updated_at = now
        shipment.tracking_provider = shipment.tracking_provider or account.provider
    if added:
        latest = max(added, key=lambda e: (e.occurred_at is not None, e.occurred_at or now))
        data = _event_data(shipment, latest)
        note = " · ".join(filter(None, (latest.location, latest.description[:500])))
        record_event(session, case, "tracking_update", SYSTEM, case.status, note, data, now)
    outcome.flagged = _flag(
        session, case, shipment, update, now, news=bool(added) or status_changed
    )
    if shipment.tracking_status == Status.delivered and _deliverable(case, shipment):
        # No note: the customer's notices would carry it, in English. The checkpoint
        # that says so is the `tracking_update` event just before.
        try:
            perform(session, case, "deliver", {}, SYSTEM, now)
            outcome.delivered = True
        except ActionRefused as refusal:
            log.info("tracking: case %s not moved to delivered: %s", case.number, refusal)
    return outcome


def _store_checkpoints(
    session: Session, shipment: Shipment, provider: str, update: TrackingUpdate, now: datetime
) -> list[ShipmentEvent]:
    known = set(
        session.scalars(
            select(ShipmentEvent.dedupe_key).where(ShipmentEvent.shipment_id == shipment.id)
        )
    )
    added = []
    for checkpoint in update.checkpoints:
        if checkpoint.dedupe_key in known:
            continue
        known.add(checkpoint.dedupe_key)
        event = ShipmentEvent(
            shipment_id=shipment.id,
            dedupe_key=checkpoint.dedupe_key,
            provider=provider,
            status=checkpoint.status.value,
            provider_status=checkpoint.provider_status,
            description=checkpoint.description,
            location=checkpoint.location,
            occurred_at=checkpoint.occurred_at,
            received_at=now,
        )
        session.add(event)
        added.append(event)
    session.flush()
    return added


def _follow_status(shipment: Shipment, update: TrackingUpdate) -> bool:
    """Take the push's status unless it is older than ours; delivered stays."""
    if update.status is None or shipment.tracking_status == Status.delivered:
        return False
    latest = update.latest
    pushed_at = latest.occurred_at if latest else None
    if pushed_at and shipment.last_checkpoint_at and pushed_at < shipment.last_checkpoint_at:
        return False
    if pushed_at and (
        shipment.last_checkpoint_at is None or pushed_at > shipment.last_checkpoint_at
    ):
        shipment.last_checkpoint_at = pushed_at
    if shipment.tracking_status == update.status.value:
        return False
    shipment.tracking_status = update.status.value
    return True


def _flag(
    session: Session,
    case: Case,
    shipment: Shipment,
    update: TrackingUpdate,
    now: datetime,
    news: bool,
) -> str | None:
    """Flag or clear on news only: a replay neither re-raises a flag the desk cleared
    nor clears one."""
    if not news:
        return None
    status = Status(shipment.tracking_status) if shipment.tracking_status else None
    reason = "aborted" if update.aborted and status != Status.delivered else FLAGGING.get(status)
    if reason is not None:
        note = update.message or (update.latest.description if update.latest else None)
        return raise_flag(session, case, shipment, reason, note, now)
    if shipment.tracking_flag and status in PROGRESS:
        clear_flag(session, case, shipment, now)
    return None


def raise_flag(
    session: Session, case: Case, shipment: Shipment, reason: str, note: str | None, now: datetime
) -> str | None:
    """Flag the case for the desk (once per reason); returns the reason when new."""
    if shipment.tracking_flag == reason:
        return None
    shipment.tracking_flag = reason
    shipment.tracking_flag_note = (note or "")[:500] or None
    shipment.tracking_flagged_at = now
    record_event(
        session,
        case,
        "tracking_flagged",
        SYSTEM,
        case.status,
        shipment.tracking_flag_note,
        {"reason": reason, "tracking_number": shipment.tracking_number},
        now,
        internal=True,
    )
    return reason


def clear_flag(
    session: Session, case: Case, shipment: Shipment, now: datetime, actor: Actor = SYSTEM
) -> None:
    """Clear the flag: the parcel moves again, or the desk has dealt with it (`actor`)."""
    reason = shipment.tracking_flag
    shipment.tracking_flag = shipment.tracking_flag_note = shipment.tracking_flagged_at = None
    record_event(
        session,
        case,
        "tracking_flag_cleared",
        actor,
        case.status,
        None,
        {"reason": reason, "tracking_number": shipment.tracking_number},
        now,
        internal=True,
    )


def _deliverable(case: Case, shipment: Shipment) -> bool:
    """Only the parcel that carries the case home delivers it."""
    outbound = [s for s in case.shipments if s.direction == Direction.outbound]
    return case.status == CaseStatus.shipped and bool(outbound) and outbound[-1].id == shipment.id


def _event_data(shipment: Shipment, latest: ShipmentEvent) -> dict[str, Any]:
    return {
        "tracking_number": shipment.tracking_number,
        "carrier_name": shipment.carrier_name,
        "status": latest.status,
        "description": latest.description[:500],
        "location": latest.location,
        "occurred_at": latest.occurred_at.isoformat() if latest.occurred_at else None,
    }
