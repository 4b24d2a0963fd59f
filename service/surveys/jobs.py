"""The periodic survey job: invitations, one reminder, expiry (safe to run twice)."""

from __future__ import annotations

from datetime import datetime

from service.core import db
from service.core.db import utcnow
from service.core.jobs import job_session
from service.surveys import service


def run_surveys(now: datetime | None = None) -> dict[str, int]:
    """Commits, then hands the new notices to RQ (the outbox's after-commit hook)."""
    now = now or utcnow()
    with job_session() as session:
        counts = {
            "invited": service.send_due_invitations(session, now),
            "reminded": service.send_due_reminders(session, now),
            "expired": service.expire_unanswered(session, now),
        }
        session.commit()
    db.run_after_commit()
    return counts
