"""The daily rollup: each storefront's closed local days (in its zone), built from the
live tables by the very queries a live report runs, cut to one day and one storefront.

Why rebuilt, not kept by the writers: a day's figures move with late changes far from
the lifecycle (a survey answered a week later moves its case's completion day; a pause
moves a deadline; an agent logs yesterday's call), and percentiles cannot be updated by
increments. So the writers only *mark* the days they touch, in their own transaction
(service.reports.changes), and `refresh` (the `report_rollup` periodic job) rebuilds
every closed day that is marked, missing, or cut in another zone: each day is deleted
and rewritten in one transaction that also consumes the marks it read, so a rerun, a
second worker or a lost Redis (the marks and the days are rows, the tick is claimed in
the database) only rebuilds a day again. Reports read a day only while it is built
and unmarked (service.reports.rolled), so a stale day is never read.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.cases.models import Case
from service.core.db import utcnow
from service.core.jobs import job_session
from service.reports import people, queries
from service.reports.cohorts import Cohorts
from service.reports.models import (
    ReportDay,
    ReportDayChange,
    ReportDayIntake,
    ReportDayOutcome,
    ReportDayProduct,
    ReportDayStaff,
)
from service.reports.periods import Period, local_today
from service.reports.queries import Window
from service.reports.sql import in_scope
from service.storefronts.models import Storefront

#: A clock past every deadline: a day's "due" counts as they will stand once settled.
FOREVER = datetime(9999, 1, 1, tzinfo=UTC)
#: A day is built only this long after its local midnight, so a transaction begun
#: before midnight (whose new rows carry no mark: they are not yet dated) has committed.
GRACE = timedelta(hours=1)
DAY_TABLES = (ReportDayIntake, ReportDayOutcome, ReportDayProduct, ReportDayStaff, ReportDay)


def _value(v: Any) -> Any:
    return getattr(v, "value", v)


def build_day(session: Session, storefront: Storefront, day: date, fresh: bool = False) -> None:
    """(Re)write `storefront`'s rollup of local `day` (flushes, never commits). `fresh`:
    the day was never built (its rows are written with its `ReportDay`, so none exist)."""
    sid, zone = storefront.id, storefront.time_zone
    for table in () if fresh else DAY_TABLES:
        session.execute(delete(table).where(table.storefront_id == sid, table.day == day))
    w = Window.one_day(Period("daily", day, day + timedelta(days=1), zone))
    scope = [sid]
    cohorts = Cohorts(session, scope, w, FOREVER)
    for row in cohorts.opened_rows:
        session.add(
            ReportDayIntake(
                storefront_id=sid, day=day, kind=_value(row[1]), channel=_value(row[2]),
                opened=row[5], first_response_met=row[6], first_response_due=row[7],
                cancelled=row[9],
            )
        )  # fmt: skip
    for row in cohorts.completed_rows:
        session.add(
            ReportDayOutcome(
                storefront_id=sid, day=day, kind=_value(row[1]), assignee_id=row[2],
                completed=row[3], resolution_met=row[4], covered=row[5], followed=row[6],
            )
        )  # fmt: skip
    for (_flag, sku), n in queries.intake_by_sku(session, scope, w).items():
        session.add(ReportDayProduct(storefront_id=sid, day=day, cohort="opened", sku=sku,
                                     cause="", cases=n))  # fmt: skip
    for (_flag, sku, cause), n in queries.problems(session, scope, w).items():
        session.add(ReportDayProduct(storefront_id=sid, day=day, cohort="completed", sku=sku,
                                     cause=cause, cases=n))  # fmt: skip
    contacts = people.contacts_by_person(session, scope, w)
    first = people.first_answers_by_person(session, scope, w)
    for staff_id in {*contacts, *first}:
        session.add(ReportDayStaff(storefront_id=sid, day=day, staff_id=staff_id,
                                   contacts=contacts.get(staff_id, 0),
                                   first_answers=first.get(staff_id, 0)))  # fmt: skip
    session.add(_day_row(session, storefront, day, w))
    session.flush()


def _day_row(session: Session, storefront: Storefront, day: date, w: Window) -> ReportDay:
    scope = [storefront.id]
    settled = session.scalar(
        select(func.max(Case.first_response_due_at)).where(
            in_scope(scope), w.over(Case.created_at), Case.first_responded_at.is_(None)
        )
    )
    follow = queries.follow_up_due(session, scope, w, FOREVER).get(1, {})
    sent = queries.surveys_sent(session, scope, w).get(1, {})
    sat = queries.satisfaction(session, scope, w).get(1, {})
    first = queries.duration_counts(
        session, queries.first_response_hours(), [in_scope(scope), w.over(Case.created_at)]
    )
    done = queries.duration_counts(
        session,
        queries.resolution_hours(),
        [in_scope(scope), w.over(Case.completed_at), queries.completed_cases()],
        by=[Case.kind],
    )
    lowest = [
        [str(r[0]), r[1], r[2], r[3], r[4], r[5], r[6]]
        for r in queries.lowest_scored(session, scope, w)
    ]
    return ReportDay(
        storefront_id=storefront.id,
        day=day,
        time_zone=storefront.time_zone,
        built_at=utcnow(),
        settled_at=settled,
        follow_up_due=follow.get("due", 0),
        follow_up_met=follow.get("met", 0),
        surveys_sent=sent.get("sent", 0),
        sent_answered_link=sent.get("link", 0),
        sent_answered_phone=sent.get("phone", 0),
        **{name: sat.get(name, 0) for name in queries.SATISFACTION},
        first_response_hours=json.dumps(sorted(first.get((), {}).items())),
        resolution_hours=json.dumps(
            {_value(key[0]): sorted(counts.items()) for key, counts in done.items()}
        ),
        lowest=json.dumps(lowest),
    )


def _due_days(
    session: Session, now: datetime, rebuild: bool
) -> list[tuple[Storefront, date, bool]]:
    """Every closed day missing, marked or cut in another zone, per storefront (and
    whether it was never built)."""
    first_case = session.scalar(select(func.min(Case.created_at)))
    marked: dict[uuid.UUID, set[date]] = defaultdict(set)
    for storefront_id, day in session.execute(
        select(ReportDayChange.storefront_id, ReportDayChange.day).distinct()
    ):
        marked[storefront_id].add(day)
    built: dict[uuid.UUID, dict[date, str]] = defaultdict(dict)
    for storefront_id, day, zone in session.execute(
        select(ReportDay.storefront_id, ReportDay.day, ReportDay.time_zone)
    ):
        built[storefront_id][day] = zone
    due = []
    for storefront in session.scalars(select(Storefront).order_by(Storefront.slug)):
        last = local_today(now - GRACE, storefront.time_zone) - timedelta(days=1)
        days = set(d for d in marked[storefront.id] if d <= last)
        if first_case is not None:
            day = local_today(first_case, storefront.time_zone)
            have = built[storefront.id]
            while day <= last:
                if rebuild or have.get(day) != storefront.time_zone:
                    days.add(day)
                day += timedelta(days=1)
        due += [(storefront, d, d not in built[storefront.id]) for d in sorted(days)]
    return due


def refresh_days(
    session: Session,
    now: datetime | None = None,
    rebuild: bool = False,
    budget: timedelta | None = None,
) -> int:
    """Build every due day, each in its own transaction (committed); returns how many.
    With `budget`, starts no day after that long (a first backfill of years of days
    spreads over several ticks instead of overlapping the next one)."""
    now = now or utcnow()
    stop = None if budget is None else time.monotonic() + budget.total_seconds()
    done = 0
    for storefront, day, fresh in _due_days(session, now, rebuild):
        if stop is not None and time.monotonic() > stop:
            break
        # The marks read before the build: their changes are committed, so the build
        # sees them; marks written meanwhile stay for the next run.
        ids = list(
            session.scalars(
                select(ReportDayChange.id).where(
                    ReportDayChange.storefront_id == storefront.id, ReportDayChange.day == day
                )
            )
        )
        build_day(session, storefront, day, fresh)
        if ids:
            session.execute(delete(ReportDayChange).where(ReportDayChange.id.in_(ids)))
        session.commit()
        done += 1
    return done


def refresh() -> int:
    """The `report_rollup` periodic job: what is due, within half its period."""
    period = current_app.config["SETTINGS"].report_rollup_seconds
    with job_session() as session:
        return refresh_days(session, budget=timedelta(seconds=period / 2))


reports_cli = AppGroup("reports", help="The reports' daily rollup.")


@reports_cli.command("rollup")
@click.option("--rebuild", is_flag=True, help="Rebuild every closed day, not only those due.")
def rollup_command(rebuild: bool) -> None:
    """Build the closed days missing or changed (all of them with --rebuild)."""
    with job_session() as session:
        click.echo(f"{refresh_days(session, rebuild=rebuild)} days built")
