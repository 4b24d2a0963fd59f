"""Handing a notice to its provider (`delivery.send`, step 2 of the protocol), in-process
against loopback Twilio and SMTP servers and the file backend: what goes out, and the
reconciling before a retry (a retry first asks the provider whether it already has the
notice; a first attempt does not ask)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service import create_app
from service.core.db import utcnow
from service.notifications import delivery
from service.notifications.models import Channel, NoticeStatus, Notification
from tests.conftest import TEST_REDIS_URL
from tests.notifications.providers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    SmtpSink,
    TwilioSink,
    running_smtp,
    running_twilio,
)


@pytest.fixture
def twilio() -> Iterator[TwilioSink]:
    with running_twilio() as sink:
        yield sink
    assert sink.problems == []


@pytest.fixture
def sms_app(app, database_url, instance_dir, twilio):
    made = create_app(
        instance_dir=instance_dir,
        database_url=database_url,
        redis_url=TEST_REDIS_URL,
        secret_key="reconcile",
        sms_backend="twilio",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from=FROM_NUMBER,
        twilio_base_url=twilio.base_url,
    )
    yield made
    made.extensions["database"].engine.dispose()


def _notice(attempts: int, notice_id: uuid.UUID) -> delivery.Claimed:
    return delivery.Claimed(
        id=notice_id,
        channel=Channel.sms,
        recipient="+8613800138000",
        subject=None,
        body_text="MS-000001: we have your case. Reply STOP to opt out.",
        body_html=None,
        attempts=attempts,
        created_at=datetime.now(UTC) - timedelta(minutes=1),
    )


def test_a_retry_of_a_notice_the_provider_already_has_is_not_sent_again(sms_app, twilio):
    notice_id = uuid.uuid4()
    with sms_app.app_context():
        first = delivery.send(_notice(1, notice_id))
        again = delivery.send(_notice(2, notice_id))
    assert again == first == twilio.messages[0].sid
    assert (twilio.posts, twilio.lists, len(twilio.messages)) == (1, 1, 1)


def test_a_retry_the_provider_does_not_have_is_sent(sms_app, twilio):
    with sms_app.app_context():
        sid = delivery.send(_notice(2, uuid.uuid4()))
    assert (twilio.posts, twilio.lists) == (1, 1)
    assert sid == twilio.messages[0].sid


def test_a_first_attempt_does_not_ask_the_provider(sms_app, twilio):
    with sms_app.app_context():
        delivery.send(_notice(1, uuid.uuid4()))
    assert (twilio.posts, twilio.lists) == (1, 0)


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with running_smtp() as sink:
        yield sink


@pytest.fixture
def email_app(app, database_url, instance_dir, smtp):
    made = create_app(
        instance_dir=instance_dir,
        database_url=database_url,
        redis_url=TEST_REDIS_URL,
        secret_key="reconcile",
        email_backend="smtp",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        email_from="Service <service@shop.example>",
    )
    yield made
    made.extensions["database"].engine.dispose()


REPLY_TO = "cabcdefghijklmnopqrstuvwxyz234567abcdefghijklm@reply.shop.example"


def _email(attempts: int, notice_id: uuid.UUID) -> delivery.Claimed:
    return delivery.Claimed(
        id=notice_id,
        channel=Channel.email,
        recipient="li.wei@example.com",
        subject="MS-000001: we have your case",
        body_text="Plain words.",
        body_html="<p>Rich words.</p>",
        attempts=attempts,
        created_at=datetime.now(UTC) - timedelta(minutes=1),
        reply_to=REPLY_TO,
    )


def test_an_email_goes_out_with_its_subject_bodies_and_a_message_id_from_its_key(email_app, smtp):
    notice_id = uuid.uuid4()
    with email_app.app_context():
        message_id = delivery.send(_email(1, notice_id))
        # SMTP cannot be asked: a retry sends again, under the same Message-ID, which
        # lets the receiving side drop the copy.
        again = delivery.send(_email(2, notice_id))
    assert message_id == again == f"<notice-{notice_id}.email@aftersales>"
    first, second = smtp.wait_for(2)
    assert (first["To"], first["Subject"]) == ("li.wei@example.com", "MS-000001: we have your case")
    assert first["Message-ID"] == second["Message-ID"] == message_id
    assert first["Reply-To"] == REPLY_TO
    assert first.get_body(("plain",)).get_content().strip() == "Plain words."
    assert first.get_body(("html",)).get_content().strip() == "<p>Rich words.</p>"


def test_an_sms_to_the_file_backend_is_written_once_under_its_key(app, db_session, tmp_path):
    notice_id = uuid.uuid4()
    with app.app_context():
        sent = delivery.send(_notice(1, notice_id))
        again = delivery.send(_notice(2, notice_id))
    assert sent == again == f"file-sms:notice-{notice_id}.sms"
    outbox = app.config["SETTINGS"].instance_dir / "outbox" / "sms"
    written = list(outbox.glob(f"notice-{notice_id}.sms*"))
    assert len(written) == 1
    assert "MS-000001: we have your case." in written[0].read_text()


def test_an_smtp_send_puts_the_servers_acceptance_on_the_record_at_once(
    email_app, smtp, open_case, db_session
):
    """Step 3: the job hands its `Handover` to the send; the row is `sent`, with the
    Message-ID, as soon as the server's 250 arrives (before QUIT, before the job's own
    bookkeeping)."""
    case = open_case()
    row = db_session.scalars(
        select(Notification).where(
            Notification.case_id == uuid.UUID(case["id"]), Notification.channel == Channel.email
        )
    ).one()
    with email_app.app_context():
        claimed = delivery.claim(db_session, row.id, utcnow())
        handover = delivery.Handover(db_session, claimed)
        message_id = delivery.send(claimed, handover)
    assert handover.sent
    stored = db_session.get(Notification, row.id, populate_existing=True)
    assert (stored.status, stored.provider_message_id) == (NoticeStatus.sent, message_id)
    (received,) = smtp.wait_for(1)
    assert received["Message-ID"] == message_id


def test_an_sms_is_sent_though_the_job_gives_every_send_a_handover(sms_app, twilio, db_session):
    """Only SMTP reports its progress; Twilio and the file backend take no handover."""
    notice = _notice(1, uuid.uuid4())
    with sms_app.app_context():
        sid = delivery.send(notice, delivery.Handover(db_session, notice))
    assert sid == twilio.messages[0].sid


def test_an_sms_to_the_file_backend_is_sent_though_given_a_handover(app, db_session):
    notice = _notice(1, uuid.uuid4())
    with app.app_context():
        sent = delivery.send(notice, delivery.Handover(db_session, notice))
    assert sent == f"file-sms:{notice.idempotency_key}"
