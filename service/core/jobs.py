"""Background work on RQ: the queues and the session a job runs with.

Jobs are plain functions that take ids and open their own session (`job_session`), so
they are safe to run in any worker process, and twice. The worker process itself is in
`service.core.worker`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rq import Queue
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from service.core.db import database
from service.core.redis_conn import redis

#: Queues in the order workers drain them.
QUEUES = ("notifications", "webhooks", "default")
#: Modules holding the jobs that are enqueued directly (periodic ones are listed in
#: service.core.scheduler).
JOB_MODULES = frozenset(
    {"service.notifications.jobs", "service.tracking.jobs", "service.webhooks.jobs"}
)


def queue(name: str = "default") -> Queue:
    return Queue(name, connection=redis())


@contextmanager
def job_session(bind: Connection | None = None) -> Iterator[Session]:
    """A session for one job: committed by the job, always closed. `bind`: on that
    connection (`statement_connection`) instead of one from the pool."""
    session = database().sessionmaker(**({"bind": bind} if bind is not None else {}))
    try:
        yield session
    finally:
        session.close()


@contextmanager
def statement_connection() -> Iterator[Connection | None]:
    """For a job made of single-statement steps (claim, mark, finish): on PostgreSQL one
    connection held for the whole job in autocommit, so each step is one round trip
    (no BEGIN, no COMMIT, one pool check-out and pre-ping per job instead of per step),
    and never a transaction open between the steps. None where that does not apply
    (SQLite keeps its BEGIN IMMEDIATE; a session already bound to a connection, as in
    tests, belongs to that connection's transaction): the job then uses `job_session()`
    as usual."""
    engine = database().sessionmaker.kw.get("bind")
    if not isinstance(engine, Engine) or engine.dialect.name != "postgresql":
        yield None
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        yield connection
