"""Tracking's background work: one subscription attempt per job, the sweeper that
re-enqueues what is due, and the periodic check that flags stalled parcels. Jobs take
ids (or nothing), open their own session and are safe to run twice."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.cases.models import Case, CaseStatus
from service.core.db import utcnow
from service.core.jobs import job_session
from service.shipments.models import Direction, Shipment
from service.tracking import subscriptions
from service.tracking.adapters import SubscribeError, Subscription
from service.tracking.models import TrackingAccount
from service.tracking.providers import ADAPTERS, base_url, callback_url
from service.tracking.updates import raise_flag

log = logging.getLogger(__name__)


def subscribe_shipment(shipment_id: str) -> str:
    """One attempt at registering a shipment's number with its provider."""
    settings = current_app.config["SETTINGS"]
    sid = uuid.UUID(shipment_id)
    with job_session() as session:
        lease = timedelta(seconds=settings.tracking_lease_seconds)
        if not subscriptions.claim(session, sid, utcnow(), lease):
            return "skipped: not due, or done, or held by another worker"
        shipment = session.get(Shipment, sid)
        case = session.get(Case, shipment.case_id) if shipment else None
        if shipment is None or case is None:
            return "skipped: gone"
        account = session.scalar(
            select(TrackingAccount).where(TrackingAccount.storefront_id == case.storefront_id)
        )
        if account is None or not account.enabled or account.provider != shipment.tracking_provider:
            # Removed, disabled or switched since the parcel shipped: nobody to ask.
            return _finish(session, shipment, subscriptions.FAILED, "No tracking account.")
        adapter = ADAPTERS[account.provider]
        request = Subscription(
            tracking_number=shipment.tracking_number,
            carrier_code=shipment.carrier_code,
            case_number=case.number,
            callback_url=callback_url(account),
        )
        credentials = (base_url(account.provider), account.api_key, account.secret)
        # Nothing held open while we wait on the provider.
        session.commit()
        try:
            adapter.subscribe(*credentials, request, settings.tracking_timeout_seconds)
        except SubscribeError as exc:
            return _failed(session, shipment, exc)
        return _finish(session, shipment, subscriptions.SUBSCRIBED, None)


def _failed(session: Session, shipment: Shipment, exc: SubscribeError) -> str:
    settings = current_app.config["SETTINGS"]
    log.warning(
        "tracking subscription %s attempt %d: %s", shipment.id, shipment.subscription_attempts, exc
    )
    if exc.permanent or shipment.subscription_attempts >= settings.tracking_subscribe_max_attempts:
        return _finish(session, shipment, subscriptions.FAILED, str(exc))
    backoff = settings.tracking_retry_seconds * 2 ** (shipment.subscription_attempts - 1)
    shipment.subscription_due_at = utcnow() + timedelta(seconds=min(backoff, 6 * 3600))
    shipment.subscription_error = str(exc)[:500]
    session.commit()
    return "retry"


def _finish(session: Session, shipment: Shipment, status: str, error: str | None) -> str:
    shipment.subscription_status = status
    shipment.subscription_due_at = None
    shipment.subscription_error = error[:500] if error else None
    session.commit()
    return status


def sweep_subscriptions() -> int:
    """Enqueue every subscription that is due (periodic): new ones whose job was lost,
    retries whose time has come, and attempts whose worker died (after the lease)."""
    with job_session() as session:
        ids = subscriptions.due_ids(session, utcnow())
    return subscriptions.enqueue(ids) if ids else 0


def flag_stalled() -> int:
    """Flag the cases whose tracked parcel has had no news for TRACKING_STALL_DAYS
    (periodic). Only parcels a provider tracks: without one, silence means nothing."""
    days = current_app.config["SETTINGS"].tracking_stall_days
    now = utcnow()
    last_news = func.coalesce(Shipment.tracking_updated_at, Shipment.created_at)
    with job_session() as session:
        stalled = list(
            session.scalars(
                select(Shipment)
                .join(Case, Case.id == Shipment.case_id)
                .where(
                    Case.status == CaseStatus.shipped,
                    Shipment.direction == Direction.outbound,
                    Shipment.tracking_provider.is_not(None),
                    Shipment.delivered_at.is_(None),
                    Shipment.tracking_flag.is_(None),
                    last_news < now - timedelta(days=days),
                )
            )
        )
        flagged = 0
        for shipment in stalled:
            case = session.scalar(
                select(Case).where(Case.id == shipment.case_id).with_for_update(of=Case)
            )
            note = f"No tracking update for {days} days."
            if raise_flag(session, case, shipment, "stalled", note, now):
                flagged += 1
        session.commit()
    return flagged
