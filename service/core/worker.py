"""The RQ worker process: runs jobs inside the Flask app and, unless told otherwise,
ticks the periodic jobs (service.core.scheduler) from a thread of its own.

The ticker thread lives in the worker's main process, beside RQ's loop, so it keeps
ticking while the worker waits on Redis or watches a long job; it never dies of an
error (a database or Redis outage is logged and tried again a moment later). A work
horse is forked only between the ticker's rounds, and each round closes its database
connections: a child must not inherit a connection in use (SQLite's locks, and any
driver's socket, do not survive a fork).
"""

from __future__ import annotations

import logging
import threading
from importlib import import_module
from typing import Any

from flask import Flask
from rq import Queue, Worker
from rq.job import Job
from sqlalchemy.orm import configure_mappers

from service.core.jobs import JOB_MODULES, QUEUES
from service.core.logging import job_context
from service.core.redis_conn import redis
from service.core.scheduler import PERIODIC, seconds_to_next_tick, tick_due_jobs

log = logging.getLogger(__name__)

#: After a failed round the ticker tries again this soon (seconds).
RETRY_AFTER = 1.0


class AppWorker(Worker):
    """An RQ worker whose jobs run inside the Flask app context."""

    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = app
        #: Held by the ticker during a round, and by the worker while it forks.
        self.fork_lock = threading.Lock()

    def fork_work_horse(self, *args: Any, **kwargs: Any) -> None:
        with self.fork_lock:
            super().fork_work_horse(*args, **kwargs)

    def execute_job(self, job: Job, queue: Queue) -> Any:
        # Set before the work horse forks, so the horse's lines carry the id too.
        with job_context(job.id):
            return super().execute_job(job, queue)

    def perform_job(self, *args: Any, **kwargs: Any) -> bool:
        # A forked work horse must not reuse the parent's pooled DB connections.
        self.app.extensions["database"].engine.dispose(close=False)
        with self.app.app_context():
            return super().perform_job(*args, **kwargs)


class Ticker(threading.Thread):
    """Claims and enqueues each due tick; any number of workers run one."""

    def __init__(self, worker: AppWorker) -> None:
        super().__init__(name=f"ticker-{worker.name}", daemon=True)
        self.worker = worker
        self.stopping = threading.Event()

    def run(self) -> None:
        app = self.worker.app
        while not self.stopping.is_set():
            try:
                with self.worker.fork_lock, app.app_context():
                    try:
                        tick_due_jobs(self.worker.name)
                    finally:
                        app.extensions["database"].engine.dispose()
                    wait = seconds_to_next_tick()
            except Exception:
                log.exception("ticker round failed; trying again in %ss", RETRY_AFTER)
                wait = RETRY_AFTER
            # A hair past the boundary, so the tick computed on waking is the new one.
            self.stopping.wait(max(wait, 0) + 0.01)


def run_worker(
    app: Flask, queues: tuple[str, ...] = QUEUES, with_scheduler: bool = True, burst: bool = False
) -> None:
    # Import every job's module once here: a forked work horse would otherwise import
    # it again for each job it runs.
    for module in {job.func.rpartition(".")[0] for job in PERIODIC} | JOB_MODULES:
        import_module(module)
    # Likewise the ORM's one-time set-up, which every horse would otherwise repeat.
    configure_mappers()
    with app.app_context():
        connection = redis()
        worker = AppWorker(
            [Queue(name, connection=connection) for name in queues], connection=connection, app=app
        )
        ticker = Ticker(worker) if with_scheduler else None
        if ticker is not None:
            ticker.start()
        try:
            # RQ's own scheduler stays off: timed work is ticked from the database.
            worker.work(
                with_scheduler=False,
                burst=burst,
                logging_level=app.config["SETTINGS"].log_level,
            )
        finally:
            if ticker is not None:
                ticker.stopping.set()
