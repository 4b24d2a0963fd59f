"""The whole round with a real worker: a case ships, the worker registers the number
with the (loopback) provider, the provider pushes the delivery, the case is delivered
and the customer's notices go out."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select

from service.cases.models import Case
from service.shipments.models import Shipment
from service.storefronts.models import Storefront
from service.tracking.accounts import configure
from service.tracking.kuaidi100 import sign
from tests.cases.lifecycle_paths import body_for
from tests.live import desk, notices, open_case, seed, wait_until
from tests.tracking.conftest import KUAIDI100_NUMBER, SALT, fixture, running_provider_fake


def test_a_shipped_case_is_registered_by_the_worker_and_delivered_by_the_push(web, worker):
    with running_provider_fake() as fake:
        app = web()
        payload, key = seed(app)
        database = app.extensions["database"]
        case = open_case(app, payload, key)
        with database.sessionmaker() as session:
            storefront = session.get(
                Storefront, session.get(Case, uuid.UUID(case["id"])).storefront_id
            )
            token = configure(
                session, storefront, "kuaidi100", "live-key", SALT
            ).account.callback_token
            session.commit()
        headers, staff_id = desk(app, case["id"])
        client = app.test_client()
        for action in ("receive", "diagnose", "send_quote", "decline_quote", "ship"):
            current = client.get(f"/api/v1/cases/{case['id']}", headers=headers)
            body = body_for(action, current.get_json(), staff_id)
            if action == "ship":
                body = {"tracking_number": KUAIDI100_NUMBER, "carrier": "yto"}
            response = client.post(
                f"/api/v1/cases/{case['id']}/actions/{action}",
                json=body,
                headers={**headers, "If-Match": current.headers["ETag"]},
            )
            assert response.status_code == 200, (action, response.get_json())

        worker(KUAIDI100_BASE_URL=fake.url)

        def subscription() -> str | None:
            with database.sessionmaker() as session:
                return session.scalar(
                    select(Shipment.subscription_status).where(
                        Shipment.case_id == uuid.UUID(case["id"])
                    )
                )

        wait_until(lambda: subscription() == "subscribed")
        (request,) = fake.requests
        param = json.loads(request["body"]["param"])
        assert param["number"] == KUAIDI100_NUMBER
        assert param["parameters"]["callbackurl"].endswith(f"/webhooks/tracking/kuaidi100/{token}")

        pushed = json.dumps(fixture("kuaidi100_delivered"), ensure_ascii=False)
        response = client.post(
            param["parameters"]["callbackurl"].removeprefix("https://help.example.com"),
            data={"param": pushed, "sign": sign(pushed, SALT)},
        )
        assert response.get_json()["result"] is True
        delivered = client.get(f"/api/v1/cases/{case['id']}", headers=headers).get_json()
        assert delivered["status"] == "delivered"
        wait_until(
            lambda: any(
                n.template == "deliver" and n.status.value == "sent"
                for n in notices(app, case["id"])
            )
        )
