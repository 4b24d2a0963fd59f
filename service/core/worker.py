"""The RQ worker process: runs jobs inside the Flask app and, unless told otherwise,
ticks the periodic jobs (service.core.scheduler) from a thread of its own.

WORKER_MODE picks RQ's worker class. `simple` (SimpleWorker) runs each job in the
worker's own main thread: no fork, so the connection pool, the compiled SQL, the
rendered templates and the providers' open connections serve job after job. `fork`
(RQ's Worker) forks a work horse per job: a job that crashes the interpreter or leaks
takes only its horse down, at the price of a process, a database connection and SQL
compilation per job. What each keeps when a job goes wrong is in the README
("Workers"); the exactly-once protocol (service/notifications/delivery.py) is the same.

The ticker thread lives in the worker's main process, beside RQ's loop, so it keeps
ticking while the worker waits on Redis or runs a long job; it never dies of an error
(a database or Redis outage is logged and tried again a moment later). Forking: a horse
is forked only between the ticker's rounds, and each round closes its database
connections, as a child must not inherit a connection in use (SQLite's locks, and any
driver's socket, do not survive a fork).
"""

from __future__ import annotations

import logging
import threading
import time
from importlib import import_module
from typing import Any

from flask import Flask
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker, Worker
from rq.executions import Execution
from rq.job import Job
from rq.worker.base import BaseWorker
from sqlalchemy.orm import configure_mappers

from service.core.jobs import JOB_MODULES, QUEUES
from service.core.logging import job_context
from service.core.redis_conn import redis
from service.core.scheduler import PERIODIC, seconds_to_next_tick, tick_due_jobs

log = logging.getLogger(__name__)

#: After a failed round the ticker tries again this soon (seconds).
RETRY_AFTER = 1.0


class AppWorkerMixin:
    """Jobs run inside the Flask app context, each with the job id on its log lines."""

    app: Flask
    forks: bool

    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = app
        #: Held by the ticker during a round, and by a forking worker while it forks.
        self.fork_lock = threading.Lock()

    def execute_job(self, job: Job, queue: Queue) -> Any:
        # Set before a work horse forks, so the horse's lines carry the id too.
        with job_context(job.id):
            return super().execute_job(job, queue)  # type: ignore[misc]

    def perform_job(self, *args: Any, **kwargs: Any) -> bool:
        if self.forks:
            # A forked work horse must not reuse the parent's pooled DB connections.
            self.app.extensions["database"].engine.dispose(close=False)
        with self.app.app_context():
            return super().perform_job(*args, **kwargs)  # type: ignore[misc]


class AppWorker(AppWorkerMixin, Worker):
    """WORKER_MODE=fork: a work horse per job."""

    forks = True

    def fork_work_horse(self, *args: Any, **kwargs: Any) -> None:
        with self.fork_lock:
            super().fork_work_horse(*args, **kwargs)


class AppSimpleWorker(AppWorkerMixin, SimpleWorker):
    """WORKER_MODE=simple: every job in the worker's main thread.

    RQ's SimpleWorker cannot beat while its one thread runs the job, so it files each
    job in the started registry for the job's whole timeout plus a minute: a worker
    killed mid-job would leave its entry behind that long. A thread beats instead, every
    `job_monitoring_interval`, as a forking worker's main process does for its horse;
    the entry of a killed worker then goes within the same 90 seconds."""

    forks = False

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return BaseWorker.get_heartbeat_ttl(self, job, working_time)

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        stop = threading.Event()
        beat = threading.Thread(
            target=self._beat, args=(job, execution, stop), name="heartbeat", daemon=True
        )
        beat.start()
        try:
            return super().perform_job(job, queue, execution)
        finally:
            stop.set()
            beat.join()

    def _beat(self, job: Job, execution: Execution, stop: threading.Event) -> None:
        while not stop.wait(self.job_monitoring_interval):
            try:
                self.maintain_heartbeats(job, execution)
            except Exception:
                log.warning("heartbeat for job %s failed", job.id, exc_info=True)


WORKER_CLASSES: dict[str, type[AppWorkerMixin]] = {"fork": AppWorker, "simple": AppSimpleWorker}


class Ticker(threading.Thread):
    """Claims and enqueues each due tick; any number of workers run one."""

    def __init__(self, worker: AppWorkerMixin) -> None:
        super().__init__(name=f"ticker-{worker.name}", daemon=True)  # type: ignore[attr-defined]
        self.worker = worker
        self.stopping = threading.Event()

    def run(self) -> None:
        app = self.worker.app
        while not self.stopping.is_set():
            try:
                with self.worker.fork_lock, app.app_context():
                    try:
                        tick_due_jobs(self.worker.name)  # type: ignore[attr-defined]
                    finally:
                        if self.worker.forks:
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
    pause = REDIS_RETRY_FIRST
    with app.app_context():
        while True:
            # RQ's loop ends ("found an unhandled exception, quitting") or raises when
            # Redis goes away under it. Redis is only the transport (every job's state
            # is in the database), so the worker waits and starts a fresh RQ worker:
            # no supervisor is needed to bring it back.
            try:
                if _work(app, queues, with_scheduler, burst) or burst:
                    return  # asked to stop (a signal), or a burst is done
                reason = "RQ's loop ended"
            except (RedisError, OSError) as exc:
                reason = f"Redis is unavailable ({exc})"
            log.warning("%s; the worker starts again in %.1f s", reason, pause)
            time.sleep(pause)
            pause = min(pause * 2, REDIS_RETRY_MAX)


#: Waits between attempts to reach Redis again (seconds), doubling up to the max.
REDIS_RETRY_FIRST = 0.5
REDIS_RETRY_MAX = 10.0


def _work(app: Flask, queues: tuple[str, ...], with_scheduler: bool, burst: bool) -> bool:
    """One RQ worker's life; true when it was asked to stop (a signal)."""
    worker_class = WORKER_CLASSES[app.config["SETTINGS"].worker_mode]
    connection = redis()
    worker = worker_class(
        [Queue(name, connection=connection) for name in queues], connection=connection, app=app
    )
    ticker = Ticker(worker) if with_scheduler else None
    if ticker is not None:
        ticker.start()
    try:
        # RQ's own scheduler stays off: timed work is ticked from the database.
        worker.work(  # type: ignore[attr-defined]
            with_scheduler=False,
            burst=burst,
            logging_level=app.config["SETTINGS"].log_level,
        )
    finally:
        if ticker is not None:
            ticker.stopping.set()
    return bool(getattr(worker, "_stop_requested", False))
