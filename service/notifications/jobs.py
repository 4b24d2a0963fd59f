"""RQ jobs of the notification outbox. Both take ids (or nothing), open their own
session, and are safe to run twice or concurrently."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from service.core.db import utcnow
from service.core.jobs import job_session
from service.notifications import delivery
from service.notifications.backends import SendError

log = logging.getLogger(__name__)

#: A `queued` notice whose job has not run for this long was lost (Redis flushed or
#: down when the job was pushed): the sweeper queues it again.
REQUEUE_AFTER = timedelta(minutes=5)


def deliver_notification(notice_id: str) -> str:
    """Send one notice (job id `notice-<id>`); returns what happened, for the job result."""
    nid = uuid.UUID(notice_id)
    with job_session() as session:
        now = utcnow()
        if held := delivery.hold_back(session, nid, now):
            return held
        notice = delivery.claim(session, nid, now)
    if notice is None:
        return "skipped: not due, or sent, or held by another worker"
    provider_id, error = None, None
    try:
        provider_id = delivery.send(notice)
    except SendError as exc:
        error = exc
        log.warning("notice %s attempt %d: %s", notice.id, notice.attempts, exc)
    with job_session() as session:
        status = delivery.finish(session, notice, provider_id, error, utcnow())
    return status.value


def sweep_outbox() -> int:
    """Queue every notice that is due and not on its way (periodic)."""
    from service.notifications.outbox import enqueue

    with job_session() as session:
        ids = delivery.due_ids(session, utcnow(), REQUEUE_AFTER)
    if ids:
        log.info("sweeper: queueing %d notices", len(ids))
    return enqueue(ids) if ids else 0
