"""Timed work: periodic jobs in one declarative list, ticked from the database.

1. Ticks are aligned to the epoch (`tick_of`), so every worker computes the same ones.
2. Every worker runs a ticker thread (`service.core.worker`). When a periodic job's
   current tick is later than the one recorded in `periodic_ticks`, the ticker claims
   it with a compare-and-set UPDATE (`claim_tick`): exactly one worker wins each tick,
   on SQLite and PostgreSQL alike, whoever is alive.
3. The winner enqueues `run_periodic(name, tick)` on RQ under a deterministic job id.
4. The job does the work and records when it ran (`ran_at`); `last_ticks()` reads it
   and `/healthz?deep=1` reports a job that has not run for
   `SCHEDULER_STALL_PERIODS` periods as stalled.

The database is the source of truth and Redis only carries the job: if Redis loses
it (restarted empty, flushed, down), the next tick is claimed and enqueued again, so
timed work resumes within one period with no restart. No lock outlives a worker: a
worker killed with SIGKILL leaves at most one claimed tick unrun, and the next tick
goes to a live worker. RQ's own scheduler is not started (nothing here uses
`enqueue_at`): its lock, held by a dead worker, used to block timed jobs for minutes.

Why not RQ's cron scheduler (`rq.cron`, rq >= 2.4): it runs as one separate process
(`rq cron <config>`) keeping the schedule in its own memory, with no election among
several such processes: run one and it is a single point of failure, run one per
worker and every job is enqueued once per process. It is marked beta. It would still
need our once-per-tick claim and our record of runs for health, which is the whole of
this module; so we keep the claim in the database, where a lost Redis cannot reach it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import import_module

from flask import current_app
from sqlalchemy import String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.core.db import Base, utcnow
from service.core.jobs import job_session, queue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    #: Dotted path of a function taking no arguments.
    func: str
    #: The setting holding its period in seconds.
    setting: str


PERIODIC: tuple[Periodic, ...] = (
    Periodic("sweep_outbox", "service.notifications.jobs.sweep_outbox", "sweep_outbox_seconds"),
    # Webhook retries wait here: a delivery due again is queued by the next sweep.
    Periodic("sweep_webhooks", "service.webhooks.jobs.sweep_deliveries", "webhook_sweep_seconds"),
    Periodic("run_surveys", "service.surveys.jobs.run_surveys", "run_surveys_seconds"),
    Periodic("check_sla", "service.sla.jobs.check_sla", "check_sla_seconds"),
    Periodic(
        "sweep_tracking", "service.tracking.jobs.sweep_subscriptions", "sweep_tracking_seconds"
    ),
    Periodic("check_tracking", "service.tracking.jobs.flag_stalled", "check_tracking_seconds"),
    Periodic(
        "poll_mailbox", "service.conversations.imap_poll.poll_mailbox", "poll_mailbox_seconds"
    ),
    # Each storefront's report at 08:00 in its zone: the job itself decides who is due
    # and sends once per storefront and period (service.reports.delivery).
    Periodic("report_daily", "service.reports.delivery.send_daily", "report_check_seconds"),
    Periodic("report_weekly", "service.reports.delivery.send_weekly", "report_check_seconds"),
    Periodic("report_monthly", "service.reports.delivery.send_monthly", "report_check_seconds"),
    Periodic("report_rollup", "service.reports.rollup.refresh", "report_rollup_seconds"),
)
BY_NAME = {job.name: job for job in PERIODIC}


class PeriodicTick(Base):
    """One row per periodic job: the last tick claimed, and when a tick last ran."""

    __tablename__ = "periodic_ticks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: The latest tick a worker claimed (and enqueued).
    tick_at: Mapped[datetime]
    claimed_at: Mapped[datetime]
    claimed_by: Mapped[str] = mapped_column(String(200))
    #: When the job of a tick last finished its work.
    ran_at: Mapped[datetime | None]


def every(job: Periodic) -> timedelta:
    return timedelta(seconds=getattr(current_app.config["SETTINGS"], job.setting))


def tick_of(period: timedelta, now: datetime) -> datetime:
    """The tick `now` falls in: ticks are aligned to the epoch."""
    seconds = int(period.total_seconds())
    return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC)


def next_tick(period: timedelta, now: datetime) -> datetime:
    return tick_of(period, now) + period


def claim_tick(session: Session, name: str, tick: datetime, now: datetime, by: str) -> bool:
    """Claim `tick` of job `name`; true for exactly one caller per tick. Commits."""
    won = session.execute(
        update(PeriodicTick)
        .where(PeriodicTick.name == name, PeriodicTick.tick_at < tick)
        .values(tick_at=tick, claimed_at=now, claimed_by=by)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if won == 1:
        return True
    if session.get(PeriodicTick, name) is not None:
        return False
    # The job's first tick ever: whoever inserts its row has claimed it.
    session.add(PeriodicTick(name=name, tick_at=tick, claimed_at=now, claimed_by=by))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def enqueue_tick(job: Periodic, tick: datetime) -> str:
    stamp = int(tick.timestamp())
    job_id = f"periodic-{job.name}-{stamp}"
    queue().enqueue(
        run_periodic,
        job.name,
        stamp,
        job_id=job_id,
        result_ttl=600,
        failure_ttl=86400,
        # A tick that could not run before the next one is left to the next one.
        ttl=max(int(every(job).total_seconds()), 60),
    )
    return job_id


def tick_due_jobs(by: str, now: datetime | None = None) -> list[str]:
    """One round of a worker's ticker: claim and enqueue every job whose tick is due.
    Returns the job ids it enqueued."""
    now = now or utcnow()
    enqueued = []
    for job in PERIODIC:
        tick = tick_of(every(job), now)
        with job_session() as session:
            won = claim_tick(session, job.name, tick, now, by)
        if won:
            enqueued.append(enqueue_tick(job, tick))
    return enqueued


def seconds_to_next_tick(now: datetime | None = None) -> float:
    now = now or utcnow()
    return min((next_tick(every(job), now) - now).total_seconds() for job in PERIODIC)


def run_periodic(name: str, tick: int) -> object:
    """The job of one tick: do the work, then record that the tick ran."""
    job = BY_NAME[name]
    with job_session() as session:
        row = session.get(PeriodicTick, name)
        if row is not None and int(row.tick_at.timestamp()) > tick:
            # A later tick is already on its way (this one waited in a long queue).
            log.debug("periodic %s tick %s skipped: a later tick was claimed", name, tick)
            return None
    module, _, attr = job.func.rpartition(".")
    result = getattr(import_module(module), attr)()
    with job_session() as session:
        session.execute(
            update(PeriodicTick)
            .where(PeriodicTick.name == name)
            .values(ran_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        session.commit()
    return result


def last_ticks(session: Session) -> dict[str, datetime | None]:
    """When each periodic job's last tick ran (None: never)."""
    ran = dict(session.execute(select(PeriodicTick.name, PeriodicTick.ran_at)).all())
    return {job.name: ran.get(job.name) for job in PERIODIC}


def stalled(session: Session, now: datetime | None = None) -> dict[str, datetime | None]:
    """The jobs whose last tick ran longer ago than `SCHEDULER_STALL_PERIODS` periods
    (or never), with when they last ran."""
    now = now or utcnow()
    periods = current_app.config["SETTINGS"].scheduler_stall_periods
    return {
        name: ran
        for name, ran in last_ticks(session).items()
        if ran is None or now - ran > every(BY_NAME[name]) * periods
    }
