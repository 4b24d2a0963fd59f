"""Background work on RQ: the queues and the worker that runs jobs inside the app.

Jobs are plain functions that take ids and open their own session (`job_session`), so
they are safe to run in any worker process, and twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from typing import Any

from flask import Flask
from rq import Queue, Worker
from sqlalchemy.orm import Session, configure_mappers

from service.core.db import database

#: Queues in the order workers drain them.
QUEUES = ("notifications", "default")
#: Modules holding the jobs that are enqueued directly (periodic ones are listed in
#: service.core.scheduler).
JOB_MODULES = frozenset({"service.notifications.jobs"})


def queue(name: str = "default") -> Queue:
    from service.core.redis_conn import redis

    return Queue(name, connection=redis())


@contextmanager
def job_session() -> Iterator[Session]:
    """A session for one job: committed by the job, always closed."""
    session = database().sessionmaker()
    try:
        yield session
    finally:
        session.close()


class AppWorker(Worker):
    """An RQ worker whose jobs run inside the Flask app context."""

    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = app

    def perform_job(self, *args: Any, **kwargs: Any) -> bool:
        # A forked work horse must not reuse the parent's pooled DB connections.
        self.app.extensions["database"].engine.dispose(close=False)
        with self.app.app_context():
            return super().perform_job(*args, **kwargs)


def run_worker(
    app: Flask, queues: tuple[str, ...] = QUEUES, with_scheduler: bool = True, burst: bool = False
) -> None:
    from service.core.redis_conn import redis
    from service.core.scheduler import PERIODIC, ensure_scheduled

    # Import every job's module once here: a forked work horse would otherwise import
    # it again for each job it runs.
    for module in {job.func.rpartition(".")[0] for job in PERIODIC} | JOB_MODULES:
        import_module(module)
    # Likewise the ORM's one-time set-up, which every horse would otherwise repeat.
    configure_mappers()
    with app.app_context():
        connection = redis()
        if with_scheduler:
            ensure_scheduled()
        worker = AppWorker(
            [Queue(name, connection=connection) for name in queues], connection=connection, app=app
        )
        worker.work(with_scheduler=with_scheduler, burst=burst)
