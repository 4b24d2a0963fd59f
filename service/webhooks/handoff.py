"""Handing deliveries to RQ, through the relay (service.core.relay): new deliveries are
written marked (`queued_at`) and their jobs go to Redis after the commit, in the one
pipeline of the request's notices too. The database is the source of truth: whatever is
not handed over (Redis down, a crash after commit) the sweeper
(service.webhooks.jobs.sweep_deliveries) hands over later.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from service.core import relay
from service.webhooks.models import WebhookDelivery

#: One `deliver_webhook` job per attempt (a fresh job id each: a retry is a new job).
DELIVERIES = relay.register(
    relay.OutboxKind(
        name="webhook delivery",
        model=WebhookDelivery,
        job="service.webhooks.jobs.deliver_webhook",  # by name: that module imports this
        queue="webhooks",
        job_prefix="webhook-",
        queued_at_column="queued_at",
        fresh_job_ids=True,
        result_ttl=600,
        failure_ttl=86400,
    )
)


def hand_over(deliveries: Iterable[WebhookDelivery]) -> None:
    """New deliveries, before they are flushed: written queued, enqueued after commit."""
    relay.hand_over(DELIVERIES, deliveries)


def after_commit(ids: Iterable[uuid.UUID]) -> None:
    """Existing deliveries made due again: enqueued (and marked) after the commit."""
    relay.enqueue_after_commit(DELIVERIES, ids)


def enqueue(ids: Iterable[uuid.UUID]) -> int:
    """Queue one attempt of each delivery now (workers, the sweeper): one pipeline."""
    return relay.enqueue(DELIVERIES, ids)
