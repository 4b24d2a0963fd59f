"""Rules around the actions: who may act, preconditions, bodies, and what gets recorded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from service.cases.models import Case, CaseKind, CaseStatus
from tests.cases.lifecycle_paths import UPS_NUMBER, body_for


def timeline(client, case, headers):
    return client.get(f"/api/v1/cases/{case['id']}/timeline", headers=headers).get_json()


def test_an_invalid_transition_is_409_with_the_status_and_allowed_actions(client, admin, walk, act):
    case = walk(CaseStatus.open)
    before = timeline(client, case, admin.headers)
    response = act(case["id"], "ship", {"tracking_number": UPS_NUMBER}, admin.headers)
    assert response.status_code == 409
    body = response.get_json()
    assert body["current_status"] == "open"
    assert "receive" in body["allowed_actions"]
    assert "ship" not in body["allowed_actions"]
    assert timeline(client, case, admin.headers) == before


def test_an_action_for_another_kind_is_409(admin, walk, act):
    case = walk(CaseStatus.open, CaseKind.complaint)
    response = act(case["id"], "receive", {"items": []}, admin.headers)
    assert response.status_code in (409, 422)
    response = act(case["id"], "request_item", {"shipping_instructions": "x"}, admin.headers)
    assert response.status_code == 409
    assert "does not apply to a complaint" in response.get_json()["message"]


def test_actions_need_if_match_and_an_etag_taken_before_a_change_is_412(client, admin, walk):
    case = walk(CaseStatus.open)
    case_url = f"/api/v1/cases/{case['id']}"
    url = f"{case_url}/actions/cancel"
    missing = client.post(url, json={"reason": "x"}, headers=admin.headers)
    assert missing.status_code == 428
    before = client.get(case_url, headers=admin.headers).headers["ETag"]
    # A change that leaves the case open (cancel still allowed): only its version moves.
    changed = client.post(
        f"{case_url}/assignment",
        json={"priority": "urgent"},
        headers={**admin.headers, "If-Match": before},
    )
    assert changed.status_code == 200, changed.get_json()
    stale = client.post(url, json={"reason": "x"}, headers={**admin.headers, "If-Match": before})
    assert stale.status_code == 412
    current = client.get(case_url, headers=admin.headers)
    assert current.get_json()["status"] == "open"
    assert current.headers["ETag"] not in (before, None)
    fresh = client.post(
        url, json={"reason": "x"}, headers={**admin.headers, "If-Match": current.headers["ETag"]}
    )
    assert fresh.status_code == 200


def test_a_storefront_may_cancel_only_before_receipt(client, tenant, admin, walk, act):
    open_case = walk(CaseStatus.open)
    assert (
        act(open_case["id"], "cancel", {"reason": "Changed mind"}, tenant.headers).status_code
        == 200
    )
    received = walk(CaseStatus.received)
    response = act(received["id"], "cancel", {"reason": "Changed mind"}, tenant.headers)
    assert response.status_code == 409
    assert "only before the item is received" in response.get_json()["message"]
    by_staff = act(received["id"], "cancel", {"reason": "Customer asked the desk"}, admin.headers)
    assert by_staff.get_json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("receive", CaseStatus.open),
        ("diagnose", CaseStatus.received),
        ("send_quote", CaseStatus.diagnosing),
        ("ship", CaseStatus.ready_to_ship),
        ("close", CaseStatus.delivered),
        ("reopen", CaseStatus.closed),
    ],
)
def test_a_storefront_may_not_do_staff_work(client, tenant, admin, walk, act, action, status):
    case = walk(status)
    # The case is where staff may do it: only the role rule can refuse the storefront.
    as_staff = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()
    assert action in as_staff["allowed_actions"]
    before = timeline(client, case, admin.headers)
    response = act(case["id"], action, body_for(action, case, str(uuid.uuid4())), tenant.headers)
    assert response.status_code == 403, response.get_json()
    assert response.get_json()["message"] == f"A storefront may not {action}."
    assert timeline(client, case, admin.headers) == before


@pytest.mark.parametrize("path", ["assignment", "contacts"])
def test_staff_only_routes_refuse_a_storefront_with_403(client, tenant, walk, path):
    case = walk(CaseStatus.open)
    response = client.post(
        f"/api/v1/cases/{case['id']}/{path}",
        json={"priority": "urgent"}
        if path == "assignment"
        else {"direction": "in", "channel": "phone", "summary": "Called"},
        headers={**tenant.headers, "If-Match": "*"},
    )
    assert response.status_code == 403
    assert response.get_json()["message"] == "Only service staff may do this."


def test_the_case_lists_the_actions_each_caller_may_take(client, tenant, admin, walk):
    case = walk(CaseStatus.quote_pending)
    as_storefront = client.get(f"/api/v1/cases/{case['id']}", headers=tenant.headers).get_json()
    as_admin = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()
    assert as_storefront["allowed_actions"] == ["approve_quote", "decline_quote"]
    assert as_admin["allowed_actions"] == ["send_quote", "approve_quote", "decline_quote", "cancel"]


def test_roles_limit_what_staff_may_do(create_staff, walk, act):
    agent = create_staff("agent")
    technician = create_staff("technician")
    case = walk(CaseStatus.received)
    refused = act(case["id"], "diagnose", {"technician_id": str(agent.user.id)}, agent.headers)
    assert refused.status_code == 422  # an agent cannot be the diagnosing technician
    quoted = walk(CaseStatus.diagnosing)
    response = act(quoted["id"], "send_quote", body_for("send_quote", quoted, ""), agent.headers)
    assert response.status_code == 403
    response = act(
        quoted["id"], "send_quote", body_for("send_quote", quoted, ""), technician.headers
    )
    assert response.status_code == 200
    closed = walk(CaseStatus.closed)
    assert act(closed["id"], "reopen", {"reason": "x"}, agent.headers).status_code == 403


def test_receipt_registers_every_item_with_condition_and_who_took_it_in(client, admin, walk, act):
    case = walk(
        CaseStatus.open,
        items=[
            {"sku": "A", "name": "Phone", "purchase_date": "2026-09-01"},
            {"sku": "B", "name": "Case", "purchase_date": "2026-09-01"},
        ],
    )
    first, second = case["items"]
    missing = act(
        case["id"],
        "receive",
        {"items": [{"item_id": first["id"], "condition": "damaged"}]},
        admin.headers,
    )
    assert missing.status_code == 422
    assert "items" in missing.get_json()["errors"]["json"]
    foreign = act(
        case["id"],
        "receive",
        {"items": [{"item_id": str(uuid.uuid4()), "condition": "damaged"}]},
        admin.headers,
    )
    assert foreign.get_json()["errors"]["json"]["items"]["0"]["item_id"]
    received = act(
        case["id"],
        "receive",
        {
            "items": [
                {
                    "item_id": first["id"],
                    "condition": "damaged",
                    "accessories": ["charger", "box"],
                    "serial_number_seen": "SN-1",
                    "notes": "Cracked corner",
                },
                {"item_id": second["id"], "condition": "as_described"},
            ]
        },
        admin.headers,
    ).get_json()
    receipt = received["items"][0]["receipt"]
    assert receipt["condition"] == "damaged"
    assert receipt["accessories"] == ["charger", "box"]
    assert receipt["serial_number_seen"] == "SN-1"
    assert receipt["received_by_name"] == "Ada Admin"
    assert received["items"][1]["receipt"]["condition"] == "as_described"


def test_a_staff_transition_is_the_first_response(client, tenant, admin, walk, act):
    case = walk(CaseStatus.open)
    assert case["first_responded_at"] is None
    act(case["id"], "request_item", {"shipping_instructions": "Post it"}, admin.headers)
    answered = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()
    assert answered["first_responded_at"] is not None


def test_the_contact_log_records_calls_and_outbound_ones_answer_the_case(
    client, tenant, admin, walk
):
    case = walk(CaseStatus.open)
    url = f"/api/v1/cases/{case['id']}/contacts"
    inbound = client.post(
        url,
        json={"direction": "in", "channel": "phone", "summary": "Asked about status"},
        headers=admin.headers,
    )
    assert inbound.status_code == 201
    assert (
        client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()[
            "first_responded_at"
        ]
        is None
    )
    outbound = client.post(
        url,
        json={
            "direction": "out",
            "channel": "phone",
            "summary": "Called back",
            "outcome": "Will send item",
        },
        headers=admin.headers,
    )
    assert outbound.status_code == 201
    assert client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()[
        "first_responded_at"
    ]
    log = client.get(url, headers=admin.headers).get_json()
    assert [(c["direction"], c["summary"], c["staff_name"]) for c in log] == [
        ("in", "Asked about status", "Ada Admin"),
        ("out", "Called back", "Ada Admin"),
    ]
    assert (
        client.post(
            url,
            json={"direction": "in", "channel": "phone", "summary": "x"},
            headers=tenant.headers,
        ).status_code
        == 403
    )
    assert client.get(url, headers=tenant.headers).status_code == 403
    bad = client.post(
        url, json={"direction": "sideways", "channel": "fax", "summary": ""}, headers=admin.headers
    )
    assert set(bad.get_json()["errors"]["json"]) == {"direction", "channel", "summary"}
    hidden = client.get(f"/api/v1/cases/{case['id']}/timeline", headers=tenant.headers).get_json()
    assert "contact" not in [event["action"] for event in hidden]


def test_dispatch_assigns_prioritises_and_escalates(client, tenant, admin, technician, walk):
    case = walk(CaseStatus.open)
    url = f"/api/v1/cases/{case['id']}/assignment"
    etag = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).headers["ETag"]
    response = client.post(
        url,
        json={"assignee_id": str(technician.user.id), "priority": "urgent", "escalated": True},
        headers={**admin.headers, "If-Match": etag},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["assignee"] == {
        "id": str(technician.user.id),
        "name": "Tom Tech",
        "role": "technician",
    }
    assert (body["priority"], body["escalated"], body["status"]) == ("urgent", True, "open")
    assert body["first_responded_at"] is None
    nobody = client.post(
        url,
        json={"assignee_id": str(uuid.uuid4())},
        headers={**admin.headers, "If-Match": response.headers["ETag"]},
    )
    assert nobody.status_code == 422
    assert "assignee_id" in nobody.get_json()["errors"]["json"]
    storefront = client.post(
        url, json={"escalated": False}, headers={**tenant.headers, "If-Match": "*"}
    )
    assert storefront.status_code == 403


def test_resolution_is_archived_in_the_customers_history(client, tenant, admin, walk, act):
    repairing = walk(CaseStatus.repairing)
    case = act(
        repairing["id"], "finish_repair", body_for("finish_repair", repairing, ""), admin.headers
    )
    case = case.get_json()
    history = client.get(
        f"/api/v1/customers/{case['customer']['id']}/cases", headers=tenant.headers
    ).get_json()
    archived = history["items"][0]["resolution"]
    assert archived == {
        "problem_found": "Loose cable",
        "cause": "Drop",
        "fix": "Reseated",
        "refund_amount_minor": None,
        "refund_currency": None,
    }
    refunded = walk(CaseStatus.refunded, CaseKind.return_)
    assert refunded["resolution"]["refund_amount_minor"] == 129900
    assert refunded["resolution"]["refund_currency"] == "CNY"
    resolved = walk(CaseStatus.resolved, CaseKind.complaint)
    assert resolved["resolution"]["fix"] == "Explained the settings."


def test_staff_bound_to_one_storefront_see_only_its_cases(
    client, create_staff, create_tenant, walk
):
    other = create_tenant("Elsewhere")
    bound = create_staff("agent", storefront=other.storefront)
    case = walk(CaseStatus.open)
    assert client.get(f"/api/v1/cases/{case['id']}", headers=bound.headers).status_code == 404
    assert client.get("/api/v1/cases", headers=bound.headers).get_json()["items"] == []


def test_staff_open_cases_for_a_named_storefront(client, tenant, admin):
    from tests.conftest import case_payload

    missing = client.post(
        "/api/v1/cases", json=case_payload(channel="phone"), headers=admin.headers
    )
    assert missing.status_code == 422
    assert "storefront_id" in missing.get_json()["errors"]["json"]
    response = client.post(
        "/api/v1/cases",
        json=case_payload(channel="phone", storefront_id=str(tenant.storefront.id)),
        headers=admin.headers,
    )
    assert response.status_code == 201
    assert response.get_json()["number"].startswith("MS-")
    storefront_says = client.post(
        "/api/v1/cases",
        json=case_payload(storefront_id=str(tenant.storefront.id)),
        headers=tenant.headers,
    )
    assert storefront_says.status_code == 422


def test_delivery_by_the_storefront_marks_the_shipment_delivered(client, tenant, walk, act):
    case = walk(CaseStatus.shipped)
    delivered = act(case["id"], "deliver", {}, tenant.headers)
    assert delivered.status_code == 200
    shipment = delivered.get_json()["shipments"][-1]
    assert shipment["direction"] == "outbound"
    assert shipment["delivered_at"] is not None


def test_warranty_repair_needs_no_quote_but_an_expired_warranty_does(admin, walk, act):
    covered = walk(CaseStatus.diagnosing)
    assert "start_repair" in covered["allowed_actions"]
    expired = walk(
        CaseStatus.diagnosing, items=[{"sku": "A", "name": "Old", "purchase_date": "2019-01-01"}]
    )
    assert "start_repair" not in expired["allowed_actions"]
    response = act(expired["id"], "start_repair", {}, admin.headers)
    assert response.status_code == 409
    assert "send a quote" in response.get_json()["message"]


@pytest.mark.parametrize(("action", "status"), [("cancel", "open"), ("reopen", "closed")])
def test_cancel_and_reopen_need_a_reason(client, admin, walk, act, action, status):
    case = walk(CaseStatus(status))
    before = timeline(client, case, admin.headers)
    for body in ({}, {"reason": ""}):
        response = act(case["id"], action, body, admin.headers)
        assert response.status_code == 422, body
        assert list(response.get_json()["errors"]["json"]) == ["reason"]
    assert timeline(client, case, admin.headers) == before
    done = act(case["id"], action, {"reason": "Customer asked"}, admin.headers)
    assert done.status_code == 200
    last = timeline(client, case, admin.headers)[-1]
    assert (last["action"], last["from_status"]) == (action, status)
    assert last["data"] == {"reason": "Customer asked"}


def test_an_unknown_action_is_404(client, admin, walk):
    case = walk(CaseStatus.open)
    response = client.post(
        f"/api/v1/cases/{case['id']}/actions/teleport",
        json={},
        headers={**admin.headers, "If-Match": "*"},
    )
    assert response.status_code == 404


def test_the_first_response_deadline_is_not_moved_by_actions(client, admin, walk, db_session):
    case = walk(CaseStatus.received)
    stored = db_session.get(Case, uuid.UUID(case["id"]))
    created = stored.created_at
    assert stored.first_response_due_at - created == timedelta(hours=24)
    assert stored.first_responded_at <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("body", "carrier_code", "carrier_name"),
    [
        ({"tracking_number": "SF1385628716739"}, "sf_express", "SF Express"),
        ({"tracking_number": "1z5r 8939 0357 5671 27"}, "ups", "UPS"),
        (
            {"tracking_number": "ZX123456789", "carrier_name": "Local Courier"},
            None,
            "Local Courier",
        ),
    ],
    ids=["sf-express-detected", "ups-normalised", "unknown-named"],
)
def test_shipping_detects_and_validates_the_carrier(
    admin, walk, act, body, carrier_code, carrier_name
):
    case = walk(CaseStatus.ready_to_ship)
    shipped = act(case["id"], "ship", body, admin.headers)
    assert shipped.status_code == 200, shipped.get_json()
    shipment = shipped.get_json()["shipments"][-1]
    assert (shipment["direction"], shipment["carrier_code"]) == ("outbound", carrier_code)
    assert shipment["carrier_name"].startswith(carrier_name)
    assert (shipment["tracking_url"] is None) == (carrier_code is None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tracking_number": "1Z1111111111111111", "carrier": "ups"}, "tracking_number"),
        ({"tracking_number": "ZX123456789"}, "carrier"),
        ({"tracking_number": "SF1385628716739", "carrier": "pigeon"}, "carrier"),
        ({"tracking_number": "12"}, "tracking_number"),
        ({}, "tracking_number"),
    ],
    ids=["bad-check-digit", "unknown-without-name", "unknown-code", "too-short", "missing"],
)
def test_shipping_without_a_valid_tracking_number_is_rejected(
    client, admin, walk, act, body, field
):
    case = walk(CaseStatus.ready_to_ship)
    response = act(case["id"], "ship", body, admin.headers)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    after = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()
    assert after["status"] == "ready_to_ship" and after["shipments"] == []


def test_the_customers_inbound_shipment_is_tracked_without_a_status_change(client, tenant, walk):
    case = walk(CaseStatus.awaiting_item)
    url = f"/api/v1/cases/{case['id']}/shipments"
    response = client.post(url, json={"tracking_number": "SF1385628716739"}, headers=tenant.headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["direction"] == "inbound"
    assert response.get_json()["carrier_code"] == "sf_express"
    listed = client.get(url, headers=tenant.headers).get_json()
    assert [s["tracking_number"] for s in listed] == ["SF1385628716739"]
    assert (
        client.get(f"/api/v1/cases/{case['id']}", headers=tenant.headers).get_json()["status"]
        == "awaiting_item"
    )
    received = walk(CaseStatus.received)
    late = client.post(
        f"/api/v1/cases/{received['id']}/shipments",
        json={"tracking_number": "SF1385628716739"},
        headers=tenant.headers,
    )
    assert late.status_code == 409


def test_a_reopened_case_can_be_received_again(admin, walk, act):
    closed = walk(CaseStatus.closed)
    reopened = act(closed["id"], "reopen", {"reason": "Fault is back"}, admin.headers).get_json()
    assert reopened["status"] == "open"
    items = [{"item_id": item["id"], "condition": "damaged"} for item in reopened["items"]]
    received = act(closed["id"], "receive", {"items": items}, admin.headers)
    assert received.status_code == 200, received.get_json()
    assert received.get_json()["items"][0]["receipt"]["condition"] == "damaged"


def test_an_etag_is_for_one_case_only(client, admin, walk):
    first, second = walk(CaseStatus.open), walk(CaseStatus.open)
    assert first["version"] == second["version"]
    etag = client.get(f"/api/v1/cases/{first['id']}", headers=admin.headers).headers["ETag"]
    response = client.post(
        f"/api/v1/cases/{second['id']}/actions/cancel",
        json={"reason": "x"},
        headers={**admin.headers, "If-Match": etag},
    )
    assert response.status_code == 412


def test_a_case_number_is_found_whatever_its_case_and_spacing(client, tenant, open_case):
    case = open_case()
    assert case["number"] == "MS-000001"
    for ref in ("MS-000001", "ms-000001", " Ms-000001 "):
        response = client.get(f"/api/v1/cases/{ref}", headers=tenant.headers)
        assert response.status_code == 200, ref
        assert response.get_json()["id"] == case["id"]
