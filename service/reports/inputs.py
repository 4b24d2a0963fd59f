"""What a report is computed from, gathered in one of two ways: `live` runs every query
of service.reports.queries/.cohorts/.people over the live tables; service.reports.rolled
reads the daily rollup for the whole days it holds and runs the same queries live for
the rest. Both give the same `Inputs`, from which build.py shapes the report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service.reports import people, queries
from service.reports.cohorts import Cohorts
from service.reports.queries import Scope, Window


@dataclass
class Inputs:
    cohorts: Cohorts
    #: (flag,) and (flag, kind) -> (cases, median, 90th percentile) of resolution hours.
    resolution: dict[tuple, tuple]
    #: (flag,) -> (cases, median, 90th percentile) of first-response hours.
    first_response: dict[tuple, tuple]
    follow_up: dict[int, dict]
    sent: dict[int, dict]
    #: flag -> sums and counts of the answers (queries.SATISFACTION).
    satisfaction: dict[int, dict]
    by_sku: dict[tuple, int]
    problems: dict[tuple, int]
    lowest: list[Any]
    contacts: dict[Any, int]
    first_answers: dict[Any, int]


def live(session: Session, scope: Scope, w: Window, now: datetime) -> Inputs:
    return Inputs(
        cohorts=Cohorts(session, scope, w, now),
        resolution=queries.resolution_times(session, scope, w),
        first_response=queries.first_response_times(session, scope, w),
        follow_up=queries.follow_up_due(session, scope, w, now),
        sent=queries.surveys_sent(session, scope, w),
        satisfaction=queries.satisfaction(session, scope, w),
        by_sku=queries.intake_by_sku(session, scope, w),
        problems=queries.problems(session, scope, w),
        lowest=queries.lowest_scored(session, scope, w),
        contacts=people.contacts_by_person(session, scope, w),
        first_answers=people.first_answers_by_person(session, scope, w),
    )
