"""A report from the daily rollup: the whole days it holds (built, unmarked, cut in the
report's zone, closed and settled by the report's clock) are summed from its tables;
the other days of the window (today, a day changed since it was built...) are queried
live, and the two are merged. Percentiles merge exactly: the rollup keeps each day's
durations as (value, cases) counts, and the live days give theirs the same way.

Used only when every storefront of the report is in the report's zone (the rollup's
days are the storefronts' local days); otherwise, or with no rolled day, the report is
all live (service.reports.inputs.live)."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from service.cases.models import Case, CaseKind
from service.reports import people, queries
from service.reports.cohorts import Cohorts
from service.reports.inputs import Inputs
from service.reports.models import (
    ReportDay,
    ReportDayChange,
    ReportDayIntake,
    ReportDayOutcome,
    ReportDayProduct,
    ReportDayStaff,
)
from service.reports.queries import Scope, Window
from service.reports.sql import in_scope
from service.storefronts.models import Storefront


class Low(NamedTuple):
    id: Any
    number: str
    overall: int | None
    attitude: int | None
    quality: int | None
    price: int | None
    comment: str | None


def rolled_days(session: Session, scope: Scope, w: Window, now: datetime) -> set[date]:
    """The days of the window every storefront of the report has valid in the rollup."""
    zone = w.period.time_zone
    stmt = select(Storefront.id, Storefront.time_zone)
    if scope is not None:
        stmt = stmt.where(Storefront.id.in_(list(scope)))
    stores = list(session.execute(stmt))
    if not stores or any(z != zone for _id, z in stores):
        return set()
    first, after = w.previous.first, w.period.after
    # A storefront's day counts when built in the zone, settled by `now` and unmarked;
    # the window's day is rolled when every storefront's does.
    pending = (
        select(ReportDayChange.id)
        .where(
            ReportDayChange.storefront_id == ReportDay.storefront_id,
            ReportDayChange.day == ReportDay.day,
        )
        .exists()
    )
    valid = session.execute(
        select(ReportDay.day, func.count())
        .where(
            in_scope(scope, ReportDay.storefront_id),
            ReportDay.day >= first,
            ReportDay.day < after,
            ReportDay.time_zone == zone,
            (ReportDay.settled_at.is_(None)) | (ReportDay.settled_at <= now),
            ~pending,
        )
        .group_by(ReportDay.day)
    )
    return {
        day for day, n in valid if n == len(stores) and w.period.instant(day + timedelta(1)) <= now
    }


def _intervals(w: Window, rolled: set[date]) -> list[tuple[datetime, datetime]]:
    """The UTC intervals of the window's days not rolled, runs merged."""
    out: list[tuple[datetime, datetime]] = []
    for day in (*w.previous.days, *w.period.days):
        if day in rolled:
            continue
        start, end = w.period.instant(day), w.period.instant(day + timedelta(days=1))
        if out and out[-1][1] == start:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def nearest_rank(counts: dict[float, int]) -> tuple[int, float | None, float | None]:
    """(cases, median, 90th percentile), nearest rank, as service.reports.sql ranks."""
    n = sum(counts.values())
    if not n:
        return 0, None, None
    ranks = {(n * 50 + 99) // 100: None, (n * 90 + 99) // 100: None}
    seen = 0
    for value, k in sorted(counts.items()):
        for rank in ranks:
            if ranks[rank] is None and seen < rank <= seen + k:
                ranks[rank] = value
        seen += k
    return n, ranks[(n * 50 + 99) // 100], ranks[(n * 90 + 99) // 100]


def _add(into: dict, key: Any, counts: Iterable[tuple[float, int]]) -> None:
    bucket = into.setdefault(key, defaultdict(int))
    for value, k in counts:
        bucket[value] += k


def _lowest_order(dialect: str) -> Any:
    """ORDER BY overall, attitude + quality + price, number — NULLs where the database
    puts them (PostgreSQL last, SQLite first)."""
    last = dialect == "postgresql"

    def ordered(row: Low) -> tuple:
        parts = (row.attitude, row.quality, row.price)
        total = None if None in parts else sum(parts)

        def nulls(v: Any) -> tuple:
            return ((v is None) if last else (v is not None), v or 0)

        return (*nulls(row.overall), *nulls(total), row.number)

    return ordered


def gather(session: Session, scope: Scope, w: Window, now: datetime) -> Inputs | None:
    rolled = rolled_days(session, scope, w, now)
    if not rolled:
        return None
    live = Window(w.period, _intervals(w, rolled))
    given = _live_part(session, scope, live, now) if live.intervals else _empty()
    _add_rollup(session, scope, w, sorted(rolled), given)
    return given


def _empty() -> Inputs:
    cohorts = Cohorts.__new__(Cohorts)
    cohorts.opened_rows, cohorts.completed_rows, cohorts.more_by_day = [], [], {}
    return Inputs(cohorts, {}, {}, {}, {}, {}, {}, {}, [], {}, {})


def _live_part(session: Session, scope: Scope, w: Window, now: datetime) -> Inputs:
    """The days not rolled, live; durations as counts (merged with the rollup's)."""
    res = queries.duration_counts(
        session,
        queries.resolution_hours(),
        [in_scope(scope), w.over(Case.completed_at), queries.completed_cases()],
        by=[w.flag(Case.completed_at), Case.kind],
    )
    first = queries.duration_counts(
        session,
        queries.first_response_hours(),
        [in_scope(scope), w.over(Case.created_at)],
        by=[w.flag(Case.created_at)],
    )
    given = Inputs(
        cohorts=Cohorts(session, scope, w, now),
        resolution={},
        first_response={},
        follow_up=queries.follow_up_due(session, scope, w, now),
        sent=queries.surveys_sent(session, scope, w),
        satisfaction=queries.satisfaction(session, scope, w),
        by_sku=queries.intake_by_sku(session, scope, w),
        problems=queries.problems(session, scope, w),
        lowest=[Low(*row) for row in queries.lowest_scored(session, scope, w)],
        contacts=people.contacts_by_person(session, scope, w),
        first_answers=people.first_answers_by_person(session, scope, w),
    )
    # Counts for now, percentiles once the rollup's are added (see _add_rollup).
    for (flag, kind), counts in res.items():
        _add(given.resolution, (flag, CaseKind(kind)), counts.items())
        _add(given.resolution, (flag,), counts.items())
    for (flag,), counts in first.items():
        _add(given.first_response, (flag,), counts.items())
    return given


def _sum_into(into: dict, key: Any, values: dict[str, int]) -> None:
    bucket = into.setdefault(key, {})
    for name, value in values.items():
        bucket[name] = bucket.get(name, 0) + (value or 0)


def _add_rollup(session: Session, scope: Scope, w: Window, days: list[date], given: Inputs) -> None:
    def flag(table: Any) -> Any:
        return case((table.day >= w.period.first, 1), else_=0)

    def where(table: Any, *more: Any) -> list[Any]:
        return [in_scope(scope, table.storefront_id), table.day.in_(days), *more]

    t = ReportDayIntake
    p = flag(t)
    for row in session.execute(
        select(p, t.kind, t.channel, t.storefront_id, func.sum(t.opened),
               func.sum(t.first_response_met), func.sum(t.first_response_due),
               func.sum(t.cancelled))
        .where(*where(t)).group_by(p, t.kind, t.channel, t.storefront_id)
    ):  # fmt: skip
        # Settled days: every deadline passed, nothing pending.
        given.cohorts.opened_rows.append((*row[:4], -1, row[4], row[5], row[6], 0, row[7]))
    by_day = given.cohorts.more_by_day
    for day, n in session.execute(
        select(t.day, func.sum(t.opened)).where(*where(t, t.day >= w.period.first)).group_by(t.day)
    ):
        by_day[(day - w.period.first).days] = by_day.get((day - w.period.first).days, 0) + n
    o = ReportDayOutcome
    p = flag(o)
    for row in session.execute(
        select(p, o.kind, o.assignee_id, func.sum(o.completed), func.sum(o.resolution_met),
               func.sum(o.covered), func.sum(o.followed))
        .where(*where(o)).group_by(p, o.kind, o.assignee_id)
    ):  # fmt: skip
        given.cohorts.completed_rows.append(tuple(row))
    pr = ReportDayProduct
    p = flag(pr)
    for f, cohort, sku, cause, n in session.execute(
        select(p, pr.cohort, pr.sku, pr.cause, func.sum(pr.cases))
        .where(*where(pr)).group_by(p, pr.cohort, pr.sku, pr.cause)
    ):  # fmt: skip
        found = given.by_sku if cohort == "opened" else given.problems
        key = (f, sku) if cohort == "opened" else (f, sku, cause)
        found[key] = found.get(key, 0) + n
    st = ReportDayStaff
    for staff_id, contacts, first in session.execute(
        select(st.staff_id, func.sum(st.contacts), func.sum(st.first_answers))
        .where(*where(st, st.day >= w.period.first)).group_by(st.staff_id)
    ):  # fmt: skip
        for found, n in ((given.contacts, contacts), (given.first_answers, first)):
            if n:
                found[staff_id] = found.get(staff_id, 0) + n
    _add_days(session, w, where, given)


SUMS = (
    "follow_up_met", "follow_up_due", "surveys_sent", "sent_answered_link",
    "sent_answered_phone", *queries.SATISFACTION,
)  # fmt: skip


def _add_days(session: Session, w: Window, where: Any, given: Inputs) -> None:
    """The days' single figures and durations, in one read of their rows."""
    d = ReportDay
    lowest = list(given.lowest)
    columns = [getattr(d, name) for name in SUMS]
    for day, first, done, low, *values in session.execute(
        select(d.day, d.first_response_hours, d.resolution_hours, d.lowest, *columns).where(
            *where(d)
        )
    ):
        f = 1 if day >= w.period.first else 0
        sums = dict(zip(SUMS, values, strict=True))
        _sum_into(given.follow_up, f, {"met": sums["follow_up_met"], "due": sums["follow_up_due"]})
        _sum_into(
            given.sent,
            f,
            {"sent": sums["surveys_sent"], "link": sums["sent_answered_link"],
             "phone": sums["sent_answered_phone"]},
        )  # fmt: skip
        _sum_into(given.satisfaction, f, {k: sums[k] for k in queries.SATISFACTION})
        _add(given.first_response, (f,), json.loads(first))
        for kind, counts in json.loads(done).items():
            _add(given.resolution, (f, CaseKind(kind)), counts)
            _add(given.resolution, (f,), counts)
        if f == 1:
            lowest += [Low(uuid.UUID(r[0]), *r[1:]) for r in json.loads(low)]
    lowest.sort(key=_lowest_order(session.get_bind().dialect.name))
    given.lowest = lowest[: queries.LOWEST]
    given.resolution = {k: nearest_rank(v) for k, v in given.resolution.items()}
    given.first_response = {k: nearest_rank(v) for k, v in given.first_response.items()}
