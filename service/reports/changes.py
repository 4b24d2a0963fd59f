"""Change marks for the daily rollup, written in the transaction of the change itself.

Before every ORM flush, each case, item, survey and contact being written names the
storefront days whose figures it may move: the local days (in the storefront's zone) of
its timestamps, before and after the change (a case reopened leaves the day it had been
completed on). One `ReportDayChange` row per such day joins the same flush, so it commits
or rolls back with the change. A built day with a pending mark is read live by reports
until the rollup job rebuilds it and consumes the mark (service.reports.rollup).

Days after tomorrow are not marked: they cannot have been built yet (only closed days
are), and are built from the live tables once they close. Writes that bypass the ORM
(bulk SQL) must rebuild the days they touch: `flask reports rollup --rebuild`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from service.cases.models import Case, CaseItem
from service.contact_log.models import Contact
from service.core.db import utcnow
from service.reports.models import ReportDayChange
from service.storefronts.models import Storefront
from service.surveys.models import Survey

CASE_TIMES = ("created_at", "completed_at", "followup_due_at", "first_responded_at")
SURVEY_TIMES = ("sent_at", "answered_at")


def _values(obj: Any, name: str) -> list[Any]:
    """The attribute's value now and, if changed in this flush, before."""
    history = inspect(obj).attrs[name].history
    return [*history.added, *history.unchanged, *history.deleted]


def _times(obj: Any, names: Iterable[str]) -> list[datetime]:
    return [value for name in names for value in _values(obj, name) if value is not None]


def _case(session: Session, case_id: Any) -> Case | None:
    return session.get(Case, case_id) if case_id is not None else None


def touched(session: Session, obj: Any) -> tuple[Any, list[datetime]] | None:
    """(storefront id, the instants whose local days `obj`'s change may move)."""
    if isinstance(obj, Case):
        return obj.storefront_id, _times(obj, CASE_TIMES)
    if isinstance(obj, Survey | CaseItem | Contact):
        case = _case(session, obj.case_id)
        if case is None:
            return None
        # The case's completion day holds its follow-up coverage and problems, its
        # opening day its products; the object's own times the surveys and contacts.
        times = _times(case, ("created_at", "completed_at", "first_responded_at"))
        if isinstance(obj, Survey):
            times += _times(obj, SURVEY_TIMES)
        elif isinstance(obj, Contact):
            times += _times(obj, ("occurred_at",))
        return case.storefront_id, times
    return None


def days_touched(session: Session, objects: Iterable[Any], now: datetime) -> set[tuple]:
    zones: dict[Any, ZoneInfo] = {}
    found: set[tuple[uuid.UUID, date]] = set()
    for obj in objects:
        got = touched(session, obj)
        if got is None or got[0] is None:
            continue
        storefront_id, times = got
        if storefront_id not in zones:
            storefront = session.get(Storefront, storefront_id)
            zones[storefront_id] = ZoneInfo(storefront.time_zone if storefront else "UTC")
        zone = zones[storefront_id]
        last = now.astimezone(zone).date() + timedelta(days=1)
        for at in times:
            day = at.astimezone(zone).date()
            if day <= last:
                found.add((storefront_id, day))
    return found


@event.listens_for(Session, "before_flush")
def _mark_changed_days(session: Session, _context: Any, _instances: Any) -> None:
    objects = [
        obj
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, Case | CaseItem | Survey | Contact)
    ]
    if not objects:
        return
    with session.no_autoflush:
        days = days_touched(session, objects, utcnow())
    for storefront_id, day in sorted(days, key=str):
        session.add(ReportDayChange(storefront_id=storefront_id, day=day))
