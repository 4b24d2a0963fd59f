"""End to end with real components: a real RQ worker process, Redis (embedded or
server), aiosmtpd on loopback for email, and a loopback Twilio for SMS."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from rq import Queue
from rq.registry import StartedJobRegistry
from sqlalchemy import delete, select

from service import create_app
from service.cases.models import Case
from service.core.config import PROJECT_ROOT
from service.core.redis_conn import redis
from service.notifications.consent import apply_sms_keyword
from service.notifications.jobs import sweep_outbox
from service.notifications.models import NoticeStatus, Notification
from service.storefronts.keys import create_storefront, issue_key
from service.storefronts.models import Storefront
from tests.conftest import TEST_REDIS_URL, case_payload
from tests.notifications.providers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    SmtpSink,
    TwilioSink,
    running_smtp,
    running_twilio,
)

DONE = {NoticeStatus.sent, NoticeStatus.failed, NoticeStatus.suppressed}


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with running_smtp() as sink:
        yield sink


@pytest.fixture
def twilio() -> Iterator[TwilioSink]:
    with running_twilio() as sink:
        yield sink
    assert sink.problems == []


@pytest.fixture
def redis_url(app) -> str:
    """A URL every process can reach: the Redis server, or the embedded one's socket."""
    if TEST_REDIS_URL:
        return TEST_REDIS_URL
    with app.app_context():
        return f"unix://{redis().socket_file}"


@pytest.fixture
def live(app, database_url, instance_dir, smtp, twilio, redis_url, tmp_path) -> Iterator[dict]:
    """Settings shared by the web app under test and its worker processes."""
    settings = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "INSTANCE_DIR": str(tmp_path / "instance"),
        "SECRET_KEY": "live-secret",
        "PUBLIC_BASE_URL": "https://help.example.com",
        "EMAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_SECURITY": "none",
        "EMAIL_FROM": "Service <service@shop.example>",
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM": FROM_NUMBER,
        "TWILIO_BASE_URL": twilio.base_url,
        "NOTICE_LEASE_SECONDS": "3",
        "NOTICE_RETRY_SECONDS": "1",
    }
    for name in ("notifications", "default"):
        Queue(name, connection=_redis_for(redis_url, app)).empty()
    yield settings


def _redis_for(url: str, app):
    from redis import Redis

    if url.startswith("unix://"):
        with app.app_context():
            return redis()
    return Redis.from_url(url)


def _app_from(settings: dict, **overrides) -> object:
    mapping = {
        "database_url": settings["DATABASE_URL"],
        "redis_url": settings["REDIS_URL"],
        "instance_dir": settings["INSTANCE_DIR"],
        "secret_key": settings["SECRET_KEY"],
        "public_base_url": settings["PUBLIC_BASE_URL"],
        "email_backend": "smtp",
        "smtp_host": "127.0.0.1",
        "smtp_port": int(settings["SMTP_PORT"]),
        "smtp_security": "none",
        "email_from": settings["EMAIL_FROM"],
        "sms_backend": "twilio",
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_from": FROM_NUMBER,
        "twilio_base_url": settings["TWILIO_BASE_URL"],
        "notice_lease_seconds": 3,
        "notice_retry_seconds": 1,
    }
    return create_app(**(mapping | overrides))


@pytest.fixture
def web(live) -> Iterator[Callable[..., object]]:
    """Apps that commit for real; the storefront they create is removed afterwards."""
    made = []

    def make(**overrides):
        made.append(_app_from(live, **overrides))
        return made[-1]

    yield make
    for app in made:
        database = app.extensions["database"]
        with database.sessionmaker() as session:
            session.execute(delete(Storefront).where(Storefront.slug.like("live-%")))
            session.commit()
        database.engine.dispose()


@pytest.fixture
def worker(live, tmp_path) -> Iterator[Callable[[], subprocess.Popen]]:
    """Start real worker processes (`python worker.py`); killed at the end, their log
    printed (pytest shows it when a test fails)."""
    processes: list[subprocess.Popen] = []
    log = tmp_path / "worker.log"

    def start() -> subprocess.Popen:
        env = {**os.environ, **live}
        with log.open("ab") as output:
            process = subprocess.Popen(
                [sys.executable, str(PROJECT_ROOT / "worker.py"), "--no-scheduler"],
                cwd=PROJECT_ROOT,
                env=env,
                start_new_session=True,  # its own process group: SIGKILL reaches the horse
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        return process

    yield start
    for process in processes:
        kill(process)
    if log.exists():
        print(log.read_text(errors="replace")[-5000:])


@pytest.fixture
def drained(app, redis_url) -> Callable[[], None]:
    """Wait until the workers have run every job they were given: the notifications
    queue is empty and no job is being worked on. Only then can "no second copy" be
    asserted: any duplicate job would have run by now."""
    connection = _redis_for(redis_url, app)
    notifications = Queue("notifications", connection=connection)

    def wait() -> None:
        wait_until(
            lambda: notifications.count == 0 and StartedJobRegistry(queue=notifications).count == 0
        )

    return wait


def kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def seed(app, locale: str = "en") -> tuple[dict, str]:
    database = app.extensions["database"]
    with database.sessionmaker() as session:
        # No quiet window: these tests run at any hour (quiet hours are tested on their own).
        storefront = create_storefront(
            session,
            "Acme Gadgets",
            f"live-{uuid.uuid4().hex[:8]}",
            case_prefix="AG",
            quiet_start_hour=0,
            quiet_end_hour=0,
        )
        _row, key = issue_key(session, storefront)
        session.commit()
    customer = {
        "name": "Li Wei" if locale == "zh-CN" else "Jane Doe",
        "email": "customer@example.com",
        "phone": "+8613800138000",
        "locale": locale,
        "time_zone": "Asia/Shanghai",
    }
    return case_payload(customer=customer), key


def notices(app, case_id: str) -> list[Notification]:
    with app.extensions["database"].sessionmaker() as session:
        return list(
            session.scalars(
                select(Notification)
                .where(Notification.case_id == uuid.UUID(case_id))
                .order_by(Notification.channel)
            )
        )


def wait_until(predicate: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def open_case(app, payload: dict, key: str) -> dict:
    response = app.test_client().post(
        "/api/v1/cases", json=payload, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def sweep(app) -> int:
    with app.app_context():
        return sweep_outbox()


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
