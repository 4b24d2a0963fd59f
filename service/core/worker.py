"""The RQ worker process: runs jobs inside the Flask app and, unless told otherwise,
keeps the periodic schedule (service.core.scheduler) alive."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from flask import Flask
from rq import Queue, Worker
from rq.job import Job
from sqlalchemy.orm import configure_mappers

from service.core.jobs import JOB_MODULES, QUEUES
from service.core.logging import job_context
from service.core.redis_conn import redis
from service.core.scheduler import PERIODIC, ensure_scheduled


class AppWorker(Worker):
    """An RQ worker whose jobs run inside the Flask app context."""

    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = app

    def execute_job(self, job: Job, queue: Queue) -> Any:
        # Set before the work horse forks, so the horse's lines carry the id too.
        with job_context(job.id):
            return super().execute_job(job, queue)

    def perform_job(self, *args: Any, **kwargs: Any) -> bool:
        # A forked work horse must not reuse the parent's pooled DB connections.
        self.app.extensions["database"].engine.dispose(close=False)
        with self.app.app_context():
            return super().perform_job(*args, **kwargs)


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
        if with_scheduler:
            ensure_scheduled()
        worker = AppWorker(
            [Queue(name, connection=connection) for name in queues], connection=connection, app=app
        )
        worker.work(
            with_scheduler=with_scheduler,
            burst=burst,
            logging_level=app.config["SETTINGS"].log_level,
        )
