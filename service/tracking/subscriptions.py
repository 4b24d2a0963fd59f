"""Registering a shipped parcel with the storefront's tracking aggregator.

`plan` runs inside the `ship` transaction (from the action's effect): it marks the new
shipment's subscription pending and due now, and asks for a job once the transaction
commits. The database row is the record: if Redis loses the job (or is down), the
sweeper (`service.tracking.jobs.sweep_subscriptions`, periodic) finds the row still
pending and due and enqueues it again. A worker claims a row by moving its due time a
lease ahead, so a worker killed mid-request leaves it to be picked up after the lease.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import has_app_context
from redis.exceptions import RedisError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.core.db import after_commit
from service.core.jobs import queue
from service.shipments.models import Shipment
from service.tracking.models import TrackingAccount

log = logging.getLogger(__name__)

PENDING, SUBSCRIBED, FAILED = "pending", "subscribed", "failed"


def plan(session: Session, storefront_id: uuid.UUID, shipment: Shipment, now: datetime) -> None:
    """Mark `shipment` to be registered with the storefront's aggregator (if it has one)."""
    account = session.scalar(
        select(TrackingAccount).where(
            TrackingAccount.storefront_id == storefront_id, TrackingAccount.enabled.is_(True)
        )
    )
    if account is None:
        return
    shipment.tracking_provider = account.provider
    shipment.subscription_status = PENDING
    shipment.subscription_due_at = now
    shipment.subscription_attempts = 0
    session.flush()
    if has_app_context():
        shipment_id = shipment.id
        after_commit(lambda: enqueue([shipment_id]))


def due_ids(session: Session, now: datetime, limit: int = 500) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(Shipment.id)
            .where(Shipment.subscription_status == PENDING, Shipment.subscription_due_at <= now)
            .order_by(Shipment.subscription_due_at)
            .limit(limit)
        )
    )


def claim(session: Session, shipment_id: uuid.UUID, now: datetime, lease: timedelta) -> bool:
    """Take the row for one attempt (true for one caller while the lease runs). Commits."""
    won = session.execute(
        update(Shipment)
        .where(
            Shipment.id == shipment_id,
            Shipment.subscription_status == PENDING,
            Shipment.subscription_due_at <= now,
        )
        .values(
            subscription_due_at=now + lease,
            subscription_attempts=Shipment.subscription_attempts + 1,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return won == 1


def enqueue(ids: Iterable[uuid.UUID]) -> int:
    """Hand subscriptions to RQ. Redis being down is not an error: the rows stay
    pending and the sweeper enqueues them later."""
    ids = list(ids)
    try:
        default = queue("default")
        for shipment_id in ids:
            default.enqueue(
                # By name: the job module imports the lifecycle, which imports this one.
                "service.tracking.jobs.subscribe_shipment",
                str(shipment_id),
                job_id=f"tracking-subscribe-{shipment_id}",
                result_ttl=3600,
                failure_ttl=7 * 86400,
            )
    except (RedisError, OSError) as exc:
        log.warning("could not enqueue %d subscriptions (%s); the sweeper will", len(ids), exc)
        return 0
    return len(ids)
