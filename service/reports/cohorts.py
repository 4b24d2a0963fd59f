"""The two big cohorts, each in ONE grouped query: the cases opened in the window and
the cases completed in it. The database groups them on every dimension the report
breaks them down by (period, kind, channel, storefront, local day; period, kind,
assignee) and the totals and breakdowns are sums over those few groups."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from service.cases.models import Case, CaseKind, CaseStatus
from service.reports.queries import Scope, Window, completed_cases
from service.reports.sql import count_if, day_bucket, in_period, in_scope, seconds_between
from service.sla.clocks import FOLLOW_UP_WITHIN
from service.surveys.models import Survey

OPENED = ("opened", "fr_met", "fr_due", "fr_pending", "cancelled")
COMPLETED = ("completed", "res_met", "covered", "followed")


class Cohorts:
    def __init__(self, session: Session, scope: Scope, w: Window, now: datetime) -> None:
        self.opened_rows = self._opened(session, scope, w, now)
        self.completed_rows = self._completed(session, scope, w)
        #: Opened per local day of the current period, beyond the rows' own day index
        #: (the rollup's days, service.reports.rolled).
        self.more_by_day: dict[int, int] = {}

    @staticmethod
    def _opened(session: Session, scope: Scope, w: Window, now: datetime) -> list[Any]:
        p = w.flag(Case.created_at)
        # The local day within the current period (-1: the previous period).
        day = case(
            (Case.created_at < w.split, -1), else_=day_bucket(Case.created_at, w.period.boundaries)
        )
        answered = Case.first_responded_at.is_not(None)
        keys = (p, Case.kind, Case.channel, Case.storefront_id, day)
        stmt = (
            select(
                *keys,
                func.count(),
                count_if(answered & (Case.first_responded_at <= Case.first_response_due_at)),
                count_if(answered | (Case.first_response_due_at <= now)),
                count_if(~answered & (Case.first_response_due_at > now)),
                count_if(Case.status == CaseStatus.cancelled),
            )
            .where(in_scope(scope), w.over(Case.created_at))
            .group_by(*keys)
        )
        return list(session.execute(stmt))

    @staticmethod
    def _completed(session: Session, scope: Scope, w: Window) -> list[Any]:
        p = w.flag(Case.completed_at)
        # A survey offered (sent, or taken by phone before any invitation) within 3 days
        # after the completion: a property of the case alone, whatever the window (the
        # rollup's day and a report's month count it alike). The offer's time bounds
        # keep the probe on the surveys' indexes.
        offered = func.coalesce(Survey.sent_at, Survey.answered_at)
        reach = (w.start, w.end + FOLLOW_UP_WITHIN)
        after = seconds_between(offered, Case.completed_at)
        covered = exists().where(
            Survey.case_id == Case.id,
            or_(
                in_period(Survey.sent_at, *reach),
                and_(Survey.sent_at.is_(None), in_period(Survey.answered_at, *reach)),
            ),
            after >= 0,
            after <= FOLLOW_UP_WITHIN.total_seconds(),
        )
        keys = (p, Case.kind, Case.assignee_id)
        stmt = (
            select(
                *keys,
                func.count(),
                count_if(Case.completed_at <= Case.resolution_due_at),
                count_if(covered),
                count_if(Case.followed_up_at.is_not(None)),
            )
            .where(in_scope(scope), w.over(Case.completed_at), completed_cases())
            .group_by(*keys)
        )
        return list(session.execute(stmt))

    # --- sums over the groups ------------------------------------------------------------

    def opened(self) -> dict[int, dict[str, int]]:
        out: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OPENED, 0))
        for row in self.opened_rows:
            totals = out[row[0]]
            for name, value in zip(OPENED, row[5:], strict=True):
                totals[name] += value
            if CaseKind(row[1]) == CaseKind.complaint:
                totals["complaints"] = totals.get("complaints", 0) + row[5]
        return dict(out)

    def intake_by(self, column: int) -> dict[tuple, int]:
        """Opened per (period, value): column 1 kind, 2 channel, 3 storefront."""
        out: dict[tuple, int] = defaultdict(int)
        for row in self.opened_rows:
            out[(row[0], row[column])] += row[5]
        return dict(out)

    def intake_by_day(self) -> dict[int, int]:
        out: dict[int, int] = defaultdict(int, self.more_by_day)
        for row in self.opened_rows:
            if row[0] == 1 and row[4] >= 0:
                out[row[4]] += row[5]
        return dict(out)

    def completed(self) -> dict[int, dict[str, int]]:
        out: dict[int, dict[str, int]] = {}
        for row in self.completed_rows:
            totals = out.setdefault(
                row[0], {**dict.fromkeys(COMPLETED, 0), "complaints": 0, "complaints_followed": 0}
            )
            for name, value in zip(COMPLETED, row[3:], strict=True):
                totals[name] += value
            if CaseKind(row[1]) == CaseKind.complaint:
                totals["complaints"] += row[3]
                totals["complaints_followed"] += row[6]
        return out

    def resolution_by_kind(self) -> dict[tuple, dict[str, int]]:
        out: dict[tuple, dict[str, int]] = {}
        for row in self.completed_rows:
            totals = out.setdefault((row[0], CaseKind(row[1])), {"n": 0, "met": 0})
            totals["n"] += row[3]
            totals["met"] += row[4]
        return out

    def completed_by_assignee(self) -> dict[Any, int]:
        out: dict[Any, int] = defaultdict(int)
        for row in self.completed_rows:
            if row[0] == 1 and row[2] is not None:
                out[row[2]] += row[3]
        return dict(out)
