"""Claiming a notice (`delivery.claim` through `delivery.take`, the delivery job's first
step), in-process: an e-mail is claimed in one statement, an SMS only after the
send-time checks; a dead worker's notice is claimed again once its lease is over, except,
under EMAIL_UNCERTAIN_POLICY=hold, an e-mail whose DATA had begun (`handed_over_at`
set), which is held as `uncertain` instead of being sent a second time."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from service.core.db import utcnow
from service.notifications import delivery
from service.notifications.models import Channel, NoticeStatus, Notification


@pytest.fixture
def notices(open_case, create_tenant, db_session) -> dict[Channel, Notification]:
    shop = create_tenant("Claim Shop", case_prefix="CL", quiet_start_hour=0, quiet_end_hour=0)
    case = open_case(as_tenant=shop)
    rows = db_session.scalars(
        select(Notification).where(Notification.case_id == uuid.UUID(case["id"]))
    ).all()
    return {row.channel: row for row in rows}


def dead_worker_left(db_session, row: Notification, data_begun: bool) -> None:
    """As a worker SIGKILLed mid-send leaves it: `sending`, its lease over."""
    row.status, row.attempts = NoticeStatus.sending, 1
    row.locked_until = utcnow() - timedelta(seconds=1)
    row.handed_over_at = utcnow() - timedelta(seconds=30) if data_begun else None
    db_session.commit()


def statuses(db_session, row: Notification) -> NoticeStatus:
    return db_session.get(Notification, row.id, populate_existing=True).status


def test_an_email_is_claimed_in_one_statement_and_an_sms_after_its_checks(app, db_session, notices):
    engine = app.extensions["database"].engine
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        with app.app_context():
            email = delivery.take(db_session, notices[Channel.email].id, utcnow())
            emailed, seen[:] = [s for s in seen if s != "SAVEPOINT" and s != "RELEASE"], []
            sms = delivery.take(db_session, notices[Channel.sms].id, utcnow())
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert isinstance(email, delivery.Claimed) and email.channel == Channel.email
    assert isinstance(sms, delivery.Claimed) and sms.channel == Channel.sms
    assert emailed == ["UPDATE"]
    # The SMS: the e-mail claim misses it, then the send-time read, then its claim.
    assert [s for s in seen if s not in ("SAVEPOINT", "RELEASE")] == ["UPDATE", "SELECT", "UPDATE"]


@pytest.mark.parametrize(
    ("policy", "data_begun"),
    [("resend", False), ("hold", False), ("resend", True)],
    ids=["resend-before-data", "hold-before-data", "resend-after-data"],
)
def test_a_dead_workers_email_is_claimed_again_unless_held(
    app, db_session, notices, monkeypatch, policy, data_begun
):
    monkeypatch.setattr(app.config["SETTINGS"], "email_uncertain_policy", policy)
    email = notices[Channel.email]
    dead_worker_left(db_session, email, data_begun=data_begun)
    with app.app_context():
        claimed = delivery.take(db_session, email.id, utcnow())
    assert isinstance(claimed, delivery.Claimed) and claimed.attempts == 2


def test_hold_keeps_a_dead_workers_email_whose_data_had_begun_uncertain(
    app, db_session, notices, monkeypatch
):
    monkeypatch.setattr(app.config["SETTINGS"], "email_uncertain_policy", "hold")
    email = notices[Channel.email]
    dead_worker_left(db_session, email, data_begun=True)
    with app.app_context():
        assert delivery.take(db_session, email.id, utcnow()) == "held: uncertain"
    assert statuses(db_session, email) == NoticeStatus.uncertain


def test_hold_claims_an_uncertain_email_once_staff_release_it(
    app, client, admin, db_session, notices, monkeypatch
):
    # The release keeps the earlier attempt's `handed_over_at` on record: only a
    # `sending` row with it is the dead worker's.
    monkeypatch.setattr(app.config["SETTINGS"], "email_uncertain_policy", "hold")
    email = notices[Channel.email]
    dead_worker_left(db_session, email, data_begun=True)
    with app.app_context():
        assert delivery.take(db_session, email.id, utcnow()) == "held: uncertain"
    released = client.post(
        f"/api/v1/cases/{email.case_id}/notifications/{email.id}/release", headers=admin.headers
    )
    assert released.status_code == 200, released.get_json()
    with app.app_context():
        claimed = delivery.take(db_session, email.id, utcnow())
    assert isinstance(claimed, delivery.Claimed) and claimed.attempts == 2
