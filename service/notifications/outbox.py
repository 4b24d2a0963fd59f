"""The notification outbox: notices written in the same transaction as the change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from service.cases.models import Case, CaseEvent


def record_notices(session: Session, case: Case, event: CaseEvent) -> None:
    """Write the customer's notices for a status change (the notifications issue fills this)."""
