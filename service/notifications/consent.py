"""Consent: whether a customer may be sent a notice on a channel, and the SMS keywords
(as carriers and Twilio recognise them, plus the Chinese ones) that change it."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from service.core.db import utcnow
from service.customers.models import Customer
from service.notifications.models import Channel

STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "退订", "TD"}
)
START_WORDS = frozenset({"START", "UNSTOP", "YES", "订阅"})


def apply_sms_keyword(session: Session, phone: str, body: str) -> str | None:
    """Opt the sender out (STOP) or back in (START) for every customer with that number;
    returns "stop", "start" or None for other messages."""
    word = body.strip().strip(".!。！").upper()
    if word in STOP_WORDS:
        values, outcome = {"consent_sms": False, "sms_stopped_at": utcnow()}, "stop"
    elif word in START_WORDS:
        values, outcome = {"consent_sms": True, "sms_stopped_at": None}, "start"
    else:
        return None
    session.execute(
        update(Customer)
        .where(Customer.phone == phone.strip())
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return outcome


def suppression_reason(customer: Customer, channel: Channel) -> str | None:
    """Why `customer` must not get a notice on `channel` (None: they may). Asked when a
    notice is written and again when it is about to be sent."""
    if channel == Channel.email:
        if not customer.email:
            return "no email address"
        if not customer.consent_email:
            return "customer opted out of email"
        if customer.email_bounced_at is not None:
            return "email address bounced"
        return None
    if not customer.phone:
        return "no phone number"
    if customer.sms_stopped_at is not None:
        return "customer replied STOP"
    if not customer.consent_sms:
        return "customer opted out of SMS"
    return None
