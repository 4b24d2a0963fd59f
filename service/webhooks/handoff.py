"""Handing deliveries to RQ: the one place that does, so the hand-off can move to
another transport (a relay) without touching the rest. The database is the source of
truth: whatever is not handed over here (Redis down, a crash after commit) the
sweeper (service.webhooks.jobs.sweep_deliveries) hands over later.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import update

from service.core.db import after_commit as _after_commit
from service.core.db import utcnow
from service.core.jobs import job_session
from service.core.redis_conn import redis
from service.webhooks.models import WebhookDelivery

log = logging.getLogger(__name__)

QUEUE = "webhooks"
DELIVER = "service.webhooks.jobs.deliver_webhook"


def after_commit(ids: Iterable[uuid.UUID]) -> None:
    ids = list(ids)
    if ids:
        _after_commit(lambda: enqueue(ids))


def enqueue(ids: Iterable[uuid.UUID]) -> int:
    """Queue one attempt of each delivery, all in one Redis round trip (a pipeline);
    Redis being down only delays them."""
    ids = list(ids)
    if not ids:
        return 0
    try:
        connection = redis()
        webhooks = Queue(QUEUE, connection=connection)
        with connection.pipeline() as pipe:
            webhooks.enqueue_many(
                [
                    Queue.prepare_data(
                        DELIVER,  # by name: the job's module imports this one
                        (str(delivery_id),),
                        # A fresh id per attempt: a redelivery is a new job.
                        job_id=f"webhook-{delivery_id}-{uuid.uuid4().hex[:8]}",
                        result_ttl=600,
                        failure_ttl=86400,
                    )
                    for delivery_id in ids
                ],
                pipeline=pipe,
            )
            pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("could not enqueue %d webhook deliveries (%s); the sweeper will", len(ids), exc)
        return 0
    _mark_queued(ids)
    return len(ids)


def _mark_queued(ids: list[uuid.UUID]) -> None:
    with job_session() as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids))
            .values(queued_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        session.commit()
