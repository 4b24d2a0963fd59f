"""Report periods: a day, an ISO week, a month or any range of local days, bounded by
midnights in one time zone, and the period just before it of the same length."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

KINDS = ("daily", "weekly", "monthly", "range")
#: The longest range a report may cover (a year and a day: leap years).
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    kind: str
    #: First local day (inclusive) and the day after the last (exclusive).
    first: date
    after: date
    time_zone: str

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.after - self.first).days)]

    def instant(self, day: date) -> datetime:
        """The UTC instant of `day`'s local midnight (DST-safe: zoneinfo decides)."""
        return datetime.combine(day, time(0), tzinfo=ZoneInfo(self.time_zone)).astimezone(UTC)

    @property
    def start(self) -> datetime:
        return self.instant(self.first)

    @property
    def end(self) -> datetime:
        return self.instant(self.after)

    @property
    def boundaries(self) -> list[datetime]:
        """Local midnights from the first day to the day after the last, in UTC."""
        return [self.instant(day) for day in (*self.days, self.after)]

    def previous(self) -> Period:
        """The period before: the previous day, ISO week, calendar month or range."""
        if self.kind == "monthly":
            first = (self.first - timedelta(days=1)).replace(day=1)
            return Period(self.kind, first, self.first, self.time_zone)
        length = self.after - self.first
        return Period(self.kind, self.first - length, self.first, self.time_zone)

    def describe(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "first_day": self.first,
            "last_day": self.after - timedelta(days=1),
            "start": self.start,
            "end": self.end,
            "time_zone": self.time_zone,
        }


def period_for(kind: str, day: date, time_zone: str) -> Period:
    """The day, ISO week (Monday first) or calendar month that holds local `day`."""
    if kind == "daily":
        return Period(kind, day, day + timedelta(days=1), time_zone)
    if kind == "weekly":
        monday = day - timedelta(days=day.weekday())
        return Period(kind, monday, monday + timedelta(days=7), time_zone)
    if kind == "monthly":
        first = day.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
        return Period(kind, first, after, time_zone)
    raise ValueError(f"unknown period kind {kind!r}")


def range_period(first: date, last: date, time_zone: str) -> Period:
    """Local days `first`..`last`, both included."""
    if last < first:
        raise ValueError("the last day is before the first")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValueError(f"a range covers at most {MAX_DAYS} days")
    return Period("range", first, last + timedelta(days=1), time_zone)


def local_today(now: datetime, time_zone: str) -> date:
    return now.astimezone(ZoneInfo(time_zone)).date()


def last_complete(kind: str, now: datetime, time_zone: str) -> Period:
    """The latest whole period before `now` (yesterday, last week, last month)."""
    current = period_for(kind, local_today(now, time_zone), time_zone)
    return current.previous()
