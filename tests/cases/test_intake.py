from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.conftest import case_payload


def test_opening_a_case_returns_its_number_customer_items_and_eligibility(client, tenant):
    response = client.post("/api/v1/cases", json=case_payload(), headers=tenant.headers)

    assert response.status_code == 201
    case = response.get_json()
    assert case["number"] == "MS-000001"
    assert case["status"] == "open"
    assert case["kind"] == "repair"
    assert case["channel"] == "web"
    assert case["priority"] == "normal"
    assert case["customer"]["email"] == "li.wei@example.com"
    assert case["customer"]["phone"] == "+8613800138000"
    assert case["customer"]["locale"] == "zh-CN"
    item = case["items"][0]
    assert item["warranty"]["covered"] is True
    assert item["warranty"]["until"] == "2027-09-01"
    assert "free of charge" in item["warranty"]["explanation"]
    assert case["eligibility"]["eligible"] is True
    created = datetime.fromisoformat(case["created_at"])
    due = datetime.fromisoformat(case["first_response_due_at"])
    assert due - created == timedelta(hours=24)
    assert case["first_response_overdue"] is False


def test_case_numbers_count_up_per_storefront(open_case, other_tenant):
    assert open_case()["number"] == "MS-000001"
    assert open_case()["number"] == "MS-000002"
    assert open_case(as_tenant=other_tenant)["number"] == "OS-000001"


def test_warranty_override_and_return_window_are_explained(open_case):
    old = (datetime.now(UTC).date() - timedelta(days=400)).isoformat()
    recent = (datetime.now(UTC).date() - timedelta(days=3)).isoformat()
    case = open_case(
        kind="return",
        items=[
            {"sku": "A", "name": "Old", "purchase_date": old, "warranty_months": 24},
            {"sku": "B", "name": "Recent", "purchase_date": recent, "quantity": 2},
        ],
    )
    old_item, recent_item = case["items"]
    until = date.fromisoformat(old).replace(year=date.fromisoformat(old).year + 2).isoformat()
    assert old_item["warranty"] == {
        "covered": True,
        "months": 24,
        "until": until,
        "explanation": (
            f"In warranty until {until} (24 months from purchase on {old}): "
            "repairs are free of charge."
        ),
    }
    assert old_item["return_window"]["eligible"] is False
    assert "Outside the 7-day return window" in old_item["return_window"]["explanation"]
    assert recent_item["return_window"]["eligible"] is True
    assert recent_item["quantity"] == 2
    assert case["eligibility"]["eligible"] is False
    assert "outside their return window" in case["eligibility"]["explanation"]


def test_out_of_warranty_repair_is_quoted(open_case):
    case = open_case(items=[{"sku": "A", "name": "Old", "purchase_date": "2020-01-31"}])
    assert case["items"][0]["warranty"]["covered"] is False
    assert "quoted" in case["eligibility"]["explanation"]


def test_complaint_needs_no_items(open_case):
    case = open_case(kind="complaint", items=[])
    assert case["items"] == []
    assert case["kind"] == "complaint"


def test_storefront_settings_shape_warranty_and_first_response(client, create_tenant):
    shop = create_tenant(warranty_months=6, first_response_hours=4, case_prefix="SX")
    response = client.post("/api/v1/cases", json=case_payload(), headers=shop.headers)
    case = response.get_json()
    assert case["number"] == "SX-000001"
    assert case["items"][0]["warranty"]["months"] == 6
    created = datetime.fromisoformat(case["created_at"])
    assert datetime.fromisoformat(case["first_response_due_at"]) - created == timedelta(hours=4)


def test_a_case_is_read_by_id_or_number_with_an_etag(client, tenant, open_case):
    case = open_case()
    by_id = client.get(f"/api/v1/cases/{case['id']}", headers=tenant.headers)
    by_number = client.get(f"/api/v1/cases/{case['number'].lower()}", headers=tenant.headers)
    assert by_id.status_code == by_number.status_code == 200
    assert by_id.get_json() == by_number.get_json() == case
    etag = by_id.headers["ETag"]
    not_modified = client.get(
        f"/api/v1/cases/{case['id']}", headers={**tenant.headers, "If-None-Match": etag}
    )
    assert not_modified.status_code == 304


def test_an_unknown_case_is_404(client, tenant):
    response = client.get("/api/v1/cases/MS-999999", headers=tenant.headers)
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_the_same_customer_is_reused_and_updated(open_case, client, tenant):
    first = open_case()
    second = open_case(
        customer={**case_payload()["customer"], "name": "Li Wei (new)", "email": "wei@example.com"}
    )
    assert first["customer"]["id"] == second["customer"]["id"]
    assert second["customer"]["name"] == "Li Wei (new)"
    assert second["customer"]["email"] == "wei@example.com"
    by_email = open_case(customer={"name": "Anon", "email": "WEI@example.com"})
    assert by_email["customer"]["id"] == first["customer"]["id"]


def test_the_list_is_newest_first_and_pages_by_cursor(client, tenant, open_case):
    numbers = [open_case()["number"] for _ in range(5)]
    seen = []
    cursor = None
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/cases", query_string=query, headers=tenant.headers).get_json()
        seen += [case["number"] for case in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(numbers))


def test_the_list_filters(client, tenant, open_case):
    repair = open_case()
    complaint = open_case(kind="complaint", items=[], order_reference="ORD-2")
    other_customer = open_case(customer={"name": "Bob", "email": "bob@example.com"})

    def numbers(**query):
        response = client.get("/api/v1/cases", query_string=query, headers=tenant.headers)
        assert response.status_code == 200, response.get_json()
        return {case["number"] for case in response.get_json()["items"]}

    assert numbers(kind="complaint") == {complaint["number"]}
    assert numbers(kind=["complaint", "repair"]) == {
        repair["number"],
        complaint["number"],
        other_customer["number"],
    }
    assert numbers(order_reference="ORD-2") == {complaint["number"]}
    assert numbers(customer_id=other_customer["customer"]["id"]) == {other_customer["number"]}
    assert numbers(status="open") == {
        repair["number"],
        complaint["number"],
        other_customer["number"],
    }
    assert numbers(status="closed") == set()
    assert numbers(overdue="true") == set()
    assert len(numbers(overdue="false")) == 3
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert numbers(created_after=future) == set()
    assert len(numbers(created_before=future)) == 3


def test_overdue_lists_cases_past_their_first_response_time(client, tenant, open_case, db_session):
    from service.cases.models import Case

    late = open_case()
    open_case()
    case = db_session.get(Case, __import__("uuid").UUID(late["id"]))
    case.first_response_due_at = datetime.now(UTC) - timedelta(minutes=1)
    db_session.commit()
    page = client.get(
        "/api/v1/cases", query_string={"overdue": "true"}, headers=tenant.headers
    ).get_json()
    assert [c["number"] for c in page["items"]] == [late["number"]]
    # The list's summary names the clock due next; the whole case has every clock.
    assert page["items"][0]["next_due"]["clock"] == "first_response"
    assert page["items"][0]["next_due"]["overdue"] is True


def test_a_repeated_create_with_the_same_idempotency_key_creates_once(client, tenant):
    headers = {**tenant.headers, "Idempotency-Key": "order-1001-rma"}
    first = client.post("/api/v1/cases", json=case_payload(), headers=headers)
    again = client.post("/api/v1/cases", json=case_payload(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    # The replay answers with the first response's headers that matter to a client.
    case = first.get_json()
    assert first.headers["Location"].endswith(f"/api/v1/cases/{case['id']}")
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    listed = client.get("/api/v1/cases", headers=tenant.headers).get_json()["items"]
    assert len(listed) == 1


def test_an_idempotency_key_reused_for_another_body_is_rejected(client, tenant):
    headers = {**tenant.headers, "Idempotency-Key": "k1"}
    client.post("/api/v1/cases", json=case_payload(), headers=headers)
    response = client.post("/api/v1/cases", json=case_payload(description="other"), headers=headers)
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "This Idempotency-Key was used for a different request."
    assert body["errors"] == {
        "headers": {"Idempotency-Key": ["Already used for a different request."]}
    }
    assert len(client.get("/api/v1/cases", headers=tenant.headers).get_json()["items"]) == 1


def test_a_second_key_of_the_same_storefront_is_a_new_request(client, tenant):
    first = client.post(
        "/api/v1/cases", json=case_payload(), headers={**tenant.headers, "Idempotency-Key": "a"}
    )
    second = client.post(
        "/api/v1/cases",
        json=case_payload(order_reference="ORD-2"),
        headers={**tenant.headers, "Idempotency-Key": "b"},
    )
    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in second.headers
    assert (first.get_json()["number"], second.get_json()["number"]) == ("MS-000001", "MS-000002")


def test_idempotency_keys_are_per_storefront(client, tenant, other_tenant):
    body = case_payload()
    first = client.post(
        "/api/v1/cases", json=body, headers={**tenant.headers, "Idempotency-Key": "same"}
    )
    second = client.post(
        "/api/v1/cases", json=body, headers={**other_tenant.headers, "Idempotency-Key": "same"}
    )
    assert second.status_code == 201
    assert second.get_json()["id"] != first.get_json()["id"]


def test_a_customers_history_lists_their_cases(client, tenant, open_case):
    first = open_case()
    second = open_case(kind="inquiry", items=[])
    open_case(customer={"name": "Bob", "email": "bob@example.com"})
    customer_id = first["customer"]["id"]
    history = client.get(
        f"/api/v1/customers/{customer_id}/cases", headers=tenant.headers
    ).get_json()
    assert [case["number"] for case in history["items"]] == [second["number"], first["number"]]
    customer = client.get(f"/api/v1/customers/{customer_id}", headers=tenant.headers)
    assert customer.status_code == 200
    assert customer.get_json()["external_id"] == "cust-1"
    listed = client.get(
        "/api/v1/customers", query_string={"email": "BOB@example.com"}, headers=tenant.headers
    )
    assert [c["name"] for c in listed.get_json()["items"]] == ["Bob"]
