"""Per-person figures: cases completed while assigned, contacts logged, first answers
given (the outbound contact that set the case's first response) and quality reviews."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from service.cases.models import Case
from service.contact_log.models import Contact, ContactDirection
from service.quality.models import RUBRIC, QaReview
from service.reports.queries import Scope, Window
from service.reports.sql import in_scope
from service.staff.models import StaffUser

FIELDS = ("cases_handled", "contacts_logged", "first_responses", "qa_reviews", "qa_score")


def contacts_by_person(session: Session, scope: Scope, w: Window) -> dict[Any, int]:
    """Contacts logged per person in the current period of `w`."""
    stmt = (
        select(Contact.staff_id, func.count())
        .join(Case, Case.id == Contact.case_id)
        .where(
            in_scope(scope),
            w.over_current(Contact.occurred_at),
            Contact.staff_id.is_not(None),
        )
        .group_by(Contact.staff_id)
    )
    return {row[0]: row[1] for row in session.execute(stmt)}


def first_answers_by_person(session: Session, scope: Scope, w: Window) -> dict[Any, int]:
    """First answers given per person in the current period of `w`."""
    # Driven from the contacts of the period (indexed), matched to the case's answer.
    stmt = (
        select(Contact.staff_id, func.count(func.distinct(Case.id)))
        .join(
            Case,
            and_(Case.id == Contact.case_id, Case.first_responded_at == Contact.occurred_at),
        )
        .where(
            in_scope(scope),
            Contact.direction == ContactDirection.outbound,
            w.over_current(Contact.occurred_at),
            Contact.staff_id.is_not(None),
        )
        .group_by(Contact.staff_id)
    )
    return {row[0]: row[1] for row in session.execute(stmt)}


def qa_scores(session: Session, scope: Scope, w: Window) -> dict[tuple, tuple[int, float]]:
    """Per (period flag, agent): (reviews, mean of the rubric marks) of the reviews
    written in the period."""
    mark = sum((getattr(QaReview, name) for name in RUBRIC[1:]), getattr(QaReview, RUBRIC[0]))
    p = w.flag(QaReview.created_at)
    stmt = (
        select(p, QaReview.agent_id, func.count(), func.avg(mark * 1.0 / len(RUBRIC)))
        .where(in_scope(scope, QaReview.storefront_id), w.over(QaReview.created_at))
        .group_by(p, QaReview.agent_id)
    )
    return {(row[0], row[1]): (row[2], float(row[3])) for row in session.execute(stmt)}


def workload(
    session: Session,
    handled: dict[Any, int],
    contacts: dict[Any, int],
    first: dict[Any, int],
    scores: dict[tuple, tuple[int, float]],
) -> list[dict[str, Any]]:
    """One row per person with any figure in the period, by name (`handled`: cases
    completed per assignee; `contacts`, `first`: the two functions above; `scores`:
    `qa_scores` of the window)."""
    qa = {agent: value for (flag, agent), value in scores.items() if flag == 1}
    ids: set[uuid.UUID] = {*handled, *contacts, *first, *qa}
    people = (
        {s.id: s for s in session.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))}
        if ids
        else {}
    )
    rows = [
        {
            "staff_id": staff_id,
            "name": people[staff_id].name if staff_id in people else "?",
            "cases_handled": handled.get(staff_id, 0),
            "contacts_logged": contacts.get(staff_id, 0),
            "first_responses": first.get(staff_id, 0),
            "qa_reviews": qa.get(staff_id, (0, None))[0],
            "qa_score": qa.get(staff_id, (0, None))[1],
        }
        for staff_id in ids
    ]
    return sorted(rows, key=lambda row: (row["name"], str(row["staff_id"])))


def overall_qa(scores: dict[tuple, tuple[int, float]], flag: int) -> float | None:
    """The mean of all reviews of the period (`flag`), from `qa_scores`."""
    period = [value for (p, _agent), value in scores.items() if p == flag]
    total = sum(n for n, _mean in period)
    if not total:
        return None
    return sum(n * mean for n, mean in period) / total
