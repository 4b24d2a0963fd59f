"""The report's SQL: each function is one aggregate query (GROUP BY in the database)
over the current and the previous period at once, keyed by the period flag (1 current,
0 previous). Which rows count, and how, is what service.reports.metrics defines."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, distinct, false, func, or_, select
from sqlalchemy.orm import Session

from service.cases.models import Case, CaseEvent, CaseItem, CaseKind, CaseStatus
from service.reports.periods import Period
from service.reports.sql import (
    codepoint_order,
    count_if,
    in_period,
    in_scope,
    percentiles,
    period_flag,
    seconds_between,
)
from service.surveys.models import AnswerChannel, Survey, SurveyStatus

Scope = Sequence[uuid.UUID] | None
HOUR = 3600.0
#: How many rows the long tables (SKUs, causes) keep.
TOP = 20


Interval = tuple[datetime, datetime]


class Window:
    """The current period and the previous one, as one span for the queries; or, with
    `intervals`, only those UTC intervals of it (the days not read from the rollup)."""

    def __init__(self, period: Period, intervals: Sequence[Interval] | None = None) -> None:
        self.period = period
        self.previous = period.previous()
        self.start, self.split, self.end = self.previous.start, period.start, period.end
        self.intervals = list(intervals) if intervals is not None else [(self.start, self.end)]

    @classmethod
    def one_day(cls, period: Period) -> Window:
        """The single day `period` on its own (flag 1), as the rollup builds it."""
        w = cls(period)
        w.start = w.split
        w.intervals = [(w.start, w.end)]
        return w

    def over(self, column: Any) -> Any:
        if len(self.intervals) == 1:
            return in_period(column, *self.intervals[0])
        return or_(false(), *(in_period(column, a, b) for a, b in self.intervals))

    def current(self) -> Window:
        """The same intervals cut to the current period."""
        cut = [(max(a, self.split), b) for a, b in self.intervals if b > self.split]
        return Window(self.period, cut)

    def over_current(self, column: Any) -> Any:
        return self.current().over(column)

    def flag(self, column: Any) -> Any:
        return period_flag(column, self.split)


def completed_cases() -> Any:
    return and_(Case.completed_at.is_not(None), Case.status != CaseStatus.cancelled)


def follow_up_due(session: Session, scope: Scope, w: Window, now: datetime) -> dict[int, dict]:
    p = w.flag(Case.followup_due_at)
    done = Case.followed_up_at.is_not(None)
    stmt = (
        select(
            p,
            count_if(done & (Case.followed_up_at <= Case.followup_due_at)),
            count_if(done | (Case.followup_due_at <= now)),
        )
        .where(in_scope(scope), w.over(Case.followup_due_at))
        .group_by(p)
    )
    return {row[0]: {"met": row[1], "due": row[2]} for row in session.execute(stmt)}


def first_response_times(session: Session, scope: Scope, w: Window) -> dict[tuple, tuple]:
    return percentiles(
        session,
        first_response_hours(),
        [w.flag(Case.created_at)],
        [in_scope(scope), w.over(Case.created_at)],
    )


def resolution_times(session: Session, scope: Scope, w: Window) -> dict[tuple, tuple]:
    """Per (period,) overall and per (period, kind): count, median, 90th percentile."""
    found = percentiles(
        session,
        resolution_hours(),
        [w.flag(Case.completed_at)],
        [in_scope(scope), w.over(Case.completed_at), completed_cases()],
        also_by=Case.kind,
    )
    return {
        (key if len(key) == 1 else (key[0], CaseKind(key[1]))): value
        for key, value in found.items()
    }


def reopened(session: Session, scope: Scope, w: Window) -> dict[int, int]:
    p = w.flag(CaseEvent.created_at)
    stmt = (
        select(p, func.count(distinct(CaseEvent.case_id)))
        .join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.action == "reopen", in_scope(scope), w.over(CaseEvent.created_at))
        .group_by(p)
    )
    return {row[0]: row[1] for row in session.execute(stmt)}


def _scoped_surveys(stmt: Any, scope: Scope) -> Any:
    """The surveys of the chosen storefronts' cases (none chosen: all, without a join)."""
    if scope is None:
        return stmt
    return stmt.join(Case, Case.id == Survey.case_id).where(in_scope(scope))


def surveys_sent(session: Session, scope: Scope, w: Window) -> dict[int, dict]:
    # Taken by phone before any invitation: offered when answered.
    offered = func.coalesce(Survey.sent_at, Survey.answered_at)
    p = w.flag(offered)
    answered = Survey.status == SurveyStatus.answered
    stmt = (
        select(
            p,
            func.count(),
            count_if(answered & (Survey.answer_channel == AnswerChannel.link)),
            count_if(answered & (Survey.answer_channel == AnswerChannel.phone)),
        )
        .where(
            or_(
                w.over(Survey.sent_at),
                and_(Survey.sent_at.is_(None), w.over(Survey.answered_at)),
            ),
        )
        .group_by(p)
    )
    stmt = _scoped_surveys(stmt, scope)
    names = ("sent", "link", "phone")
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in session.execute(stmt)}


SCORES = (
    Survey.service_attitude,
    Survey.product_quality,
    Survey.price_reasonableness,
    Survey.overall_satisfaction,
)
SATISFACTION = (
    "answered",
    *(
        f"{name}_{part}"
        for name in ("attitude", "quality", "price", "overall")
        for part in ["sum", "n"]
    ),
    "satisfied",
)


def satisfaction(session: Session, scope: Scope, w: Window) -> dict[int, dict]:
    p = w.flag(Survey.answered_at)
    stmt = (
        select(
            p,
            func.count(),
            *(
                f(column)
                for column in SCORES
                for f in (lambda c: func.coalesce(func.sum(c), 0), func.count)
            ),
            count_if(Survey.overall_satisfaction >= 4),
        )
        .where(w.over(Survey.answered_at), Survey.status == SurveyStatus.answered)
        .group_by(p)
    )
    stmt = _scoped_surveys(stmt, scope)
    return {row[0]: dict(zip(SATISFACTION, row[1:], strict=True)) for row in session.execute(stmt)}


def mean_scores(sums: dict[str, int]) -> dict[str, float | None]:
    """The means of `satisfaction`'s sums (one arithmetic for the live and rolled paths)."""
    return {
        name: (sums[f"{name}_sum"] / sums[f"{name}_n"] if sums.get(f"{name}_n") else None)
        for name in ("attitude", "quality", "price", "overall")
    }


LOWEST = 10


def lowest_scored(session: Session, scope: Scope, w: Window, limit: int = LOWEST) -> list:
    """The lowest-scored surveys answered in the current period of `w`."""
    stmt = (
        select(
            Case.id,
            Case.number,
            Survey.overall_satisfaction,
            Survey.service_attitude,
            Survey.product_quality,
            Survey.price_reasonableness,
            Survey.comment,
        )
        .join(Case, Case.id == Survey.case_id)
        .where(
            in_scope(scope),
            w.over_current(Survey.answered_at),
            Survey.status == SurveyStatus.answered,
        )
        .order_by(
            Survey.overall_satisfaction,
            Survey.service_attitude + Survey.product_quality + Survey.price_reasonableness,
            codepoint_order(Case.number),
        )
        .limit(limit)
    )
    return list(session.execute(stmt))


def intake_by_sku(session: Session, scope: Scope, w: Window) -> dict[tuple, int]:
    p = w.flag(Case.created_at)
    stmt = (
        select(p, CaseItem.sku, func.count(distinct(Case.id)))
        .join(CaseItem, CaseItem.case_id == Case.id)
        .where(in_scope(scope), w.over(Case.created_at))
        .group_by(p, CaseItem.sku)
    )
    return {(row[0], row[1]): row[2] for row in session.execute(stmt)}


def problems(session: Session, scope: Scope, w: Window) -> dict[tuple, int]:
    """Completed cases per (period, SKU, cause); no cause recorded reads as ''."""
    p = w.flag(Case.completed_at)
    cause = func.coalesce(Case.cause, Case.problem_found, "")
    stmt = (
        select(p, CaseItem.sku, cause, func.count(distinct(Case.id)))
        .join(CaseItem, CaseItem.case_id == Case.id)
        .where(in_scope(scope), w.over(Case.completed_at), completed_cases())
        .group_by(p, CaseItem.sku, cause)
    )
    return {(row[0], row[1], row[2]): row[3] for row in session.execute(stmt)}


def first_response_hours(case: Any = Case) -> Any:
    return seconds_between(case.first_responded_at, case.created_at) / HOUR


def resolution_hours() -> Any:
    return seconds_between(Case.completed_at, Case.created_at) / HOUR


def duration_counts(
    session: Session, duration: Any, where: Sequence[Any], by: Sequence[Any] = ()
) -> dict[tuple, dict[float, int]]:
    """Per (by...): {value: cases} of `duration` (the same float the percentile query
    ranks), for percentiles merged across days (service.reports.rolled)."""
    stmt = (
        select(*by, duration, func.count())
        .where(*where, duration.is_not(None))
        .group_by(*by, duration)
    )
    out: dict[tuple, dict[float, int]] = {}
    width = len(by)
    for row in session.execute(stmt):
        counts = out.setdefault(tuple(row[:width]), {})
        # Two database values may meet in one float: the ranks still add up.
        counts[row[width]] = counts.get(row[width], 0) + row[width + 1]
    return out
