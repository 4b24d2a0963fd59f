"""The outbox at scrape time (service.core.metrics): notices by status and channel."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric
from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.notifications.models import Channel, NoticeStatus, Notification


def notices_by_status(session: Session, _redis: Redis) -> Iterable[Metric]:
    family = GaugeMetricFamily(
        "aftersales_notices",
        "Notices in the outbox by status and channel.",
        labels=["status", "channel"],
    )
    counts = dict.fromkeys(((s, c) for s in NoticeStatus for c in Channel), 0)
    rows = session.execute(
        select(Notification.status, Notification.channel, func.count()).group_by(
            Notification.status, Notification.channel
        )
    )
    for status, channel, count in rows:
        counts[(status, channel)] = count
    for (status, channel), count in counts.items():
        family.add_metric([status.value, channel.value], count)
    return [family]
