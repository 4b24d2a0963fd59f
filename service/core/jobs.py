"""Background work on RQ: the queues and the session a job runs with.

Jobs are plain functions that take ids and open their own session (`job_session`), so
they are safe to run in any worker process, and twice. The worker process itself is in
`service.core.worker`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rq import Queue
from sqlalchemy.orm import Session

from service.core.db import database
from service.core.redis_conn import redis

#: Queues in the order workers drain them.
QUEUES = ("notifications", "webhooks", "default")
#: Modules holding the jobs that are enqueued directly (periodic ones are listed in
#: service.core.scheduler).
JOB_MODULES = frozenset({"service.notifications.jobs", "service.webhooks.jobs"})


def queue(name: str = "default") -> Queue:
    return Queue(name, connection=redis())


@contextmanager
def job_session() -> Iterator[Session]:
    """A session for one job: committed by the job, always closed."""
    session = database().sessionmaker()
    try:
        yield session
    finally:
        session.close()
