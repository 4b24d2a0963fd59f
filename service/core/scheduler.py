"""Timed work: periodic jobs in one declarative list, run through RQ's scheduler.

Each periodic job is scheduled with `enqueue_at` for its next tick under a
deterministic job id (`periodic-<name>-<tick>`), so any number of workers may
(re)schedule it and the tick still holds one job. A per-tick Redis lock makes the run
itself once-only even if a tick were queued twice. Every run first schedules the next
tick; every worker start re-ensures the schedule, so a lost chain heals itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import import_module

from redis import Redis

from service.core.db import utcnow
from service.core.jobs import queue
from service.core.redis_conn import redis

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    #: Dotted path of a function taking no arguments.
    func: str
    every: timedelta


PERIODIC: tuple[Periodic, ...] = (
    Periodic("sweep_outbox", "service.notifications.jobs.sweep_outbox", timedelta(seconds=30)),
    Periodic("run_surveys", "service.surveys.jobs.run_surveys", timedelta(minutes=5)),
    Periodic("check_sla", "service.sla.jobs.check_sla", timedelta(minutes=5)),
    # Each storefront's report at 08:00 in its zone: the job itself decides who is due
    # and sends once per storefront and period (service.reports.delivery).
    Periodic("report_daily", "service.reports.delivery.send_daily", timedelta(minutes=10)),
    Periodic("report_weekly", "service.reports.delivery.send_weekly", timedelta(minutes=10)),
    Periodic("report_monthly", "service.reports.delivery.send_monthly", timedelta(minutes=10)),
)
BY_NAME = {job.name: job for job in PERIODIC}


def next_tick(job: Periodic, now: datetime) -> datetime:
    """Ticks are aligned to the epoch, so every worker computes the same ones."""
    period = int(job.every.total_seconds())
    return datetime.fromtimestamp((int(now.timestamp()) // period + 1) * period, UTC)


def schedule_next(job: Periodic, now: datetime) -> str:
    tick = next_tick(job, now)
    job_id = f"periodic-{job.name}-{int(tick.timestamp())}"
    queue().enqueue_at(
        tick,
        run_periodic,
        job.name,
        int(tick.timestamp()),
        job_id=job_id,
        result_ttl=600,
        failure_ttl=86400,
    )
    return job_id


def ensure_scheduled(now: datetime | None = None) -> list[str]:
    now = now or utcnow()
    return [schedule_next(job, now) for job in PERIODIC]


def _first_run_of_tick(connection: Redis, name: str, tick: int, ttl: int) -> bool:
    return bool(connection.set(f"aftersales:periodic:{name}:{tick}", "1", nx=True, ex=ttl))


def run_periodic(name: str, tick: int) -> object:
    """The job every tick runs: schedule the next tick, then do the work once."""
    job = BY_NAME[name]
    schedule_next(job, utcnow())
    if not _first_run_of_tick(redis(), name, tick, ttl=int(job.every.total_seconds()) * 10):
        log.info("periodic %s tick %s already ran", name, tick)
        return None
    module, _, attr = job.func.rpartition(".")
    return getattr(import_module(module), attr)()
