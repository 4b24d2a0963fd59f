"""Fixtures of the webhook tests: a loopback receiver, the loopback allowance, a stub
DNS resolver, an endpoint registered over the API, and running the delivery jobs."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import update

from service.core.db import utcnow
from service.webhooks import delivery
from service.webhooks.jobs import deliver_webhook
from service.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.webhooks.receiver import Receiver, running_receiver

#: Names the stub resolver answers (the rest go to the real one).
STUB_DNS: dict[str, str] = {
    "hooks.shop.test": "93.184.216.34",  # public
    "intranet.shop.test": "10.0.0.7",  # private
}


@pytest.fixture
def stub_dns(monkeypatch) -> dict[str, str]:
    """socket.getaddrinfo answering STUB_DNS's names (a test may change the mapping)."""
    names = dict(STUB_DNS)
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in names:
            address = names[host]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port or 0, 0, 0) if ":" in address else (address, port or 0)
            return [(family, socket.SOCK_STREAM, 6, "", sockaddr)]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


@pytest.fixture
def loopback(app, monkeypatch) -> None:
    """The development allowance: deliver to loopback receivers (plain http)."""
    monkeypatch.setattr(app.config["SETTINGS"], "webhook_allow_loopback", True)
    monkeypatch.setattr(app.config["SETTINGS"], "webhook_retry_schedule", "1,1,1")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as sink:
        yield sink


@pytest.fixture
def register(client, tenant) -> Callable[..., dict]:
    def create(url: str, headers: dict | None = None, **fields) -> dict:
        response = client.post(
            "/api/v1/webhooks/endpoints",
            json={"url": url, **fields},
            headers=headers or tenant.headers,
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return create


@pytest.fixture
def hooked(loopback, receiver, register) -> dict:
    """An endpoint of the tenant pointing at the receiver, which knows its secret."""
    endpoint = register(receiver.url)
    receiver.secrets.append(endpoint["secret"])
    return endpoint


@pytest.fixture
def run_deliveries(app, db_session) -> Callable[..., int]:
    """Run the delivery job for whatever is due now (each once per round), as workers
    would, until a round has nothing due or `rounds` ran; the attempts made."""

    def run(rounds: int = 20, skip_waits: bool = False) -> int:
        made = 0
        with app.app_context():
            for _ in range(rounds):
                if skip_waits:  # the retry waits are over
                    db_session.execute(
                        update(WebhookDelivery)
                        .where(WebhookDelivery.status == DeliveryStatus.pending)
                        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
                    )
                    db_session.commit()
                ids = delivery.due_ids(db_session, utcnow(), requeue_after=timedelta(0))
                db_session.commit()
                if not ids:
                    break
                for delivery_id in ids:
                    deliver_webhook(str(delivery_id))
                    made += 1
        return made

    return run
