"""Writing and reading quality reviews, and the weekly sample (see the package doc)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.cases.models import Case
from service.contact_log.models import Contact
from service.core.auth import Actor
from service.quality.models import RUBRIC, QaReview
from service.staff.models import StaffRole

#: Who may score contacts.
REVIEWERS = frozenset({StaffRole.supervisor, StaffRole.admin, StaffRole.qa_reviewer})
#: Contacts suggested per agent and week.
SAMPLE_SIZE = 3


class ReviewRefused(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def contact_in_scope(session: Session, scope: uuid.UUID | None, contact_id: uuid.UUID) -> Any:
    """(contact, case) within `scope`, or None."""
    stmt = select(Contact, Case).join(Case, Case.id == Contact.case_id)
    stmt = stmt.where(Contact.id == contact_id)
    if scope is not None:
        stmt = stmt.where(Case.storefront_id == scope)
    return session.execute(stmt).one_or_none()


def review_contact(
    session: Session,
    scope: uuid.UUID | None,
    contact_id: uuid.UUID,
    data: dict[str, Any],
    reviewer: Actor,
    now: datetime,
) -> QaReview:
    """Score a contact (or correct this reviewer's earlier score of it). Flushes.
    Another storefront's contact is not found (404) before any role is checked (403)."""
    found = contact_in_scope(session, scope, contact_id)
    if found is None:
        raise ReviewRefused(404, "No such contact.")
    if reviewer.role not in REVIEWERS:
        raise ReviewRefused(403, "Only supervisors and QA reviewers score contacts.")
    contact, case = found
    if contact.staff_id is None:
        raise ReviewRefused(409, "The contact names no staff member to review.")
    if contact.staff_id == reviewer.id:
        raise ReviewRefused(409, "Nobody reviews their own contact.")
    review = session.scalars(
        select(QaReview).where(
            QaReview.contact_id == contact.id, QaReview.reviewer_id == reviewer.id
        )
    ).one_or_none()
    if review is None:
        review = QaReview(
            contact_id=contact.id,
            case_id=case.id,
            storefront_id=case.storefront_id,
            agent_id=contact.staff_id,
            reviewer_id=reviewer.id,
            created_at=now,
        )
        session.add(review)
    for name in RUBRIC:
        setattr(review, name, data[name])
    review.comment = data.get("comment")
    review.reviewer_name = reviewer.name
    review.updated_at = now
    session.flush()
    return review


def reviews_query(scope: uuid.UUID | None, agent_id: uuid.UUID | None) -> Any:
    stmt = select(QaReview)
    if scope is not None:
        stmt = stmt.where(QaReview.storefront_id == scope)
    if agent_id is not None:
        stmt = stmt.where(QaReview.agent_id == agent_id)
    return stmt


def reviews_of(
    session: Session, scope: uuid.UUID | None, agent_id: uuid.UUID | None, limit: int = 100
) -> list[QaReview]:
    stmt = reviews_query(scope, agent_id).order_by(QaReview.created_at.desc(), QaReview.id)
    return list(session.scalars(stmt.limit(limit)))


def week_of(day: date) -> tuple[date, datetime, datetime]:
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(0), tzinfo=UTC)
    return monday, start, start + timedelta(days=7)


def _draw(monday: date, contact_id: uuid.UUID) -> str:
    return hashlib.sha256(f"{monday.isoformat()}:{contact_id}".encode()).hexdigest()


def weekly_sample(
    session: Session, scope: uuid.UUID | None, day: date, size: int = SAMPLE_SIZE
) -> list[Contact]:
    """Up to `size` unreviewed contacts per agent from the ISO week holding `day`,
    the same for everyone who asks during that week."""
    monday, start, end = week_of(day)
    reviewed = select(QaReview.contact_id)
    stmt = (
        select(Contact)
        .join(Case, Case.id == Contact.case_id)
        .where(
            Contact.occurred_at >= start,
            Contact.occurred_at < end,
            Contact.staff_id.is_not(None),
            Contact.id.not_in(reviewed),
        )
    )
    if scope is not None:
        stmt = stmt.where(Case.storefront_id == scope)
    by_agent: dict[uuid.UUID, list[Contact]] = {}
    for contact in session.scalars(stmt):
        by_agent.setdefault(contact.staff_id, []).append(contact)
    chosen = []
    for contacts in by_agent.values():
        contacts.sort(key=lambda c: _draw(monday, c.id))
        chosen.extend(contacts[:size])
    return sorted(chosen, key=lambda c: (c.staff_name, c.occurred_at))
