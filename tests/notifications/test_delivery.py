"""End to end with real components: a real RQ worker process, Redis (embedded or
server), aiosmtpd on loopback for email, and a loopback Twilio for SMS."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from service.cases.models import Case
from service.core.db import utcnow
from service.notifications.consent import apply_sms_keyword
from service.notifications.models import NoticeStatus, Notification
from service.storefronts.models import Storefront
from tests.live import DONE, desk, kill, notices, open_case, seed, sweep, wait_until
from tests.notifications.providers import FROM_NUMBER


@pytest.mark.parametrize(
    ("locale", "subject_words", "sms_words"),
    [
        ("en", "AG-", "Reply STOP to opt out"),
        ("zh-CN", "AG-", "退订"),
    ],
)
def test_one_transition_sends_exactly_one_email_and_one_sms(
    web, worker, drained, smtp, twilio, locale, subject_words, sms_words
):
    app = web()
    payload, key = seed(app, locale)
    worker()
    case = open_case(app, payload, key)

    wait_until(lambda: {n.status for n in notices(app, case["id"])} <= DONE)
    emails, texts = smtp.wait_for(1), twilio.wait_for(1)
    drained()  # a duplicate would have arrived by now
    assert len(smtp.messages) == 1 and len(twilio.messages) == 1 and twilio.posts == 1
    email, sms = emails[0], texts[0]
    assert email["To"] == "customer@example.com"
    assert case["number"] in email["Subject"]
    assert email["Message-ID"].startswith("<notice-")
    body = email.get_body(("plain",)).get_content()
    assert case["number"] in body and "https://help.example.com/c/" in body
    assert email.get_body(("html",)) is not None
    assert (sms.to, sms.sender) == ("+8613800138000", FROM_NUMBER)
    assert case["number"] in sms.body and sms_words in sms.body
    rows = notices(app, case["id"])
    assert [(n.channel.value, n.status, n.attempts) for n in rows] == [
        ("email", NoticeStatus.sent, 1),
        ("sms", NoticeStatus.sent, 1),
    ]
    assert rows[1].provider_message_id == sms.sid


def test_redis_down_at_commit_the_change_stands_and_the_sweeper_delivers_once(
    web, worker, drained, smtp, twilio
):
    down = web(redis_url="redis://127.0.0.1:1")
    payload, key = seed(down)
    case = open_case(down, payload, key)  # Redis unreachable: still 201
    assert {n.status for n in notices(down, case["id"])} == {NoticeStatus.pending}

    up = web()
    worker()
    assert sweep(up) == 2
    wait_until(lambda: {n.status for n in notices(up, case["id"])} == {NoticeStatus.sent})
    assert sweep(up) == 0  # nothing due any more
    drained()
    assert len(smtp.messages) == 1 and len(twilio.messages) == 1


def test_a_worker_killed_mid_send_leaves_the_notice_delivered_exactly_once(
    web, worker, drained, smtp, twilio
):
    app = web()
    payload, key = seed(app)
    twilio.script = ["stall"]
    first = worker()
    case = open_case(app, payload, key)
    assert twilio.stalled.wait(30), "the SMS never reached the provider"
    kill(first)  # SIGKILL: Twilio has the message, the outbox does not know
    sms_row = next(n for n in notices(app, case["id"]) if n.channel.value == "sms")
    assert sms_row.status == NoticeStatus.sending

    worker()
    # The dead worker's lease (3 s) runs out: only then does the sweeper hand it on.
    wait_until(lambda: sweep(app) >= 1)
    wait_until(lambda: {n.status for n in notices(app, case["id"])} == {NoticeStatus.sent})
    drained()
    assert twilio.posts == 1 and len(twilio.messages) == 1  # asked, not sent again
    assert twilio.lists >= 1
    assert len(smtp.messages) == 1
    sms_row = next(n for n in notices(app, case["id"]) if n.channel.value == "sms")
    assert (sms_row.attempts, sms_row.provider_message_id) == (2, twilio.messages[0].sid)


def test_a_provider_5xx_is_retried_with_backoff(web, worker, twilio):
    app = web()
    payload, key = seed(app)
    twilio.script = ["500"]
    worker()
    case = open_case(app, payload, key)

    def sms_row() -> Notification:
        return next(n for n in notices(app, case["id"]) if n.channel.value == "sms")

    wait_until(lambda: sms_row().attempts == 1 and sms_row().status == NoticeStatus.deferred)
    row = sms_row()
    assert "transient" in row.last_error and "500" in row.last_error
    assert row.scheduled_for > row.updated_at  # backing off, not hammering
    wait_until(lambda: sweep(app) == 1)  # due again once the backoff is over
    wait_until(lambda: sms_row().status == NoticeStatus.sent)
    assert sms_row().attempts == 2 and twilio.posts == 2 and len(twilio.messages) == 1


def test_a_permanent_provider_error_is_recorded_and_not_retried(web, worker, drained, twilio):
    app = web()
    payload, key = seed(app)
    twilio.script = ["21211"]
    worker()
    case = open_case(app, payload, key)

    def sms_row() -> Notification:
        return next(n for n in notices(app, case["id"]) if n.channel.value == "sms")

    wait_until(lambda: sms_row().status == NoticeStatus.failed)
    assert sms_row().attempts == 1
    assert "21211" in sms_row().last_error
    # Past the retry delay (NOTICE_RETRY_SECONDS=1): a notice wrongly left to retry
    # would be due now, and the sweeper would queue it.
    time.sleep(1.2)
    assert sweep(app) == 0
    drained()
    assert twilio.posts == 1 and sms_row().status == NoticeStatus.failed


def test_notices_are_listed_on_the_case(web, worker, smtp, twilio):
    app = web()
    payload, key = seed(app)
    worker()
    case = open_case(app, payload, key)
    wait_until(lambda: {n.status for n in notices(app, case["id"])} == {NoticeStatus.sent})
    listed = (
        app.test_client()
        .get(
            f"/api/v1/cases/{case['id']}/notifications", headers={"Authorization": f"Bearer {key}"}
        )
        .get_json()
    )
    assert [(n["channel"], n["template"], n["status"], n["attempts"]) for n in listed] == [
        ("email", "open", "sent", 1),
        ("sms", "open", "sent", 1),
    ]
    assert all(n["sent_at"] for n in listed)


def test_four_transitions_in_quiet_hours_bring_one_sms_in_the_morning_the_latest(
    web, worker, smtp, twilio
):
    from tests.cases.lifecycle_paths import body_for

    app = web()
    hour = datetime.now(ZoneInfo("Asia/Shanghai")).hour
    # A quiet window the present hour sits well inside: it is night for this customer.
    night = {"quiet_start_hour": (hour - 1) % 24, "quiet_end_hour": (hour + 2) % 24}
    payload, key = seed(app, **night)
    worker(scheduler=True, SWEEP_OUTBOX_SECONDS="1")
    case = open_case(app, payload, key)
    headers, staff_id = desk(app, case["id"])
    client = app.test_client()
    for action in ("request_item", "receive", "diagnose", "send_quote"):
        current = client.get(f"/api/v1/cases/{case['id']}", headers=headers)
        body = body_for(action, current.get_json(), staff_id)
        answer = client.post(
            f"/api/v1/cases/{case['id']}/actions/{action}",
            json=body,
            headers={**headers, "If-Match": current.headers["ETag"]},
        )
        assert answer.status_code == 200, answer.get_json()
    assert len(smtp.wait_for(5)) == 5  # every e-mail went at once
    texts = [n for n in notices(app, case["id"]) if n.channel.value == "sms"]
    assert [n.status for n in texts] == [NoticeStatus.suppressed] * 4 + [NoticeStatus.deferred]
    assert all(n.last_error.startswith("superseded by a later SMS") for n in texts[:4])

    # Morning: the outbox knows it only as the deferred row's `scheduled_for`, and the
    # send-time check as the storefront's window; move both on, not the code's clock.
    database = app.extensions["database"]
    with database.sessionmaker() as session:
        storefront_id = session.get(Case, uuid.UUID(case["id"])).storefront_id
        storefront = session.get(Storefront, storefront_id)
        storefront.quiet_start_hour = storefront.quiet_end_hour = 0
        session.get(Notification, texts[4].id).scheduled_for = utcnow()
        session.commit()
    latest = texts[4].id

    def latest_status() -> NoticeStatus:
        return next(n for n in notices(app, case["id"]) if n.id == latest).status

    wait_until(lambda: latest_status() == NoticeStatus.sent)
    assert len(twilio.messages) == 1
    assert "/c/quote/" in twilio.messages[0].body  # the latest: decide on the quote
    assert [n.status for n in notices(app, case["id"]) if n.channel.value == "sms"][:4] == [
        NoticeStatus.suppressed
    ] * 4


def _written_while_allowed(web) -> tuple[object, dict, str]:
    """A case opened while Redis is down: its notices wait in the outbox, written while
    sending was allowed (no quiet window, consent given), for a worker to send later."""
    down = web(redis_url="redis://127.0.0.1:1")
    payload, key = seed(down)
    case = open_case(down, payload, key)
    assert {n.status for n in notices(down, case["id"])} == {NoticeStatus.pending}
    return down, case, key


def _sms_row(app, case: dict) -> Notification:
    return next(n for n in notices(app, case["id"]) if n.channel.value == "sms")


def _worked_off(app, case: dict) -> bool:
    """Every notice of the case has been through a worker (whatever the outcome)."""
    return not {n.status for n in notices(app, case["id"])} & {
        NoticeStatus.pending,
        NoticeStatus.queued,
        NoticeStatus.sending,
    }


def test_quiet_hours_that_begin_before_the_worker_sends_hold_the_sms_back(
    web, worker, smtp, twilio
):
    down, case, _key = _written_while_allowed(web)
    # The clock enters the storefront's quiet window: it now covers the present hour
    # in the customer's zone (Asia/Shanghai, UTC+8), for the next two hours.
    local_hour = (datetime.now(UTC).hour + 8) % 24
    with down.extensions["database"].sessionmaker() as session:
        opened = session.get(Case, uuid.UUID(case["id"]))
        storefront = session.get(Storefront, opened.storefront_id)
        storefront.quiet_start_hour, storefront.quiet_end_hour = local_hour, (local_hour + 2) % 24
        session.commit()

    up = web()
    worker()
    assert sweep(up) == 2
    wait_until(lambda: _worked_off(up, case))
    sms = _sms_row(up, case)
    assert sms.status == NoticeStatus.deferred and sms.attempts == 0
    assert sms.scheduled_for > datetime.now(UTC)
    assert twilio.posts == 0 and twilio.messages == []
    assert len(smtp.wait_for(1)) == 1  # quiet hours are for SMS only


def test_a_stop_that_arrives_before_the_worker_sends_suppresses_the_sms(web, worker, smtp, twilio):
    down, case, _key = _written_while_allowed(web)
    with down.app_context(), down.extensions["database"].sessionmaker() as session:
        assert apply_sms_keyword(session, "+8613800138000", "STOP") == "stop"
        session.commit()

    up = web()
    worker()
    assert sweep(up) == 2
    wait_until(lambda: _worked_off(up, case))
    sms = _sms_row(up, case)
    assert (sms.status, sms.last_error, sms.attempts) == (
        NoticeStatus.suppressed,
        "customer replied STOP",
        0,
    )
    assert twilio.posts == 0 and twilio.messages == []
    assert len(smtp.wait_for(1)) == 1
