"""`PATCH /api/v1/cases/{id}`: details change with If-Match, items only before receipt,
refusals name the field and write nothing, each change is an `edit` timeline event."""

from __future__ import annotations

from service.cases.models import CaseStatus
from tests.conftest import case_payload

NEW_ITEMS = [
    {"sku": "PHN-2", "name": "Phone 2", "purchase_date": "2026-10-01", "quantity": 2},
    {"sku": "CBL-1", "name": "Cable", "purchase_date": "2026-10-01"},
]


def test_a_create_answers_location_and_the_etag_a_patch_can_use_at_once(client, tenant):
    created = client.post("/api/v1/cases", json=case_payload(), headers=tenant.headers)
    case = created.get_json()
    assert created.headers["Location"] == f"/api/v1/cases/{case['id']}"
    read = client.get(created.headers["Location"], headers=tenant.headers)
    assert read.headers["ETag"] == created.headers["ETag"]
    changed = client.patch(
        f"/api/v1/cases/{case['id']}",
        json={"order_reference": "ORD-2002", "priority": "high", "description": "Dead pixels."},
        headers={**tenant.headers, "If-Match": created.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert (body["order_reference"], body["priority"], body["description"]) == (
        "ORD-2002",
        "high",
        "Dead pixels.",
    )
    assert changed.headers["ETag"] != created.headers["ETag"]
    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline", headers=tenant.headers)
    edit = timeline.get_json()[-1]
    assert edit["action"] == "edit" and edit["to_status"] == "open"
    assert edit["data"]["order_reference"] == {"from": "ORD-1001", "to": "ORD-2002"}
    assert edit["data"]["priority"] == {"from": "normal", "to": "high"}


def test_an_idempotent_replay_of_a_create_carries_the_same_location_and_etag(client, tenant):
    headers = {**tenant.headers, "Idempotency-Key": "create-once"}
    first = client.post("/api/v1/cases", json=case_payload(), headers=headers)
    again = client.post("/api/v1/cases", json=case_payload(), headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (again.headers["Location"], again.headers["ETag"]) == (
        first.headers["Location"],
        first.headers["ETag"],
    )


def test_items_are_replaced_before_receipt_with_eligibility_decided_again(client, tenant, walk):
    case = walk(CaseStatus.awaiting_item)
    etag = client.get(f"/api/v1/cases/{case['id']}", headers=tenant.headers).headers["ETag"]
    changed = client.patch(
        f"/api/v1/cases/{case['id']}",
        json={"items": NEW_ITEMS},
        headers={**tenant.headers, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.get_json()
    items = changed.get_json()["items"]
    assert [(i["sku"], i["quantity"]) for i in items] == [("PHN-2", 2), ("CBL-1", 1)]
    assert all(i["warranty"]["covered"] for i in items)


def test_items_after_receipt_are_refused_naming_the_field_and_nothing_changes(client, admin, walk):
    case = walk(CaseStatus.received)
    path = f"/api/v1/cases/{case['id']}"
    before = client.get(path, headers=admin.headers)
    refused = client.patch(
        path,
        json={"items": NEW_ITEMS, "priority": "urgent"},
        headers={**admin.headers, "If-Match": before.headers["ETag"]},
    )
    assert refused.status_code == 409
    body = refused.get_json()
    assert "items" in body["errors"]["json"] and body["current_status"] == "received"
    after = client.get(path, headers=admin.headers)
    assert after.headers["ETag"] == before.headers["ETag"]
    assert after.get_json()["priority"] == before.get_json()["priority"]
    # The other details still change after receipt.
    fine = client.patch(
        path,
        json={"priority": "urgent"},
        headers={**admin.headers, "If-Match": before.headers["ETag"]},
    )
    assert fine.status_code == 200 and fine.get_json()["priority"] == "urgent"


def test_a_patch_needs_if_match_and_a_current_one(client, tenant, open_case):
    case = open_case()
    path = f"/api/v1/cases/{case['id']}"
    missing = client.patch(path, json={"priority": "high"}, headers=tenant.headers)
    assert missing.status_code == 428
    stale = client.patch(
        path, json={"priority": "high"}, headers={**tenant.headers, "If-Match": '"stale"'}
    )
    assert stale.status_code == 412


def test_bad_patches_name_the_field_and_write_nothing(client, tenant, open_case):
    case = open_case()
    path = f"/api/v1/cases/{case['id']}"
    etag = client.get(path, headers=tenant.headers).headers["ETag"]
    for body, field in (
        ({"priority": "whenever"}, "priority"),
        ({"description": ""}, "description"),
        ({"items": []}, "items"),
        ({"status": "closed"}, "status"),
    ):
        answer = client.patch(path, json=body, headers={**tenant.headers, "If-Match": etag})
        assert answer.status_code in (409, 422), (body, answer.get_json())
        assert field in answer.get_json()["errors"]["json"], (body, answer.get_json())
    assert client.get(path, headers=tenant.headers).headers["ETag"] == etag


def test_another_storefronts_case_is_404(client, other_tenant, open_case):
    case = open_case()
    answer = client.patch(
        f"/api/v1/cases/{case['id']}",
        json={"priority": "high"},
        headers={**other_tenant.headers, "If-Match": '"x"'},
    )
    assert answer.status_code == 404
