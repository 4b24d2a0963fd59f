"""E-mails held as `uncertain` (EMAIL_UNCERTAIN_POLICY=hold) and the staff's decision.

An e-mail is `uncertain` when an attempt may have reached the SMTP server and we cannot
know (`service.notifications.delivery`, step 3). Staff see it in the case's notices and
decide: **release** sends it again (the customer may get it twice), **drop** settles it
as sent-or-lost (`suppressed`, never sent again). Each decision is a compare-and-set on
the row, so two staff deciding at once get one decision and one 409, and is written on
the case's timeline as an internal event (who decided, which notice).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from service.cases.lifecycle import record_event
from service.cases.models import Case
from service.core.auth import Actor
from service.notifications.jobs import hand_over_notices
from service.notifications.models import NoticeStatus, Notification


class NoticeNotFound(LookupError):
    """No such notice on this case."""


class NotUncertain(ValueError):
    """The notice is not (or no longer) held as uncertain."""

    def __init__(self, status: NoticeStatus) -> None:
        super().__init__(f"The notice is {status.value}, not uncertain.")
        self.status = status


def release(session: Session, case: Case, notice_id: uuid.UUID, actor: Actor, now: datetime):
    """Send an uncertain e-mail again (at once)."""
    row = _decide(
        session,
        case,
        notice_id,
        now,
        status=NoticeStatus.pending,
        scheduled_for=now,
        last_error=f"released by {actor.name}: sent again",
    )
    hand_over_notices([row])
    _record(session, case, row, "notice_released", actor, now)
    return row


def drop(session: Session, case: Case, notice_id: uuid.UUID, actor: Actor, now: datetime):
    """Never send an uncertain e-mail again: it is taken as delivered or lost."""
    row = _decide(
        session,
        case,
        notice_id,
        now,
        status=NoticeStatus.suppressed,
        last_error=f"dropped by {actor.name}: the uncertain attempt stands",
    )
    _record(session, case, row, "notice_dropped", actor, now)
    return row


def _decide(
    session: Session, case: Case, notice_id: uuid.UUID, now: datetime, **values
) -> Notification:
    row = session.get(Notification, notice_id)
    if row is None or row.case_id != case.id:
        raise NoticeNotFound(notice_id)
    won = session.execute(
        update(Notification)
        .where(Notification.id == notice_id, Notification.status == NoticeStatus.uncertain)
        .values(**values, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(row)
    if won != 1:
        raise NotUncertain(row.status)
    return row


def _record(
    session: Session, case: Case, row: Notification, action: str, actor: Actor, now: datetime
) -> None:
    data = {"notification_id": str(row.id), "channel": row.channel.value, "template": row.template}
    record_event(session, case, action, actor, case.status, None, data, now, internal=True)
