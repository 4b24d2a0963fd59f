"""The same push delivered twice at once (a provider's retry overlapping the original;
real commits, separate connections): both are acknowledged, the case is delivered once
and every checkpoint is stored once. The case row lock in `apply_update` serialises
them; PostgreSQL only (SQLite serialises writers anyway)."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from service.cases.models import CaseEvent
from service.shipments.models import Shipment
from service.storefronts.models import Storefront
from service.tracking.accounts import configure
from service.tracking.kuaidi100 import sign
from service.tracking.models import ShipmentEvent
from tests.cases.lifecycle_paths import body_for
from tests.conftest import case_payload, committed_tenant, postgres_only
from tests.tracking.conftest import KUAIDI100_NUMBER, SALT, fixture

pytestmark = postgres_only


@pytest.fixture
def race(committing_app, staff_password_hash):
    with committed_tenant(
        committing_app, staff_password_hash, "Track Race", "track-race", "TR"
    ) as tenant:
        yield committing_app, tenant


def test_a_push_racing_its_retry_delivers_once_and_stores_each_checkpoint_once(race):
    app, tenant = race
    database = app.extensions["database"]
    with database.sessionmaker() as session:
        storefront = session.scalar(select(Storefront).where(Storefront.slug == "track-race"))
        token = configure(session, storefront, "kuaidi100", "k", SALT).account.callback_token
        session.commit()
    client = app.test_client()
    staff = {"Authorization": f"Bearer {tenant.token}"}
    case = client.post(
        "/api/v1/cases", json=case_payload(), headers={"Authorization": f"Bearer {tenant.key}"}
    ).get_json()
    for action in ("receive", "diagnose", "send_quote", "decline_quote", "ship"):
        current = client.get(f"/api/v1/cases/{case['id']}", headers=staff)
        body = body_for(action, current.get_json(), tenant.staff_id)
        if action == "ship":
            body = {"tracking_number": KUAIDI100_NUMBER, "carrier": "yto"}
        done = client.post(
            f"/api/v1/cases/{case['id']}/actions/{action}",
            json=body,
            headers={**staff, "If-Match": current.headers["ETag"]},
        )
        assert done.status_code == 200, (action, done.get_json())

    param = json.dumps(fixture("kuaidi100_delivered"), ensure_ascii=False)
    start = threading.Barrier(2)

    def push(_n: int):
        racer = app.test_client()
        start.wait()
        return racer.post(
            f"/webhooks/tracking/kuaidi100/{token}",
            data={"param": param, "sign": sign(param, SALT)},
        )

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(push, range(2)))
    assert [a.get_json()["result"] for a in answers] == [True, True]
    with database.sessionmaker() as session:
        case_id = uuid.UUID(case["id"])
        delivers = session.scalar(
            select(func.count()).where(CaseEvent.case_id == case_id, CaseEvent.action == "deliver")
        )
        stored = session.scalar(
            select(func.count())
            .select_from(ShipmentEvent)
            .join(Shipment, Shipment.id == ShipmentEvent.shipment_id)
            .where(Shipment.case_id == case_id)
        )
    assert delivers == 1
    assert stored == 5
