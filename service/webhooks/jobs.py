"""The webhook jobs: one attempt of one delivery per RQ job, and the sweeper that
queues what is due (retries: the schedule's waits end here) or was lost (Redis lost
its data, a worker died mid-attempt). Both are safe to run twice or concurrently.
"""

from __future__ import annotations

import html
import logging
import uuid
from datetime import timedelta

from flask import current_app
from requests_hardened import HTTPSession
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core import db
from service.core.config import Settings
from service.core.db import utcnow
from service.core.jobs import job_session
from service.notifications.outbox import write_staff_message
from service.staff.models import StaffRole, StaffUser
from service.storefronts.models import Storefront
from service.webhooks import delivery, handoff
from service.webhooks.models import WebhookEndpoint

log = logging.getLogger(__name__)

#: Pooled HTTP sessions of this worker process (connections kept alive between jobs),
#: one per (loopback allowed, timeout).
_http: dict[tuple[bool, int], HTTPSession] = {}


def _session_for(settings: Settings) -> HTTPSession:
    key = (settings.webhook_allow_loopback, settings.webhook_timeout_seconds)
    if key not in _http:
        _http[key] = delivery.http_session(settings)
    return _http[key]


def deliver_webhook(delivery_id: str) -> str:
    """One attempt of delivery `delivery_id`; returns what happened, for the job result."""
    settings = current_app.config["SETTINGS"]
    did = uuid.UUID(delivery_id)
    lease = timedelta(seconds=settings.webhook_lease_seconds)
    with job_session() as session:
        claimed = delivery.claim(session, did, utcnow(), lease)
    if claimed is None:
        return "skipped: not due, done, held, behind an earlier event, or endpoint disabled"
    outcome = delivery.attempt(claimed, settings, _session_for(settings))
    with job_session() as session:
        finished = delivery.finish(session, claimed, outcome, settings, utcnow())
        if finished.disabled:
            tell_admins(session, claimed.endpoint, finished.disabled)
        session.commit()
    db.run_after_commit()
    if finished.next_id is not None:
        handoff.enqueue([finished.next_id])
    if finished.status is None:
        return "skipped: another worker took it over"
    return f"{finished.status.value} ({outcome.status_code or outcome.error})"


def sweep_deliveries() -> int:
    """Queue every delivery that is due and not on its way (periodic)."""
    settings = current_app.config["SETTINGS"]
    lease = timedelta(seconds=settings.webhook_lease_seconds)
    with job_session() as session:
        ids = delivery.due_ids(session, utcnow(), requeue_after=lease)
    if ids:
        log.info("webhook sweeper: queueing %d deliveries", len(ids))
    return handoff.enqueue(ids) if ids else 0


def tell_admins(session: Session, endpoint: WebhookEndpoint, reason: str) -> int:
    """E-mail the storefront's administrators that `endpoint` was disabled (once: the
    caller disabled it in this transaction)."""
    storefront = session.get(Storefront, endpoint.storefront_id)
    admins = session.scalars(
        select(StaffUser).where(
            StaffUser.storefront_id == endpoint.storefront_id,
            StaffUser.role == StaffRole.admin,
            StaffUser.active,
        )
    ).all()
    if not admins:
        log.warning("webhook endpoint %s disabled, no admin to tell: %s", endpoint.id, reason)
    now = utcnow()
    text = (
        f"The webhook endpoint {endpoint.url} of {storefront.name} was disabled.\n\n"
        f"Why: {reason}\n\n"
        "Events are kept: re-enable the endpoint (API, CLI or the workspace's webhook "
        "page) once it answers again, and recover the failed deliveries from the log.\n\n"
        "--\nAutomatic alert from Aftersales."
    )
    for admin in admins:
        write_staff_message(
            session,
            None,
            admin.email,
            "webhook_disabled",
            f"webhook_off:{endpoint.id.hex[:12]}:{int(now.timestamp())}:{admin.id.hex}",
            now,
            f"Webhook endpoint disabled ({storefront.name})",
            text,
            f"<pre>{html.escape(text)}</pre>",
        )
    session.flush()
    return len(admins)
