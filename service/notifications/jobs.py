"""The outbox's side of RQ: handing notices to the queue, and the jobs that deliver
them and sweep up what was left behind. Jobs take ids (or nothing), open their own
session, and are safe to run twice or concurrently.

The sweeper (periodic, `service.core.scheduler`) takes what is due, what a dead worker
held past its lease, and what was queued a lease ago and never ran (the job was lost
with Redis, or failed on a dead database): recovery takes about NOTICE_LEASE_SECONDS.
A notice whose job still waits in its RQ queue is not pushed a second time.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq.job import Job, JobStatus
from sqlalchemy.engine import Connection

from service.core import relay
from service.core.db import utcnow
from service.core.jobs import job_session, statement_connection
from service.core.redis_conn import redis
from service.notifications import delivery
from service.notifications.backends import SendError
from service.notifications.models import NoticeStatus, Notification

log = logging.getLogger(__name__)

#: The outbox kind the relay carries: one `deliver_notification` job per notice.
NOTICES = relay.register(
    relay.OutboxKind(
        name="notice",
        model=Notification,
        job="service.notifications.jobs.deliver_notification",
        queue="notifications",
        job_prefix="notice-",
        pending=NoticeStatus.pending,
        queued=NoticeStatus.queued,
    )
)


def deliver_notification(notice_id: str) -> str:
    """Send one notice (job id `notice-<id>`); returns what happened, for the job result."""
    nid = uuid.UUID(notice_id)
    with statement_connection() as connection:
        return _deliver(nid, connection)


def _deliver(nid: uuid.UUID, connection: Connection | None) -> str:
    with job_session(connection) as session:
        notice = delivery.take(session, nid, utcnow())
    if isinstance(notice, str):
        return notice
    if notice is None:
        return "skipped: not due, or sent, or held by another worker"
    provider_id, error = None, None
    with job_session(connection) as session:
        handover = delivery.Handover(session, notice)
        try:
            provider_id = delivery.send(notice, handover)
        except delivery.LeaseLost:
            return "skipped: another worker took it over"
        except SendError as exc:
            error = exc
            log.warning("notice %s attempt %d: %s", notice.id, notice.attempts, exc)
        if handover.sent:
            return NoticeStatus.sent.value
        status = delivery.finish(session, notice, provider_id, error, utcnow())
    return status.value


def sweep_outbox() -> int:
    """Queue every notice that is due and not on its way (periodic)."""
    lease = timedelta(seconds=current_app.config["SETTINGS"].notice_lease_seconds)
    with job_session() as session:
        ids = delivery.due_ids(session, utcnow(), requeue_after=lease)
    ids = _not_waiting(ids) if ids else []
    if ids:
        log.info("sweeper: queueing %d notices", len(ids))
    return enqueue(ids) if ids else 0


def _not_waiting(ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """`ids` less those whose job still waits in its queue (a backlog, not a loss)."""
    try:
        jobs = Job.fetch_many([NOTICES.job_id(notice_id) for notice_id in ids], connection=redis())
        return [
            notice_id
            for notice_id, job in zip(ids, jobs, strict=True)
            if job is None or job.get_status(refresh=False) != JobStatus.QUEUED
        ]
    except (RedisError, OSError):
        return ids  # enqueue() will meet the same outage and say so


def hand_over_notices(rows: Iterable[Notification]) -> None:
    """Written `queued`, enqueued once the transaction commits (`service.core.relay`);
    call before the rows are flushed."""
    relay.hand_over(NOTICES, rows)


def enqueue(ids: Iterable[uuid.UUID]) -> int:
    """Hand notices to RQ, the job id being `notice-<id>`, and mark them queued. Redis
    being down is not an error here: the rows stay pending and the sweeper enqueues
    them later."""
    return relay.enqueue(NOTICES, ids)
