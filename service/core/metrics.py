"""`/metrics`: Prometheus text format, safe under several gunicorn workers.

How it works:
1. Request metrics (count and latency by method, route and status; the route is the URL
   rule, `/api/v1/cases/<string:case_ref>`, never the raw path, so labels stay few) are counted by
   each process as it answers. Under gunicorn, `PROMETHEUS_MULTIPROC_DIR` (set by
   `service/core/gunicorn_conf.py`) makes prometheus-client keep them in per-process
   files, and a scrape, whichever worker answers it, adds up every worker's files.
2. State metrics are gathered from the database and Redis at scrape time by the
   functions in `COLLECTORS` (dotted paths, each `(session, redis) -> metric families`):
   any worker gives the same answer, and nothing needs keeping in step. A collector
   that fails (the database down) is reported by `aftersales_collector_up 0` instead
   of failing the scrape.
3. Protection: with METRICS_TOKEN set, a scrape must send `Authorization: Bearer
   <token>`; without it /metrics answers only in development (`APP_ENV=development`)
   and is a 404 elsewhere.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import time
from collections.abc import Callable, Iterable
from importlib import import_module

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from redis import Redis
from rq import Queue
from sqlalchemy.orm import Session

from service.core import db
from service.core.jobs import QUEUES
from service.core.redis_conn import redis
from service.core.scheduler import last_ticks

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)

REQUESTS = Counter("aftersales_http_requests", "Requests answered.", ["method", "route", "status"])
LATENCY = Histogram(
    "aftersales_http_request_duration_seconds",
    "Time to answer a request.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

Collector = Callable[[Session, Redis], Iterable[Metric]]

#: Gathered at each scrape. Add one by appending its dotted path.
COLLECTORS: list[str] = [
    "service.core.metrics.queue_depth",
    "service.core.metrics.scheduler_last_tick",
    "service.notifications.metrics.notices_by_status",
    "service.sla.metrics.breaches",
]


def queue_depth(_session: Session, connection: Redis) -> Iterable[Metric]:
    waiting = GaugeMetricFamily(
        "aftersales_queue_jobs", "Jobs waiting per RQ queue.", labels=["queue"]
    )
    failed = GaugeMetricFamily(
        "aftersales_queue_failed_jobs", "Jobs in each queue's failed registry.", labels=["queue"]
    )
    for name in QUEUES:
        queue = Queue(name, connection=connection)
        waiting.add_metric([name], queue.count)
        failed.add_metric([name], queue.failed_job_registry.count)
    return [waiting, failed]


def scheduler_last_tick(session: Session, _redis: Redis) -> Iterable[Metric]:
    # Read from the database (the ticks' source of truth), so it survives Redis losing
    # its data; `time() - aftersales_scheduler_last_tick_timestamp_seconds` is the lag.
    family = GaugeMetricFamily(
        "aftersales_scheduler_last_tick_timestamp_seconds",
        "When each periodic job last ran (0: never).",
        labels=["job"],
    )
    for name, ran_at in last_ticks(session).items():
        family.add_metric([name], ran_at.timestamp() if ran_at else 0)
    return [family]


class _Gathered:
    """A collector that yields what was gathered for this one scrape."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


def _state_metrics() -> bytes:
    up = GaugeMetricFamily(
        "aftersales_collector_up",
        "1 when the collector could read its source.",
        labels=["collector"],
    )
    families: list[Metric] = []
    session = db.session()
    for path in COLLECTORS:
        module, _, name = path.rpartition(".")
        collect: Collector = getattr(import_module(module), name)
        try:
            families.extend(collect(session, redis()))
            up.add_metric([name], 1)
        except Exception:
            with contextlib.suppress(Exception):  # the database may be the one down
                session.rollback()
            log.warning("metrics collector %s failed", name, exc_info=True)
            up.add_metric([name], 0)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Gathered([*families, up]))
    return generate_latest(registry)


def _process_metrics() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(REQUESTS)
    registry.register(LATENCY)
    return generate_latest(registry)


@bp.get("/metrics")
def scrape() -> Response:
    settings = current_app.config["SETTINGS"]
    if settings.metrics_token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {settings.metrics_token}".encode()):
            abort(401)
    elif settings.app_env != "development":
        abort(404)
    return Response(_process_metrics() + _state_metrics(), content_type=CONTENT_TYPE_LATEST)


def _start() -> None:
    g.metrics_started = time.perf_counter()


def _count(response: Response) -> Response:
    if "metrics_started" in g:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        LATENCY.labels(request.method, route).observe(time.perf_counter() - g.metrics_started)
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_count)
    app.register_blueprint(bp)
