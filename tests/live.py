"""Fixtures for tests against the service as it runs: apps that commit for real, real
RQ worker processes (`python worker.py`), Redis (embedded or server), aiosmtpd on
loopback for email and a loopback Twilio for SMS.

The root conftest loads this module as a plugin, so every test can ask for these
fixtures by name; the helpers are imported as usual.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from redis import Redis
from rq import Queue
from rq.executions import Execution
from rq.registry import StartedJobRegistry
from sqlalchemy import delete, select

from service import create_app
from service.cases.models import Case
from service.core.auth import issue_staff_token
from service.core.config import PROJECT_ROOT
from service.core.jobs import QUEUES
from service.core.redis_conn import redis
from service.notifications.jobs import sweep_outbox
from service.notifications.models import NoticeStatus, Notification
from service.staff.models import StaffRole, StaffUser
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
        # Every live test calls from 127.0.0.1; tests/test_ratelimit.py turns limits on.
        "RATE_LIMITS_ENABLED": "0",
    }
    for name in QUEUES:
        Queue(name, connection=redis_for(redis_url, app)).empty()
    yield settings


def redis_for(url: str, app) -> Redis:
    """A client of the Redis every process of the test uses (the test's own database)."""
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
def worker(live, tmp_path) -> Iterator[Callable[..., subprocess.Popen]]:
    """`worker(scheduler=False, **env)` starts a real worker process (`python worker.py`,
    ticking the periodic jobs only with `scheduler=True`), its environment being the
    live settings plus `env`. All are killed at the end, their log printed (pytest
    shows it when a test fails)."""
    processes: list[subprocess.Popen] = []
    log = tmp_path / "worker.log"

    def start(scheduler: bool = False, **env: str) -> subprocess.Popen:
        command = [sys.executable, str(PROJECT_ROOT / "worker.py")]
        with log.open("ab") as output:
            process = subprocess.Popen(
                command if scheduler else [*command, "--no-scheduler"],
                cwd=PROJECT_ROOT,
                env={**os.environ, **live, **env},
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


def kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def seed(app, locale: str = "en", **storefront_settings) -> tuple[dict, str]:
    database = app.extensions["database"]
    # No quiet window unless asked: these tests run at any hour.
    storefront_settings = {"quiet_start_hour": 0, "quiet_end_hour": 0} | storefront_settings
    with database.sessionmaker() as session:
        storefront = create_storefront(
            session,
            "Acme Gadgets",
            f"live-{uuid.uuid4().hex[:8]}",
            case_prefix="AG",
            **storefront_settings,
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
                .order_by(Notification.channel, Notification.created_at)
            )
        )


def notice(app, case_id: str, channel: str) -> Notification:
    return next(n for n in notices(app, case_id) if n.channel.value == channel)


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


def desk(app, case_id: str) -> tuple[dict[str, str], str]:
    """Headers and id of a desk admin of the case's storefront (removed with it)."""
    with app.extensions["database"].sessionmaker() as session:
        case = session.get(Case, uuid.UUID(case_id))
        staff = StaffUser(
            email=f"desk-{uuid.uuid4().hex[:8]}@shop.example",
            name="Dana Desk",
            role=StaffRole.admin,
            password_hash="x",
            storefront_id=case.storefront_id,
        )
        session.add(staff)
        token = issue_staff_token(session, staff)
        session.commit()
        return {"Authorization": f"Bearer {token}"}, str(staff.id)


@pytest.fixture
def drained(app, redis_url) -> Callable[[], None]:
    """Wait until the workers have run every job they were given: the notifications
    queue is empty and no live worker is working on a job. Only then can "no second
    copy" be asserted: any duplicate job would have run by now. (A worker the test
    killed leaves its job in RQ's started registry until the entry expires, ~90 s; a
    simple worker's leftover outlives the rerun of its job.)"""
    connection = redis_for(redis_url, app)
    notifications = Queue("notifications", connection=connection)

    def working() -> int:
        registry = StartedJobRegistry(queue=notifications)
        registry.cleanup()
        busy = 0
        for key in connection.zrange(registry.key, 0, -1):
            # An entry whose execution record is gone, or whose worker is dead, is
            # left over from a killed worker, not a job in hand.
            worker = Execution.from_composite_key(key.decode(), connection).worker_name
            pid = connection.hget(f"rq:worker:{worker}", "pid") if worker else None
            busy += pid is not None and _alive(int(pid))
        return busy

    def wait() -> None:
        wait_until(lambda: notifications.count == 0 and working() == 0)

    return wait


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
