"""SLA breaches at scrape time (service.core.metrics), by clock."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import CounterMetricFamily, Metric
from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.sla.models import SlaBreach

CLOCKS = ("first_response", "resolution", "follow_up")


def breaches(session: Session, _redis: Redis) -> Iterable[Metric]:
    # Breach rows are never deleted (while their case lives), so the count only grows:
    # a counter, and `increase(aftersales_sla_breaches_total[1h])` is the recent rate.
    family = CounterMetricFamily(
        "aftersales_sla_breaches", "SLA breaches recorded, by clock.", labels=["clock"]
    )
    counts = dict.fromkeys(CLOCKS, 0)
    counts.update(
        session.execute(select(SlaBreach.clock, func.count()).group_by(SlaBreach.clock)).all()
    )
    for clock, count in counts.items():
        family.add_metric([clock], count)
    return [family]
