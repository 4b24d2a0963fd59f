"""Tracking pushes from Kuaidi100 and AfterShip, with the recorded fixture payloads:
a verified delivery moves a shipped case to delivered (and schedules the survey); a
bad signature is 401 and changes nothing; a replay changes nothing."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select

from service.cases.models import CaseEvent
from service.surveys.models import SurveyStatus
from service.surveys.service import current_survey
from service.tracking.models import ShipmentEvent
from tests.tracking.conftest import (
    AFTERSHIP_NUMBER,
    KUAIDI100_NUMBER,
    case_row,
    fixture,
    footprint,
)

KUAIDI100_ACK = {"result": True, "returnCode": "200", "message": "成功"}


def events(db_session, case_id, action=None):
    stmt = (
        select(CaseEvent)
        .where(CaseEvent.case_id == uuid.UUID(case_id))
        .order_by(CaseEvent.sequence)
    )
    rows = list(db_session.scalars(stmt))
    return [e for e in rows if action is None or e.action == action]


def checkpoints(db_session, case) -> list[ShipmentEvent]:
    shipment = case_row(db_session, case["id"]).shipments[-1]
    return list(
        db_session.scalars(select(ShipmentEvent).where(ShipmentEvent.shipment_id == shipment.id))
    )


def test_kuaidi100_signed_for_push_delivers_the_case_and_schedules_the_survey(
    db_session, client, admin, tracking_account, shipped, push_kuaidi100
):
    account = tracking_account("kuaidi100")
    case = shipped(KUAIDI100_NUMBER, "yto")

    on_the_way = push_kuaidi100(account, fixture("kuaidi100_in_transit"))
    assert on_the_way.status_code == 200
    assert on_the_way.get_json() == KUAIDI100_ACK
    assert case_row(db_session, case["id"]).status.value == "shipped"
    assert len(checkpoints(db_session, case)) == 2
    (update,) = events(db_session, case["id"], "tracking_update")
    assert "杭州转运中心" in update.note and not update.internal

    signed_for = push_kuaidi100(account, fixture("kuaidi100_delivered"))
    assert signed_for.get_json() == KUAIDI100_ACK
    row = case_row(db_session, case["id"])
    assert row.status.value == "delivered"
    (deliver,) = events(db_session, case["id"], "deliver")
    assert (deliver.actor_type, deliver.actor_name) == ("system", "Aftersales")
    assert current_survey(db_session, row).status == SurveyStatus.scheduled
    assert len(checkpoints(db_session, case)) == 5  # the two known ones not stored twice
    shipment = row.shipments[-1]
    assert (shipment.tracking_status, shipment.delivered_at is not None) == ("delivered", True)
    api = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()
    assert api["status"] == "delivered" and api["shipments"][-1]["tracking_status"] == "delivered"


def test_kuaidi100_bad_signature_is_401_and_changes_nothing(
    db_session, tracking_account, shipped, push_kuaidi100, create_tenant
):
    account = tracking_account("kuaidi100")
    case = shipped(KUAIDI100_NUMBER, "yto")
    before = footprint(db_session, case["id"])
    payload = fixture("kuaidi100_delivered")

    assert push_kuaidi100(account, payload, salt="not-the-salt").status_code == 401
    # Signed right, then altered on the way.
    param = json.dumps(payload, ensure_ascii=False)
    response = push_kuaidi100(account, param, sign="0" * 32)
    assert response.status_code == 401
    assert response.get_json()["result"] is False
    # Another storefront's account (its own salt) cannot push to this storefront's parcels.
    other = tracking_account("kuaidi100", storefront=create_tenant().storefront)
    other.secret = "the-other-salt"
    db_session.commit()
    assert push_kuaidi100(account, payload, salt="the-other-salt").status_code == 401
    assert footprint(db_session, case["id"]) == before


def test_kuaidi100_replayed_push_changes_nothing(
    db_session, tracking_account, shipped, push_kuaidi100
):
    account = tracking_account("kuaidi100")
    case = shipped(KUAIDI100_NUMBER, "yto")
    assert push_kuaidi100(account, fixture("kuaidi100_delivered")).status_code == 200
    after_first = footprint(db_session, case["id"])
    for name in ("kuaidi100_delivered", "kuaidi100_in_transit"):
        response = push_kuaidi100(account, fixture(name))
        assert response.get_json() == KUAIDI100_ACK  # acknowledged, so it stops pushing
    assert footprint(db_session, case["id"]) == after_first
    assert len(events(db_session, case["id"], "deliver")) == 1


def test_aftership_delivered_push_delivers_the_case_and_schedules_the_survey(
    db_session, tracking_account, shipped, push_aftership
):
    account = tracking_account("aftership")
    case = shipped(AFTERSHIP_NUMBER, "ups")
    response = push_aftership(account, fixture("aftership_delivered"))
    assert response.status_code == 200
    row = case_row(db_session, case["id"])
    assert row.status.value == "delivered"
    assert current_survey(db_session, row).status == SurveyStatus.scheduled
    stored = checkpoints(db_session, case)
    assert sorted(c.status for c in stored) == sorted(
        ["info_received", "in_transit", "out_for_delivery", "delivered"]
    )
    (update,) = events(db_session, case["id"], "tracking_update")
    assert "DELIVERED, Front Door" in update.note


def test_aftership_bad_signature_is_401_and_changes_nothing(
    db_session, client, tracking_account, shipped, push_aftership
):
    account = tracking_account("aftership")
    case = shipped(AFTERSHIP_NUMBER, "ups")
    before = footprint(db_session, case["id"])
    payload = fixture("aftership_delivered")
    assert push_aftership(account, payload, secret="wrong-secret").status_code == 401
    # The signature of the real body, over a body that says something else.
    from service.tracking.aftership import SIGNATURE_HEADER, signature

    body = json.dumps(payload).encode()
    tampered = body.replace(b'"Delivered"', b'"Delivered" ', 1)
    response = client.post(
        f"/webhooks/tracking/aftership/{account.callback_token}",
        data=tampered,
        headers={SIGNATURE_HEADER: signature("test-aftership-webhook-secret", body)},
        content_type="application/json",
    )
    assert response.status_code == 401
    unsigned = client.post(
        f"/webhooks/tracking/aftership/{account.callback_token}",
        data=body,
        content_type="application/json",
    )
    assert unsigned.status_code == 401
    assert footprint(db_session, case["id"]) == before


def test_aftership_replayed_push_changes_nothing(
    db_session, tracking_account, shipped, push_aftership
):
    account = tracking_account("aftership")
    case = shipped(AFTERSHIP_NUMBER, "ups")
    assert push_aftership(account, fixture("aftership_delivered")).status_code == 200
    after_first = footprint(db_session, case["id"])
    assert push_aftership(account, fixture("aftership_delivered")).status_code == 200
    # An older update retried after the newer one: nothing goes backwards.
    assert push_aftership(account, fixture("aftership_exception")).status_code == 200
    now = footprint(db_session, case["id"])
    # The exception's own checkpoint is news (stored), but status, flag and delivery stay.
    status, flag, _updated_at, delivered_at = now[-4:]
    assert (now[0], status, flag, delivered_at) == (
        after_first[0],
        *after_first[-4:-2],
        after_first[-1],
    )


def test_a_push_to_an_unknown_callback_is_404_and_an_unknown_number_is_acknowledged(
    db_session, client, tracking_account, shipped, push_kuaidi100
):
    account = tracking_account("kuaidi100")
    case = shipped(KUAIDI100_NUMBER, "yto")
    before = footprint(db_session, case["id"])
    assert client.post("/webhooks/tracking/kuaidi100/not-a-token", data={}).status_code == 404
    assert client.post(f"/webhooks/tracking/fedex/{account.callback_token}").status_code == 404
    other_parcel = fixture("kuaidi100_delivered")
    other_parcel["lastResult"]["nu"] = "YT0000000000000"
    assert push_kuaidi100(account, other_parcel).get_json() == KUAIDI100_ACK
    assert footprint(db_session, case["id"]) == before


def test_the_tracking_shows_on_the_api_the_workspace_and_the_customer_page(
    app, db_session, client, admin, tenant, tracking_account, shipped, push_kuaidi100, desk
):
    from service.links import make_token

    account = tracking_account("kuaidi100")
    case = shipped(KUAIDI100_NUMBER, "yto")
    push_kuaidi100(account, fixture("kuaidi100_in_transit"))
    listed = client.get(f"/api/v1/cases/{case['id']}/tracking", headers=tenant.headers)
    assert [c["status"] for c in listed.get_json()] == ["in_transit", "info_received"]
    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline", headers=tenant.headers)
    assert "tracking_update" in [e["action"] for e in timeline.get_json()]

    page = desk.get(f"/cases/{case['number']}").get_data(as_text=True)
    assert "Carrier tracking update" in page and "杭州转运中心" in page

    row = case_row(db_session, case["id"])
    with app.app_context():
        token = make_token(row, "status")
    status = client.get(f"/c/{token}").get_data(as_text=True)
    assert "物流状态: <strong data-parcel-status>运输中</strong>" in status
    assert "快递物流更新" in status and "杭州转运中心" in status
