"""Scheduled delivery: each storefront's daily report e-mailed to its supervisors at
08:00 in the storefront's zone, the weekly one on Monday, the monthly one on the 1st.

1. A periodic job per kind (service.core.scheduler.PERIODIC) looks at every storefront:
   the report of the last complete period is due from 08:00 local on the day after it
   (and for a day after that, so a short outage catches up but a new install does not
   mail old periods).
2. Claim: insert the `report_deliveries` row (unique storefront + kind + first day) and
   commit. Of several workers or ticks only one insert succeeds; the others skip.
   A claim left unsent for `STALE_CLAIM` (its worker died) is taken over with a
   compare-and-set on `claimed_at`.
3. Send: per supervisor, in their locale, the headline figures in the body and the
   XLSX attached, through the app's e-mail backend; the idempotency key is the
   delivery and the person, so a resend after a takeover is the same message
   (the file backend keeps the first copy; SMTP repeats its Message-ID).
4. Mark the row sent.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.core.db import utcnow
from service.core.jobs import job_session
from service.notifications.backends import Attachment, EmailMessage, SendError
from service.notifications.delivery import email_backend
from service.reports.exports import XLSX_TYPE, xlsx_bytes
from service.reports.metrics import format_value
from service.reports.models import ReportDelivery
from service.reports.periods import Period, last_complete
from service.reports.service import storefront_report
from service.staff.models import StaffRole, StaffUser
from service.storefronts.models import Storefront
from service.workspace.i18n import LOCALES

log = logging.getLogger(__name__)

SEND_AT = time(8, 0)
#: After this long past the due time a period is no longer sent (no mail of old periods).
CATCH_UP = timedelta(days=1)
STALE_CLAIM = timedelta(minutes=15)
KIND_WORDS = {
    "daily": _l("Daily report"),
    "weekly": _l("Weekly report"),
    "monthly": _l("Monthly report"),
}


def due_period(kind: str, storefront: Storefront, now: datetime) -> Period | None:
    """The period whose report is due now for `storefront`, if any."""
    period = last_complete(kind, now, storefront.time_zone)
    due = datetime.combine(period.after, SEND_AT, tzinfo=ZoneInfo(storefront.time_zone))
    return period if due <= now < due + CATCH_UP else None


def _claim(session: Session, storefront: Storefront, kind: str, period: Period, now: datetime):
    row = ReportDelivery(
        storefront_id=storefront.id, kind=kind, starts_on=period.first, claimed_at=now
    )
    try:
        with session.begin_nested():
            session.add(row)
        session.commit()
        return row
    except IntegrityError:
        session.rollback()
    existing = session.scalars(
        select(ReportDelivery).where(
            ReportDelivery.storefront_id == storefront.id,
            ReportDelivery.kind == kind,
            ReportDelivery.starts_on == period.first,
        )
    ).one()
    if existing.sent_at is not None or existing.claimed_at > now - STALE_CLAIM:
        return None
    taken = session.execute(
        update(ReportDelivery)
        .where(ReportDelivery.id == existing.id, ReportDelivery.claimed_at == existing.claimed_at)
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return existing if taken == 1 else None


def supervisors(session: Session, storefront: Storefront) -> list[StaffUser]:
    return list(
        session.scalars(
            select(StaffUser)
            .where(
                StaffUser.role == StaffRole.supervisor,
                StaffUser.active,
                or_(StaffUser.storefront_id.is_(None), StaffUser.storefront_id == storefront.id),
            )
            .order_by(StaffUser.email)
        )
    )


def compose(
    session: Session, storefront: Storefront, kind: str, period: Period, locale: str, now: datetime
) -> tuple[str, str, str, bytes]:
    """(subject, text, html, xlsx) of the report in `locale`."""
    babel_locale = LOCALES.get(locale, "en")
    with force_locale(babel_locale):
        report = storefront_report(session, storefront, kind, period.first, now)
        p = report["period"]
        title = str(KIND_WORDS[kind])
        days = f"{p['first_day']}" + (f" – {p['last_day']}" if kind != "daily" else "")
        subject = f"{storefront.name}: {title} {days}"
        lines = [
            (m["label"], format_value(m["value"], m["unit"], babel_locale),
             format_value(m["previous"], m["unit"], babel_locale))
            for m in report["metrics"]
        ]  # fmt: skip
        before = _("Previous period")
        zone = _("Time zone")
        text = "\n".join(
            [subject, f"{zone}: {p['time_zone']}", ""]
            + [f"{label}: {value} ({before}: {previous})" for label, value, previous in lines]
        )
        rows = "".join(
            f"<tr><td>{escape(label)}</td><td>{escape(value)}</td><td>{escape(previous)}</td></tr>"
            for label, value, previous in lines
        )
        html = (
            f"<h1>{escape(subject)}</h1><p>{escape(zone)}: {escape(p['time_zone'])}</p>"
            f"<table><tr><th></th><th></th><th>{escape(before)}</th></tr>{rows}</table>"
        )
        return subject, text, html, xlsx_bytes(report)


def _send(session: Session, row: ReportDelivery, storefront: Storefront, period: Period) -> int:
    sent = 0
    now = utcnow()
    for person in supervisors(session, storefront):
        subject, text, html, workbook = compose(
            session, storefront, row.kind, period, person.locale or "en", now
        )
        name = f"report-{row.kind}-{period.first.isoformat()}.xlsx"
        message = EmailMessage(
            to=person.email,
            subject=subject,
            text=text,
            html=html,
            idempotency_key=f"report-{row.id.hex}-{person.id.hex}",
            attachments=(Attachment(name, XLSX_TYPE, workbook),),
        )
        try:
            email_backend().send(message)
            sent += 1
        except SendError as error:
            # Left unsent: the claim goes stale and another tick takes it over.
            log.warning("report %s to %s not sent: %s", row.id, person.email, error)
            return -1
    return sent


def deliver(kind: str, now: datetime | None = None) -> int:
    """Send every storefront's due `kind` report once; returns how many were sent."""
    now = now or utcnow()
    done = 0
    with job_session() as session:
        for storefront in session.scalars(select(Storefront).order_by(Storefront.slug)).all():
            period = due_period(kind, storefront, now)
            if period is None:
                continue
            row = _claim(session, storefront, kind, period, now)
            if row is None:
                continue
            sent = _send(session, row, storefront, period)
            if sent >= 0:
                row.recipients, row.sent_at = sent, utcnow()
                session.commit()
                done += 1
    return done


def send_daily() -> Any:
    return deliver("daily")


def send_weekly() -> Any:
    return deliver("weekly")


def send_monthly() -> Any:
    return deliver("monthly")
