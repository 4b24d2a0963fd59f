"""Quiet hours: no SMS while the customer is resting (避免在客户休息时打扰客户).

An SMS due inside the window is `deferred` to its end. Deferred SMS coalesce: when a
case gets a later SMS, its earlier SMS still waiting are `suppressed` as superseded
(with the later one's template as the reason), so the morning brings the latest news
of each case, not every step of the night ("please decide on the quote" for a quote
approved since). This is decided when the later SMS is written (`supersede_waiting`)
and again at send time (`superseded_by`: an SMS deferred by the send-time check after
a later one was written). E-mail is never coalesced: it went at its hour.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.notifications.models import Channel, NoticeStatus, Notification

#: Statuses of an SMS that is going, or went, to the customer.
LIVE = (
    NoticeStatus.pending,
    NoticeStatus.queued,
    NoticeStatus.deferred,
    NoticeStatus.sending,
    NoticeStatus.sent,
)

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


#: A staff member's own message (service/conversations) says something no status notice
#: repeats: it neither supersedes nor is superseded.
PERSONAL_TEMPLATES = ("message",)


def superseded(template: str) -> str:
    return f"superseded by a later SMS ({template})"


def supersede_waiting(session: Session, newer: Notification, now: datetime) -> int:
    """Write time: `newer`, an SMS of its case that will go, supersedes every earlier SMS
    of the case still deferred. Returns how many it suppressed."""
    if (
        newer.channel != Channel.sms
        or newer.case_id is None
        or newer.status not in LIVE
        or newer.template in PERSONAL_TEMPLATES
    ):
        return 0
    return session.execute(
        update(Notification)
        .where(
            Notification.case_id == newer.case_id,
            Notification.channel == Channel.sms,
            Notification.status == NoticeStatus.deferred,
            Notification.template.not_in(PERSONAL_TEMPLATES),
            Notification.id != newer.id,
        )
        .values(
            status=NoticeStatus.suppressed, last_error=superseded(newer.template), updated_at=now
        )
        .execution_options(synchronize_session=False)
    ).rowcount


def superseded_by(session: Session, row: Notification) -> str | None:
    """Send time: the template of a later SMS of `row`'s case that goes, if any."""
    if row.channel != Channel.sms or row.case_id is None or row.template in PERSONAL_TEMPLATES:
        return None
    return session.scalar(
        select(Notification.template)
        .where(
            Notification.case_id == row.case_id,
            Notification.channel == Channel.sms,
            Notification.template.not_in(PERSONAL_TEMPLATES),
            Notification.created_at > row.created_at,
            Notification.status.in_(LIVE),
        )
        .order_by(Notification.created_at.desc())
        .limit(1)
    )
