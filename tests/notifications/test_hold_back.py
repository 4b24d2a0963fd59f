"""Send-time hold-back (`delivery.hold_back`, then the delivery job itself): rules decided
again when a notice is about to go, not only when it was written. The rows here are
written while sending is allowed (no quiet window, consent given); then the clock enters
quiet hours or the customer replies STOP, and the send must not happen.

The expected times are worked out by hand: the storefront's window is 21:00-08:00 in the
customer's zone, Asia/Shanghai (UTC+8, no DST), so 23:00 there is 15:00 UTC and the
window ends at 08:00 there, 00:00 UTC the next day.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.cases.models import Case
from service.conversations.addresses import reply_address
from service.customers.models import Customer
from service.notifications import delivery
from service.notifications.jobs import deliver_notification
from service.notifications.models import Channel, NoticeStatus, Notification
from service.notifications.quiet_hours import quiet_until
from service.storefronts.models import Storefront

NIGHT = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
MORNING = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai, the window's end


@pytest.fixture
def shop(create_tenant):
    """A storefront whose window is off while the notices are written."""
    return create_tenant("Night Shop", case_prefix="NS", quiet_start_hour=0, quiet_end_hour=0)


@pytest.fixture
def written(open_case, shop, db_session) -> dict[Channel, Notification]:
    """A new case's two notices, both due (handed to the queue): written while sending
    was allowed."""
    case = open_case(as_tenant=shop)
    rows = db_session.scalars(
        select(Notification).where(Notification.case_id == uuid.UUID(case["id"]))
    ).all()
    by_channel = {row.channel: row for row in rows}
    assert {row.status for row in rows} == {NoticeStatus.queued}
    assert set(by_channel) == {Channel.email, Channel.sms}
    return by_channel


def _quiet_from_nine_to_eight(db_session, shop) -> None:
    storefront = db_session.get(Storefront, shop.storefront.id)
    storefront.quiet_start_hour, storefront.quiet_end_hour = 21, 8
    db_session.commit()


def _customer(db_session, row: Notification) -> Customer:
    return db_session.get(Case, row.case_id).customer


def _fresh(db_session, row: Notification) -> Notification:
    return db_session.get(Notification, row.id, populate_existing=True)


def test_an_sms_due_at_night_is_deferred_to_the_end_of_the_window(app, db_session, shop, written):
    _quiet_from_nine_to_eight(db_session, shop)
    sms = written[Channel.sms]
    with app.app_context():
        assert delivery.hold_back(db_session, sms.id, NIGHT) == "deferred: quiet hours"
    row = _fresh(db_session, sms)
    assert (row.status, row.scheduled_for, row.attempts) == (NoticeStatus.deferred, MORNING, 0)
    # Deferred, so not claimable until the morning, and claimable then.
    with app.app_context():
        assert delivery.claim(db_session, sms.id, NIGHT) is None
        assert delivery.claim(db_session, sms.id, MORNING) is not None


@pytest.mark.parametrize(
    ("now", "held"),
    [
        (datetime(2026, 12, 2, 12, 59, tzinfo=UTC), False),  # 20:59 there
        (datetime(2026, 12, 2, 13, 0, tzinfo=UTC), True),  # 21:00: the window opens
        (datetime(2026, 12, 2, 23, 59, tzinfo=UTC), True),  # 07:59 the next morning
        (datetime(2026, 12, 3, 0, 0, tzinfo=UTC), False),  # 08:00: the window is over
    ],
    ids=["20:59", "21:00", "07:59", "08:00"],
)
def test_the_quiet_window_at_send_time_has_exact_edges(app, db_session, shop, written, now, held):
    _quiet_from_nine_to_eight(db_session, shop)
    sms = written[Channel.sms]
    with app.app_context():
        outcome = delivery.hold_back(db_session, sms.id, now)
    row = _fresh(db_session, sms)
    if held:
        assert (outcome, row.status, row.scheduled_for) == (
            "deferred: quiet hours",
            NoticeStatus.deferred,
            MORNING,
        )
    else:
        assert (outcome, row.status) == (None, NoticeStatus.queued)


def test_an_email_is_not_held_back_at_night(app, db_session, shop, written):
    _quiet_from_nine_to_eight(db_session, shop)
    email = written[Channel.email]
    before = _fresh(db_session, email).scheduled_for
    with app.app_context():
        assert delivery.hold_back(db_session, email.id, NIGHT) is None
    row = _fresh(db_session, email)
    assert (row.status, row.scheduled_for) == (NoticeStatus.queued, before)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"sms_stopped_at": NIGHT}, "customer replied STOP"),
        ({"consent_sms": False}, "customer opted out of SMS"),
    ],
    ids=["STOP", "consent withdrawn"],
)
def test_an_sms_whose_customer_opted_out_after_it_was_written_is_suppressed(
    app, db_session, written, change, reason
):
    sms = written[Channel.sms]
    customer = _customer(db_session, sms)
    for name, value in change.items():
        setattr(customer, name, value)
    db_session.commit()
    with app.app_context():
        # In the daytime: only consent can hold it back.
        assert delivery.hold_back(db_session, sms.id, MORNING) == "suppressed"
    row = _fresh(db_session, sms)
    assert (row.status, row.last_error, row.attempts) == (NoticeStatus.suppressed, reason, 0)
    with app.app_context():
        assert delivery.claim(db_session, sms.id, MORNING) is None


def test_a_notice_that_is_already_sent_is_left_alone(app, db_session, shop, written):
    _quiet_from_nine_to_eight(db_session, shop)
    sms = _fresh(db_session, written[Channel.sms])
    sms.status = NoticeStatus.sent
    db_session.commit()
    with app.app_context():
        assert delivery.hold_back(db_session, sms.id, NIGHT) is None
    assert _fresh(db_session, sms).status == NoticeStatus.sent


def test_the_delivery_job_sends_nothing_for_a_customer_who_replied_stop(
    app, db_session, written, tmp_path
):
    """The job itself (as the worker runs it), with the file SMS backend: a STOP that
    arrives between writing and sending leaves no message behind."""
    sms = written[Channel.sms]
    customer = _customer(db_session, sms)
    customer.sms_stopped_at = NIGHT
    db_session.commit()
    outbox = app.config["SETTINGS"].instance_dir / "outbox" / "sms"
    before = set(outbox.glob("*")) if outbox.exists() else set()
    with app.app_context():
        assert deliver_notification(str(sms.id)) == "suppressed"
    after = set(outbox.glob("*")) if outbox.exists() else set()
    assert after == before
    assert _fresh(db_session, sms).status == NoticeStatus.suppressed


# --- claiming (step 1): exact fields, exact edges of the lease -------------------------


def _claim(app, db_session, row: Notification, now: datetime):
    with app.app_context():
        return delivery.claim(db_session, row.id, now)


def test_a_claim_takes_the_notice_with_a_lease_and_counts_the_attempt(app, db_session, written):
    sms = written[Channel.sms]
    lease = timedelta(seconds=app.config["SETTINGS"].notice_lease_seconds)
    claimed = _claim(app, db_session, sms, MORNING)
    row = _fresh(db_session, sms)
    assert (row.status, row.attempts, row.locked_until, row.updated_at) == (
        NoticeStatus.sending,
        1,
        MORNING + lease,
        MORNING,
    )
    assert claimed == delivery.Claimed(
        id=sms.id,
        channel=Channel.sms,
        recipient="+8613800138000",
        subject=None,
        body_text=row.body_text,
        body_html=None,
        attempts=1,
        created_at=row.created_at,
    )
    assert claimed.idempotency_key == f"notice-{sms.id}.sms"
    # Held: nobody else wins it while the lease runs, up to and including its last moment.
    assert _claim(app, db_session, sms, MORNING + lease / 2) is None
    assert _claim(app, db_session, sms, MORNING + lease) is None
    # The worker died: once the lease is over, another worker takes it, a second attempt.
    later = MORNING + lease + timedelta(seconds=1)
    again = _claim(app, db_session, sms, later)
    assert again is not None and again.attempts == 2
    assert _fresh(db_session, sms).locked_until == later + lease


def test_a_notice_is_claimable_from_its_scheduled_time_and_never_once_finished(
    app, db_session, written
):
    email = written[Channel.email]
    due = _fresh(db_session, email).scheduled_for
    assert _claim(app, db_session, email, due - timedelta(seconds=1)) is None
    assert _claim(app, db_session, email, due) is not None
    for finished in (NoticeStatus.sent, NoticeStatus.failed, NoticeStatus.suppressed):
        row = _fresh(db_session, email)
        # Whatever lease is still on record (long over by then): finished is finished.
        row.status, row.locked_until = finished, due
        db_session.commit()
        assert _claim(app, db_session, email, due + timedelta(days=1)) is None, finished


def test_a_claimed_customer_email_carries_its_subject_html_and_the_cases_reply_address(
    app, db_session, written, monkeypatch
):
    monkeypatch.setattr(app.config["SETTINGS"], "reply_domain", "reply.shop.example")
    email = _fresh(db_session, written[Channel.email])
    assert email.subject and email.body_html  # rendered when written
    claimed = _claim(app, db_session, email, MORNING)
    with app.app_context():
        address = reply_address(email.case_id)
    assert address and address.endswith("@reply.shop.example")
    assert (claimed.subject, claimed.body_html, claimed.reply_to) == (
        email.subject,
        email.body_html,
        address,
    )


def test_a_staff_alert_email_is_claimed_without_a_reply_address(
    app, db_session, written, monkeypatch
):
    """A reply to a staff alert must not land on the customer's conversation."""
    monkeypatch.setattr(app.config["SETTINGS"], "reply_domain", "reply.shop.example")
    customer_email = written[Channel.email]
    alert = Notification(
        id=uuid.uuid4(),
        event_key=f"sla_breach:{uuid.uuid4().hex}",
        case_id=customer_email.case_id,
        channel=Channel.email,
        template="sla_breach",
        locale="en",
        recipient="supervisor@shop.example",
        subject="SLA breached",
        body_text="The first response is overdue.",
        body_html="<p>The first response is overdue.</p>",
        status=NoticeStatus.pending,
        scheduled_for=MORNING,
        created_at=MORNING,
        updated_at=MORNING,
    )
    db_session.add(alert)
    db_session.commit()
    claimed = _claim(app, db_session, alert, MORNING)
    assert claimed is not None
    assert (claimed.recipient, claimed.reply_to) == ("supervisor@shop.example", None)


def test_a_new_attempt_starts_with_no_handover_on_record(app, db_session, written):
    """An e-mail whose worker died after DATA began is re-claimed (the `resend` policy):
    the new attempt has not handed anything over yet, so if its worker dies before
    DATA, that e-mail is not taken for one that may have been delivered."""
    email = written[Channel.email]
    lease = timedelta(seconds=app.config["SETTINGS"].notice_lease_seconds)
    assert _claim(app, db_session, email, MORNING) is not None
    row = _fresh(db_session, email)
    row.handed_over_at = MORNING + timedelta(seconds=1)
    db_session.commit()
    again = _claim(app, db_session, email, MORNING + lease + timedelta(seconds=1))
    assert again is not None and again.attempts == 2
    assert _fresh(db_session, email).handed_over_at is None


# --- the quiet window itself, on a window that does not span midnight ------------------


@pytest.mark.parametrize(
    ("local", "until"),
    [
        ("11:59", None),
        ("12:00", "14:00"),
        ("13:59", "14:00"),
        ("14:00", None),
        ("15:00", None),
        ("23:30", None),
    ],
)
def test_a_midday_quiet_window_holds_from_its_start_to_its_end(local, until):
    hour, minute = map(int, local.split(":"))
    # 2026-12-02 in Shanghai (UTC+8): local hh:mm is (hh-8):mm UTC.
    now = datetime(2026, 12, 2, 4, 0, tzinfo=UTC) + timedelta(hours=hour - 12, minutes=minute)
    expected = datetime(2026, 12, 2, 6, 0, tzinfo=UTC) if until else None  # 14:00 there
    assert quiet_until(now, "Asia/Shanghai", 12, 14) == expected


# --- superseded at send time: which later notice counts ---------------------------------


def _later(db_session, of: Notification, minutes: int, **fields) -> Notification:
    """A notice written `minutes` after `of`, of its case (unless told otherwise)."""
    at = of.created_at + timedelta(minutes=minutes)
    values = {
        "case_id": of.case_id,
        "channel": Channel.sms,
        "template": "request_item",
        "status": NoticeStatus.queued,
        **fields,
    }
    row = Notification(
        id=uuid.uuid4(),
        event_key=f"later:{uuid.uuid4().hex}",
        locale="en",
        recipient="+8613800138000",
        body_text="A later step.",
        scheduled_for=at,
        created_at=at,
        updated_at=at,
        **values,
    )
    db_session.add(row)
    db_session.commit()
    return row


def _deferred(db_session, row: Notification, template: str | None = None) -> Notification:
    row = _fresh(db_session, row)
    row.status, row.scheduled_for = NoticeStatus.deferred, MORNING
    if template:
        row.template = template
    db_session.commit()
    return row


@pytest.mark.parametrize(
    ("later", "reason"),
    [
        ({}, "superseded by a later SMS (request_item)"),
        ({"channel": Channel.email}, None),
        ({"template": "message"}, None),  # a person's message supersedes nothing
        ({"status": NoticeStatus.suppressed}, None),  # it does not go itself
        (
            {"status": NoticeStatus.sent, "template": "receive"},
            "superseded by a later SMS (receive)",
        ),
    ],
    ids=[
        "later status SMS",
        "later email",
        "later personal message",
        "later suppressed",
        "later sent",
    ],
)
def test_a_deferred_sms_is_superseded_at_send_time_only_by_a_later_sms_of_its_case_that_goes(
    app, db_session, written, later, reason
):
    sms = _deferred(db_session, written[Channel.sms])
    _later(db_session, sms, 1, **later)
    with app.app_context():
        outcome = delivery.hold_back(db_session, sms.id, MORNING)
    row = _fresh(db_session, sms)
    if reason:
        assert (outcome, row.status, row.last_error) == (
            "suppressed: superseded",
            NoticeStatus.suppressed,
            reason,
        )
    else:
        assert (outcome, row.status) == (None, NoticeStatus.deferred)


def test_the_latest_sms_of_a_case_is_not_superseded_by_itself_or_an_earlier_one(
    app, db_session, written
):
    sms = _deferred(db_session, written[Channel.sms])
    _later(db_session, sms, -1, status=NoticeStatus.sent)
    with app.app_context():
        assert delivery.hold_back(db_session, sms.id, MORNING) is None
    assert _fresh(db_session, sms).status == NoticeStatus.deferred


def test_an_sms_of_another_case_supersedes_nothing(app, db_session, written, open_case, shop):
    sms = _deferred(db_session, written[Channel.sms])
    other = uuid.UUID(open_case(as_tenant=shop)["id"])
    _later(db_session, sms, 1, case_id=other)
    with app.app_context():
        assert delivery.hold_back(db_session, sms.id, MORNING) is None


def test_a_staff_message_deferred_at_send_time_is_not_superseded(app, db_session, written):
    sms = _deferred(db_session, written[Channel.sms], template="message")
    _later(db_session, sms, 1)
    with app.app_context():
        assert delivery.hold_back(db_session, sms.id, MORNING) is None
    assert _fresh(db_session, sms).status == NoticeStatus.deferred


def test_the_reason_names_the_latest_of_several_later_sms(app, db_session, written):
    sms = _deferred(db_session, written[Channel.sms])
    # Stored in an order that is neither oldest first, newest first nor its reverse.
    _later(db_session, sms, 2, template="diagnose")
    _later(db_session, sms, 3, template="receive")
    _later(db_session, sms, 1, status=NoticeStatus.sent)
    with app.app_context():
        assert delivery.hold_back(db_session, sms.id, MORNING) == "suppressed: superseded"
    assert _fresh(db_session, sms).last_error == "superseded by a later SMS (receive)"
