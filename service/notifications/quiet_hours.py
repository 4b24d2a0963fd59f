"""Quiet hours: no SMS while the customer is resting (避免在客户休息时打扰客户)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from service.customers.models import Customer
    from service.storefronts.models import Storefront


def quiet_until(now: datetime, time_zone: str, start_hour: int, end_hour: int) -> datetime | None:
    """The end of the quiet window `now` falls in (UTC), or None when SMS may go now.

    The window runs from `start_hour` to `end_hour` local time and may span midnight
    (21 -> 8). Equal hours mean no quiet window.
    """
    if start_hour == end_hour:
        return None
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    hour = local.hour
    spans_midnight = start_hour > end_hour
    quiet = (
        (hour >= start_hour or hour < end_hour) if spans_midnight else start_hour <= hour < end_hour
    )
    if not quiet:
        return None
    end_day = local.date()
    if hour >= end_hour:
        end_day += timedelta(days=1)
    # Built from the local date and hour, so a DST change in between is accounted for.
    return datetime.combine(end_day, time(end_hour), tzinfo=zone).astimezone(UTC)


def sms_quiet_until(now: datetime, customer: Customer, storefront: Storefront) -> datetime | None:
    """`quiet_until` for an SMS to `customer`: their zone, the storefront's window."""
    return quiet_until(
        now, customer.time_zone, storefront.quiet_start_hour, storefront.quiet_end_hour
    )
