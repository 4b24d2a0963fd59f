"""The notification outbox: the customer's notices are rows written in the same
transaction as the change they report, and handed to RQ only after it commits
(`service.notifications.jobs`).

Every decision about a notice is made here and recorded on its row: rendered text,
consent (suppressed, with the reason), the hourly cap per case (suppressed, saying so),
quiet hours (deferred to the morning), and a new SMS superseding the case's SMS still
deferred (`quiet_hours.supersede_waiting`).

The caps (NOTICES_PER_CASE_PER_HOUR and NOTICES_PER_RECIPIENT_PER_HOUR, per channel)
are the last line against a caller turning the API into an SMS cannon: however fast a
case is driven through its states, or however many cases are opened for one phone, it
gets at most that many messages an hour on each channel; the rest are written as
`suppressed` with the reason, visible in the case's notice list.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from service.links import customer_link
from service.notifications.consent import suppression_reason
from service.notifications.jobs import hand_over_notices
from service.notifications.models import Channel, NoticeStatus, Notification
from service.notifications.quiet_hours import sms_quiet_until, supersede_waiting
from service.notifications.rendering import (
    CUSTOMER_EVENTS,
    STAFF_EVENTS,
    NoticeContext,
    normalize_locale,
    render_email,
    render_sms,
)
from service.quotes.service import current_quote
from service.storefronts.models import Storefront

if TYPE_CHECKING:
    from service.cases.models import Case, CaseEvent
    from service.sla.models import SlaBreach
    from service.staff.models import StaffUser

log = logging.getLogger(__name__)

#: Which customer page each notice links to.
LINK_PURPOSE = {"send_quote": "quote", "survey_invite": "survey", "survey_reminder": "survey"}


def record_notices(session: Session, case: Case, event: CaseEvent) -> list[Notification]:
    """The customer's email and SMS for a lifecycle event (one row per channel)."""
    if event.action not in CUSTOMER_EVENTS:
        return []
    return write_customer_notices(
        session,
        case,
        event.action,
        str(event.id),
        event.created_at,
        note=_note(event),
        data=event.data,
        supersede=event.from_status is not None,
    )


def write_customer_notices(
    session: Session,
    case: Case,
    template: str,
    event_key: str,
    now: datetime,
    note: str | None = None,
    data: dict | None = None,
    channels: tuple[Channel, ...] = (Channel.email, Channel.sms),
    supersede: bool = True,
) -> list[Notification]:
    storefront = session.get(Storefront, case.storefront_id)
    context = _context(case, storefront, template, note, data or {})
    rows = [
        _notice(case, storefront, channel, template, event_key, context, now)
        for channel in channels
    ]
    _apply_caps(session, case, rows, now)
    hand_over_notices(rows)
    session.add_all(rows)
    # A case being opened has no earlier SMS to supersede: no UPDATE for a new case.
    if supersede:
        for row in rows:
            if row.channel == Channel.sms:
                supersede_waiting(session, row, now)
    return rows


def _apply_caps(session: Session, case: Case, rows: list[Notification], now: datetime) -> None:
    """Suppress, saying so, each row that would be one too many this hour for its case
    or its recipient (on its channel). One query counts both for every row."""
    going = [row for row in rows if row.status != NoticeStatus.suppressed]
    if not going:
        return
    counts = session.execute(
        select(
            Notification.channel,
            Notification.recipient,
            Notification.case_id,
            func.count(),
        )
        .where(
            or_(
                Notification.case_id == case.id,
                Notification.recipient.in_({r.recipient for r in going}),
            ),
            Notification.template.not_in(STAFF_EVENTS),
            Notification.created_at > now - timedelta(hours=1),
            Notification.created_at <= now,
            Notification.status.not_in((NoticeStatus.suppressed, NoticeStatus.failed)),
        )
        .group_by(Notification.channel, Notification.recipient, Notification.case_id)
    ).all()
    settings = current_app.config["SETTINGS"]
    per_case, per_recipient = (
        settings.notices_per_case_per_hour,
        settings.notices_per_recipient_per_hour,
    )
    for row in going:
        channel = row.channel.value
        of_case = sum(n for ch, _, case_id, n in counts if ch == row.channel and case_id == case.id)
        to_recipient = sum(
            n for ch, to, _, n in counts if ch == row.channel and to == row.recipient
        )
        if of_case >= per_case:
            reason = f"over the cap of {per_case} {channel} notices per case per hour"
        elif to_recipient >= per_recipient:
            reason = (
                f"over the cap of {per_recipient} {channel} notices to {row.recipient} per hour"
            )
        else:
            continue
        row.status, row.last_error = NoticeStatus.suppressed, reason


def _note(event: CaseEvent) -> str | None:
    data = event.data or {}
    for key in ("shipping_instructions", "reason", "resolution"):
        if data.get(key):
            return str(data[key])
    return event.note


def _context(
    case: Case, storefront: Storefront, template: str, note: str | None, data: dict
) -> NoticeContext:
    customer = case.customer
    quote = current_quote(case) if template == "send_quote" else None
    return NoticeContext(
        case_number=case.number,
        status=case.status.value,
        customer_name=customer.name,
        storefront_name=storefront.name,
        locale=normalize_locale(customer.locale),
        time_zone=customer.time_zone,
        link=customer_link(case, LINK_PURPOSE.get(template, "status")),
        note=note,
        carrier_name=data.get("carrier_name"),
        tracking_number=data.get("tracking_number"),
        tracking_url=data.get("tracking_url"),
        quote_total_minor=quote.total_minor if quote else None,
        currency=quote.currency if quote else data.get("currency"),
        quote_valid_until=quote.valid_until if quote else None,
        refund_amount_minor=data.get("amount_minor") if template == "refund" else None,
    )


def _notice(
    case: Case,
    storefront: Storefront,
    channel: Channel,
    template: str,
    event_key: str,
    context: NoticeContext,
    now: datetime,
) -> Notification:
    customer = case.customer
    row = Notification(
        id=uuid.uuid4(),
        event_key=event_key,
        case_id=case.id,
        channel=channel,
        template=template,
        locale=context.locale,
        recipient=customer.email if channel == Channel.email else customer.phone,
        status=NoticeStatus.pending,
        scheduled_for=now,
        created_at=now,
        updated_at=now,
    )
    if reason := suppression_reason(customer, channel):
        row.status, row.last_error = NoticeStatus.suppressed, reason
        return row
    try:
        if channel == Channel.email:
            email = render_email(template, context)
            row.subject, row.body_text, row.body_html = email.subject, email.text, email.html
        else:
            max_segments = current_app.config["SETTINGS"].sms_max_segments
            row.body_text = render_sms(template, context, max_segments=max_segments).body
    except ValueError as exc:
        # A notice that cannot be rendered is a visible failure, never a failed request.
        log.error("cannot render %s %s for case %s: %s", template, channel, case.number, exc)
        row.status, row.last_error = NoticeStatus.failed, f"render: {exc}"
        return row
    if channel == Channel.sms:
        wait = sms_quiet_until(now, customer, storefront)
        if wait is not None:
            row.status, row.scheduled_for = NoticeStatus.deferred, wait
    return row


def write_staff_email(
    session: Session,
    case: Case,
    recipient: str,
    template: str,
    event_key: str,
    now: datetime,
    **details: object,
) -> Notification:
    """An e-mail to a staff member about `case` (in English, times in UTC), through the
    outbox like the customer's notices; `details` fill the template's context."""
    storefront = session.get(Storefront, case.storefront_id)
    context = NoticeContext(
        case_number=case.number,
        status=case.status.value,
        customer_name=case.customer.name,
        storefront_name=storefront.name,
        locale="en",
        time_zone="UTC",
        **details,  # type: ignore[arg-type]
    )
    email = render_email(template, context)
    return write_staff_message(
        session, case.id, recipient, template, event_key, now, email.subject, email.text, email.html
    )


def write_staff_message(
    session: Session,
    case_id: uuid.UUID | None,
    recipient: str,
    template: str,
    event_key: str,
    now: datetime,
    subject: str,
    text: str,
    html: str,
) -> Notification:
    """An e-mail to a staff member, already written (`case_id` None: about no case, e.g.
    a storefront's webhook endpoint), through the outbox like every notice."""
    row = Notification(
        id=uuid.uuid4(),
        event_key=event_key,
        case_id=case_id,
        channel=Channel.email,
        template=template,
        locale="en",
        recipient=recipient,
        subject=subject,
        body_text=text,
        body_html=html,
        status=NoticeStatus.pending,
        scheduled_for=now,
        created_at=now,
        updated_at=now,
    )
    hand_over_notices([row])
    session.add(row)
    return row


def write_staff_alert(
    session: Session, case: Case, breach: SlaBreach, staff: StaffUser
) -> Notification:
    """The email telling a supervisor that a case's SLA clock ran out."""
    return write_staff_email(
        session,
        case,
        staff.email,
        "sla_breach",
        f"sla_breach:{breach.id.hex}:{staff.id.hex}",
        breach.detected_at,
        due_at=breach.due_at,
        breach=breach.clock,
    )
