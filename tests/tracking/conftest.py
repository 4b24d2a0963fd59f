"""Fixtures for carrier tracking: a storefront's aggregator account, a case shipped
with the fixtures' tracking numbers, signed pushes, and a loopback stand-in for the
providers' subscription APIs."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from sqlalchemy import func, select

from service.cases.models import Case, CaseEvent, CaseStatus
from service.notifications.models import Notification
from service.surveys.models import Survey
from service.tracking.accounts import configure
from service.tracking.aftership import SIGNATURE_HEADER, signature
from service.tracking.kuaidi100 import sign
from service.tracking.models import ShipmentEvent, TrackingAccount
from tests.workspace.conftest import agent, desk, sign_in  # noqa: F401 (fixtures)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: The numbers the fixtures' parcels carry.
KUAIDI100_NUMBER = "YT7523381298765"
AFTERSHIP_NUMBER = "1Z999AA10123456784"
SALT = "test-salt-0123456789abcdef"
WEBHOOK_SECRET = "test-aftership-webhook-secret"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.fixture
def tracking_account(db_session, tenant) -> Callable[[str], TrackingAccount]:
    def make(provider: str, storefront=None) -> TrackingAccount:
        secret = SALT if provider == "kuaidi100" else WEBHOOK_SECRET
        configured = configure(
            db_session, storefront or tenant.storefront, provider, "test-api-key", secret
        )
        db_session.commit()
        return configured.account

    return make


@pytest.fixture
def shipped(walk) -> Callable[[str, str], dict[str, Any]]:
    """A repair case shipped back with `number` (carrier `carrier`)."""

    def make(number: str, carrier: str) -> dict[str, Any]:
        case = walk(CaseStatus.ready_to_ship)
        body = {"tracking_number": number, "carrier": carrier}
        return walk.advance(case["id"], ["ship"], ship=body)

    return make


@pytest.fixture
def push_kuaidi100(client):
    def post(account: TrackingAccount, payload: dict | str, salt: str | None = None, **form):
        param = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        data = {"param": param, "sign": sign(param, SALT if salt is None else salt), **form}
        return client.post(f"/webhooks/tracking/kuaidi100/{account.callback_token}", data=data)

    return post


@pytest.fixture
def push_aftership(client):
    def post(account: TrackingAccount, payload: dict | bytes, secret: str | None = None):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        signed = signature(WEBHOOK_SECRET if secret is None else secret, body)
        return client.post(
            f"/webhooks/tracking/aftership/{account.callback_token}",
            data=body,
            headers={SIGNATURE_HEADER: signed, "Content-Type": "application/json"},
        )

    return post


def case_row(db_session, case_id: str) -> Case:
    """The case as the database has it now."""
    case = db_session.get(Case, uuid.UUID(case_id))
    db_session.refresh(case)
    return case


def footprint(db_session, case_id: str) -> tuple[Any, ...]:
    """Everything a push could change about a case, to compare before and after."""
    case = case_row(db_session, case_id)
    counts = tuple(
        db_session.scalar(select(func.count()).select_from(model))
        for model in (CaseEvent, ShipmentEvent, Notification, Survey)
    )
    shipment = case.shipments[-1]
    db_session.refresh(shipment)
    state = (
        shipment.tracking_status,
        shipment.tracking_flag,
        shipment.tracking_updated_at,
        shipment.delivered_at,
    )
    return (case.status, case.version, *counts, *state)


# --- a loopback stand-in for the providers' subscription APIs ----------------------------


@dataclass
class ProviderFake:
    """Answers `POST /poll` as Kuaidi100 and `POST /trackings` as AfterShip do, keeping
    each request (path, headers, parsed body). `script` holds (status, body) answers
    to give before the normal success."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def _handler(fake: ProviderFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            kind = self.headers.get("Content-Type", "")
            if kind.startswith("application/x-www-form-urlencoded"):
                body: Any = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            else:
                body = json.loads(raw or b"null")
            fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            if fake.script:
                status, answer = fake.script.pop(0)
            elif self.path == "/poll":
                status, answer = 200, {"result": True, "returnCode": "200", "message": "提交成功"}
            else:
                status, answer = 201, {"meta": {"code": 201}, "data": {"id": "abc123"}}
            payload = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_provider_fake() -> Iterator[ProviderFake]:
    fake = ProviderFake()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def provider_fake(app) -> Iterator[ProviderFake]:
    """The fake, with the app's Kuaidi100 and AfterShip base URLs pointing at it."""
    from dataclasses import replace

    with running_provider_fake() as fake:
        original = app.config["SETTINGS"]
        app.config["SETTINGS"] = replace(
            original, kuaidi100_base_url=fake.url, aftership_base_url=fake.url
        )
        try:
            yield fake
        finally:
            app.config["SETTINGS"] = original
