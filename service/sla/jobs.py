"""The periodic SLA sweep: every clock that runs late becomes one recorded breach and
one alert email to the storefront's supervisors — never one per sweep."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import and_, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.cases.models import Case
from service.core import db
from service.core.db import utcnow
from service.core.jobs import job_session
from service.notifications.outbox import write_staff_alert
from service.sla.clocks import CLOCKS, clocks, running_late
from service.sla.models import SlaBreach
from service.staff.models import StaffRole, StaffUser
from service.webhooks.events import emit

log = logging.getLogger(__name__)

DUE_COLUMNS = {
    "first_response": Case.first_response_due_at,
    "resolution": Case.resolution_due_at,
    "follow_up": Case.followup_due_at,
}


def check_sla(now: datetime | None = None) -> int:
    now = now or utcnow()
    found = 0
    with job_session() as session:
        for clock in CLOCKS:
            already = exists().where(
                and_(
                    SlaBreach.case_id == Case.id,
                    SlaBreach.clock == clock,
                    SlaBreach.due_at == DUE_COLUMNS[clock],
                )
            )
            late = session.scalars(select(Case).where(running_late(clock, now), ~already)).all()
            for case in late:
                breach = SlaBreach(
                    case_id=case.id, clock=clock, due_at=clocks(case)[clock].due_at, detected_at=now
                )
                try:
                    with session.begin_nested():
                        session.add(breach)
                except IntegrityError:
                    continue  # another sweeper recorded it first
                alert_supervisors(session, case, breach)
                emit(
                    session,
                    case,
                    "sla.breached",
                    {"clock": clock, "due_at": breach.due_at.isoformat()},
                    now=now,
                )
                found += 1
        session.commit()
    db.run_after_commit()
    return found


def alert_supervisors(session: Session, case: Case, breach: SlaBreach) -> None:
    supervisors = session.scalars(
        select(StaffUser).where(
            StaffUser.role == StaffRole.supervisor,
            StaffUser.active,
            (StaffUser.storefront_id.is_(None)) | (StaffUser.storefront_id == case.storefront_id),
        )
    ).all()
    if not supervisors:
        log.warning("SLA breach on %s (%s) but no supervisor to alert", case.number, breach.clock)
    for supervisor in supervisors:
        write_staff_alert(session, case, breach, supervisor)
