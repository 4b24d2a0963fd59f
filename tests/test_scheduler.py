"""Periodic jobs: one declarative list, deterministic ids, never twice for one tick."""

from __future__ import annotations

from datetime import UTC, datetime

from rq.registry import ScheduledJobRegistry

from service.core.jobs import queue
from service.core.redis_conn import redis
from service.core.scheduler import BY_NAME, PERIODIC, _first_run_of_tick, next_tick, schedule_next


def test_ticks_are_aligned_so_every_worker_computes_the_same(app):
    job = BY_NAME["sweep_outbox"]
    now = datetime(2026, 11, 23, 12, 0, 17, tzinfo=UTC)
    assert next_tick(job, now) == datetime(2026, 11, 23, 12, 0, 30, tzinfo=UTC)
    assert next_tick(job, now.replace(second=30)) == datetime(2026, 11, 23, 12, 1, 0, tzinfo=UTC)


def test_scheduling_a_tick_twice_keeps_one_job(app):
    with app.app_context():
        registry = ScheduledJobRegistry(queue=queue())
        now = datetime(2030, 1, 1, 0, 0, 5, tzinfo=UTC)
        first = {schedule_next(job, now) for job in PERIODIC}
        second = {schedule_next(job, now) for job in PERIODIC}  # another worker starting
        assert first == second
        scheduled = set(registry.get_job_ids())
        assert first <= scheduled
        for job_id in first:
            registry.remove(job_id, delete_job=True)


def test_a_tick_runs_once_even_if_queued_twice(app):
    with app.app_context():
        connection = redis()
        tick = 1_900_000_000
        connection.delete(f"aftersales:periodic:check_sla:{tick}")
        assert _first_run_of_tick(connection, "check_sla", tick, ttl=60) is True
        assert _first_run_of_tick(connection, "check_sla", tick, ttl=60) is False
        assert _first_run_of_tick(connection, "check_sla", tick + 300, ttl=60) is True
