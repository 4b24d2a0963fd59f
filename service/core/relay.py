"""The relay: outbox rows (customer notices, webhook deliveries...) handed to RQ once
the transaction that wrote them has committed, at the least cost to that transaction.

An outbox *kind* (`OutboxKind`, registered by its feature with `register`) is a table
whose rows a job delivers one by one, by id. The writer marks new rows with
`hand_over(kind, rows)` before they are flushed: they are written `queued` already, so
the request spends no second UPDATE on them, and the ids are kept on the app context.
After the commit (`service.core.db.run_after_commit`) every kind's jobs go to Redis in
one pipeline: one round trip for all the rows of the request. If Redis cannot take
them, one UPDATE per kind puts the rows back to `pending`, where the kind's sweeper
finds them; if the process dies between the commit and the pipeline, the rows stay
`queued` and the sweeper takes them once they are a lease old (as it does for a job
that Redis lost). Either way a row is delivered by a job that claims it first, so a
job run twice sends once.

The sweepers enqueue through `enqueue(kind, ids)`: one pipeline, then the rows still
`pending` are marked `queued` in one UPDATE.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import g
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import update

from service.core.db import after_commit, utcnow
from service.core.jobs import job_session
from service.core.redis_conn import redis

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxKind:
    """A table of rows each delivered by one RQ job taking the row's id (a string)."""

    name: str
    #: The mapped class; it has `id`, `updated_at` and the status column below.
    model: Any
    #: Dotted path of the job function.
    job: str
    queue: str
    #: The job id is `<job_prefix><row id>`: enqueueing a row twice replaces its job.
    job_prefix: str
    #: The status values meaning "to be handed over" and "handed to RQ".
    pending: Any
    queued: Any
    status_column: str = "status"
    result_ttl: int = 3600
    failure_ttl: int = 7 * 86400

    def job_id(self, row_id: uuid.UUID | str) -> str:
        return f"{self.job_prefix}{row_id}"


KINDS: dict[str, OutboxKind] = {}


def register(kind: OutboxKind) -> OutboxKind:
    """Add an outbox kind (at import of its feature's jobs module); idempotent."""
    KINDS.setdefault(kind.name, kind)
    return KINDS[kind.name]


def hand_over(kind: OutboxKind, rows: Iterable[Any]) -> None:
    """Mark new `pending` rows `queued` and have their jobs enqueued after the commit.
    Call before the rows are flushed, so the INSERT carries the status."""
    ids = []
    for row in rows:
        if getattr(row, kind.status_column) == kind.pending:
            setattr(row, kind.status_column, kind.queued)
            ids.append(row.id)
    if not ids:
        return
    # The waiting ids ride in the after-commit list itself, so a rollback (which drops
    # that list) drops them too.
    waiting = next((cb for cb in g.get("after_commit", ()) if isinstance(cb, _Waiting)), None)
    if waiting is None:
        waiting = _Waiting()
        after_commit(waiting)
    waiting.setdefault(kind.name, []).extend(ids)


class _Waiting(dict[str, list[uuid.UUID]]):
    """The rows one transaction handed over, by kind; called once it has committed."""

    def __call__(self) -> None:
        batches = {KINDS[name]: ids for name, ids in self.items() if ids}
        self.clear()
        if batches and not push(batches):
            for kind, ids in batches.items():
                _set_status(kind, ids, kind.queued, kind.pending)


def push(batches: dict[OutboxKind, list[uuid.UUID]]) -> bool:
    """Every batch's jobs into RQ in one Redis pipeline; false when Redis could not
    take them (nothing is raised: the rows are safe in their tables)."""
    try:
        connection = redis()
        with connection.pipeline() as pipe:
            for kind, ids in batches.items():
                queue = Queue(kind.queue, connection=connection)
                queue.enqueue_many(
                    [
                        Queue.prepare_data(
                            kind.job,
                            (str(row_id),),
                            job_id=kind.job_id(row_id),
                            result_ttl=kind.result_ttl,
                            failure_ttl=kind.failure_ttl,
                        )
                        for row_id in ids
                    ],
                    pipeline=pipe,
                )
            pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("relay: Redis did not take %s (%s); the sweeper will", _count(batches), exc)
        return False
    except Exception:
        log.exception("relay: could not enqueue %s; the sweeper will", _count(batches))
        return False
    return True


def enqueue(kind: OutboxKind, ids: Iterable[uuid.UUID]) -> int:
    """Hand existing rows to RQ (the sweeper's way): one pipeline, then one UPDATE
    marking the rows still pending as queued. Returns how many were enqueued."""
    ids = list(ids)
    if not ids or not push({kind: ids}):
        return 0
    _set_status(kind, ids, kind.pending, kind.queued)
    return len(ids)


def _set_status(kind: OutboxKind, ids: list[uuid.UUID], old: Any, new: Any) -> None:
    column = getattr(kind.model, kind.status_column)
    try:
        with job_session() as session:
            # Only rows still in `old`: a fast worker may already be sending or done.
            session.execute(
                update(kind.model)
                .where(kind.model.id.in_(ids), column == old)
                .values({kind.status_column: new, "updated_at": utcnow()})
                .execution_options(synchronize_session=False)
            )
            session.commit()
    except Exception:
        # Rows left `queued` are swept once a lease old; nothing is lost.
        log.exception("relay: could not mark %d %s rows %s", len(ids), kind.name, new)


def _count(batches: dict[OutboxKind, list[uuid.UUID]]) -> str:
    return ", ".join(f"{len(ids)} {kind.name}" for kind, ids in batches.items())
