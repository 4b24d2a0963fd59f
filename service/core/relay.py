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
`pending` are marked `queued` in one UPDATE; `enqueue_after_commit(kind, ids)` does the
same for existing rows a transaction made due again (it rides in the same pipeline as
the new rows).

A kind marks a row handed over either by a status column (`pending` -> `queued`: the
notices) or by a timestamp (`queued_at_column`, None until handed over: the webhook
deliveries, whose sweeper also re-queues a row queued over a lease ago).
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
    #: The mapped class; it has `id` and the status (or timestamp) column below.
    model: Any
    #: Dotted path of the job function.
    job: str
    queue: str
    job_prefix: str
    #: The status values meaning "to be handed over" and "handed to RQ".
    pending: Any = None
    queued: Any = None
    status_column: str = "status"
    #: Instead of a status: the column set to the time of the hand-over (None before).
    queued_at_column: str | None = None
    #: A new job id per hand-over (`<job_prefix><row id>-<random>`: each attempt at a
    #: row is a job of its own) instead of `<job_prefix><row id>` (enqueueing a row
    #: twice replaces its job).
    fresh_job_ids: bool = False
    result_ttl: int = 3600
    failure_ttl: int = 7 * 86400

    def job_id(self, row_id: uuid.UUID | str) -> str:
        if self.fresh_job_ids:
            return f"{self.job_prefix}{row_id}-{uuid.uuid4().hex[:8]}"
        return f"{self.job_prefix}{row_id}"

    def mark_new(self, row: Any) -> bool:
        """Mark a new row handed over; False if it is not to be (a deferred notice)."""
        if self.queued_at_column is not None:
            if getattr(row, self.queued_at_column) is not None:
                return False
            setattr(row, self.queued_at_column, utcnow())
            return True
        if getattr(row, self.status_column) != self.pending:
            return False
        setattr(row, self.status_column, self.queued)
        return True

    def marking(self, queued: bool) -> tuple[list[Any], dict[str, Any]]:
        """The WHERE clauses and values of an UPDATE marking rows handed over (or, with
        `queued` false, back to be handed over)."""
        if self.queued_at_column is not None:
            return [], {self.queued_at_column: utcnow() if queued else None}
        column = getattr(self.model, self.status_column)
        old, new = (self.pending, self.queued) if queued else (self.queued, self.pending)
        # Only rows still in `old`: a fast worker may already be sending or done.
        return [column == old], {self.status_column: new, "updated_at": utcnow()}


KINDS: dict[str, OutboxKind] = {}


def register(kind: OutboxKind) -> OutboxKind:
    """Add an outbox kind (at import of its feature's jobs module); idempotent."""
    KINDS.setdefault(kind.name, kind)
    return KINDS[kind.name]


def hand_over(kind: OutboxKind, rows: Iterable[Any]) -> None:
    """Mark new rows handed over and have their jobs enqueued after the commit. Call
    before the rows are flushed, so the INSERT carries the mark."""
    ids = [row.id for row in rows if kind.mark_new(row)]
    if ids:
        _waiting().new.setdefault(kind.name, []).extend(ids)


def enqueue_after_commit(kind: OutboxKind, ids: Iterable[uuid.UUID]) -> None:
    """Existing rows (marked to be handed over) whose jobs are to be enqueued once the
    transaction commits, in the same pipeline as its new rows; then marked."""
    ids = list(ids)
    if ids:
        _waiting().existing.setdefault(kind.name, []).extend(ids)


def _waiting() -> _Waiting:
    # The waiting ids ride in the after-commit list itself, so a rollback (which drops
    # that list) drops them too.
    waiting = next((cb for cb in g.get("after_commit", ()) if isinstance(cb, _Waiting)), None)
    if waiting is None:
        waiting = _Waiting()
        after_commit(waiting)
    return waiting


class _Waiting:
    """The rows one transaction handed over, by kind; called once it has committed."""

    def __init__(self) -> None:
        #: Written already marked; put back if Redis does not take them.
        self.new: dict[str, list[uuid.UUID]] = {}
        #: Marked once Redis has taken them.
        self.existing: dict[str, list[uuid.UUID]] = {}

    def __call__(self) -> None:
        new = {KINDS[name]: ids for name, ids in self.new.items() if ids}
        existing = {KINDS[name]: ids for name, ids in self.existing.items() if ids}
        self.new, self.existing = {}, {}
        kinds = {**new, **existing}
        batches = {kind: [*new.get(kind, []), *existing.get(kind, [])] for kind in kinds}
        if not batches:
            return
        if not push(batches):
            for kind, ids in new.items():
                _mark(kind, ids, queued=False)
            return
        for kind, ids in existing.items():
            _mark(kind, ids, queued=True)


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
    _mark(kind, ids, queued=True)
    return len(ids)


def _mark(kind: OutboxKind, ids: list[uuid.UUID], queued: bool) -> None:
    where, values = kind.marking(queued)
    try:
        with job_session() as session:
            session.execute(
                update(kind.model)
                .where(kind.model.id.in_(ids), *where)
                .values(values)
                .execution_options(synchronize_session=False)
            )
            session.commit()
    except Exception:
        # Rows left marked are swept once a lease old; nothing is lost.
        state = "handed over" if queued else "back to be handed over"
        log.exception("relay: could not mark %d %s rows %s", len(ids), kind.name, state)


def _count(batches: dict[OutboxKind, list[uuid.UUID]]) -> str:
    return ", ".join(f"{len(ids)} {kind.name}" for kind, ids in batches.items())
