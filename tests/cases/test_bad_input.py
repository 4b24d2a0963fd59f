"""Every bad input gets a 4xx naming the field, and nothing is written."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from service.cases.models import Case, CaseItem
from service.core.idempotency import IdempotencyKey
from service.customers.models import Customer
from tests.conftest import case_payload


def _customer(**changes):
    return {**case_payload()["customer"], **changes}


def _item(**changes):
    return {**case_payload()["items"][0], **changes}


def _without(mapping, key):
    return {k: v for k, v in mapping.items() if k != key}


TOMORROW_PLUS = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()

# (description, body, expected status, path of the field named in `errors`)
BAD_BODIES = [
    ("missing kind", _without(case_payload(), "kind"), 422, ["json", "kind"]),
    ("missing customer", _without(case_payload(), "customer"), 422, ["json", "customer"]),
    ("missing description", _without(case_payload(), "description"), 422, ["json", "description"]),
    ("empty description", case_payload(description=""), 422, ["json", "description"]),
    (
        "missing customer name",
        case_payload(customer=_without(_customer(), "name")),
        422,
        ["json", "customer", "name"],
    ),
    ("description not a string", case_payload(description=42), 422, ["json", "description"]),
    ("items not a list", case_payload(items={"sku": "x"}), 422, ["json", "items"]),
    (
        "quantity not an integer",
        case_payload(items=[_item(quantity="two")]),
        422,
        ["json", "items", "0", "quantity"],
    ),
    (
        "quantity a float",
        case_payload(items=[_item(quantity=1.5)]),
        422,
        ["json", "items", "0", "quantity"],
    ),
    (
        "quantity zero",
        case_payload(items=[_item(quantity=0)]),
        422,
        ["json", "items", "0", "quantity"],
    ),
    (
        "bad phone",
        case_payload(customer=_customer(phone="12345")),
        422,
        ["json", "customer", "phone"],
    ),
    (
        "phone letters",
        case_payload(customer=_customer(phone="call me")),
        422,
        ["json", "customer", "phone"],
    ),
    (
        "bad email",
        case_payload(customer=_customer(email="not-an-email")),
        422,
        ["json", "customer", "email"],
    ),
    ("no way to reach", case_payload(customer={"name": "X"}), 422, ["json", "customer", "email"]),
    (
        "bad time zone",
        case_payload(customer=_customer(time_zone="Mars/Base")),
        422,
        ["json", "customer", "time_zone"],
    ),
    (
        "unknown locale",
        case_payload(customer=_customer(locale="fr")),
        422,
        ["json", "customer", "locale"],
    ),
    ("unknown kind", case_payload(kind="upgrade"), 422, ["json", "kind"]),
    ("unknown channel", case_payload(channel="pigeon"), 422, ["json", "channel"]),
    ("unknown priority", case_payload(priority="asap"), 422, ["json", "priority"]),
    ("empty items for a repair", case_payload(items=[]), 422, ["json", "items"]),
    (
        "no items for a return",
        _without(case_payload(kind="return"), "items"),
        422,
        ["json", "items"],
    ),
    (
        "future purchase date",
        case_payload(items=[_item(purchase_date=TOMORROW_PLUS)]),
        422,
        ["json", "items", "0", "purchase_date"],
    ),
    (
        "malformed purchase date",
        case_payload(items=[_item(purchase_date="01/02/2026")]),
        422,
        ["json", "items", "0", "purchase_date"],
    ),
    (
        "item without sku",
        case_payload(items=[_without(_item(), "sku")]),
        422,
        ["json", "items", "0", "sku"],
    ),
    (
        "warranty override negative",
        case_payload(items=[_item(warranty_months=-1)]),
        422,
        ["json", "items", "0", "warranty_months"],
    ),
    ("unknown top-level field", case_payload(colour="red"), 422, ["json", "colour"]),
    (
        "unknown customer field",
        case_payload(customer=_customer(vip=True)),
        422,
        ["json", "customer", "vip"],
    ),
    (
        "unknown item field",
        case_payload(items=[_item(price=10)]),
        422,
        ["json", "items", "0", "price"],
    ),
    ("status cannot be set", case_payload(status="closed"), 422, ["json", "status"]),
    ("too many items", case_payload(items=[_item()] * 51), 422, ["json", "items"]),
    (
        "overlong order reference",
        case_payload(order_reference="x" * 129),
        422,
        ["json", "order_reference"],
    ),
    ("body is a list", [case_payload()], 422, ["json"]),
]


def _written(db_session) -> tuple[int, ...]:
    return tuple(
        db_session.scalar(select(func.count()).select_from(model))
        for model in (Case, CaseItem, Customer, IdempotencyKey)
    )


def _assert_names(body: dict, path: list[str]) -> None:
    node = body["errors"]
    for key in path:
        assert isinstance(node, dict) and key in node, f"{key!r} not in {node!r}"
        node = node[key]


@pytest.mark.parametrize(
    ("description", "body", "status", "path"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES]
)
def test_bad_case_input_is_rejected_naming_the_field_and_nothing_is_written(
    client, tenant, db_session, description, body, status, path
):
    before = _written(db_session)
    headers = {**tenant.headers, "Idempotency-Key": f"bad-{description}"}
    response = client.post("/api/v1/cases", json=body, headers=headers)
    assert response.status_code == status, response.get_json()
    error = response.get_json()
    assert error["code"] == status
    assert error["status"]
    _assert_names(error, path)
    assert _written(db_session) == before


def test_malformed_json_is_400_and_nothing_is_written(client, tenant, db_session):
    before = _written(db_session)
    response = client.post(
        "/api/v1/cases",
        data='{"kind": "repair",',
        content_type="application/json",
        headers=tenant.headers,
    )
    assert response.status_code == 400
    assert response.get_json()["code"] == 400
    assert "json" in response.get_json()["errors"]
    assert _written(db_session) == before


def test_an_oversized_body_is_413_and_nothing_is_written(client, tenant, db_session, app):
    before = _written(db_session)
    limit = app.config["SETTINGS"].max_content_length
    body = json.dumps(case_payload(description="x" * (limit + 1)))
    response = client.post(
        "/api/v1/cases", data=body, content_type="application/json", headers=tenant.headers
    )
    assert response.status_code == 413
    assert response.get_json()["code"] == 413
    assert _written(db_session) == before


def test_a_body_that_is_not_json_is_rejected(client, tenant, db_session):
    before = _written(db_session)
    response = client.post("/api/v1/cases", data="kind=repair", headers=tenant.headers)
    # Refused as a body of the wrong type (415), not read as an empty one.
    assert response.status_code == 415
    assert "Content-Type" in response.get_json()["errors"]["headers"]
    assert _written(db_session) == before


def test_an_overlong_idempotency_key_is_rejected(client, tenant, db_session):
    before = _written(db_session)
    headers = {**tenant.headers, "Idempotency-Key": "k" * 256}
    response = client.post("/api/v1/cases", json=case_payload(), headers=headers)
    assert response.status_code == 400
    body = response.get_json()
    assert body["message"] == "Invalid Idempotency-Key header."
    assert body["errors"] == {
        "headers": {"Idempotency-Key": ["1 to 255 characters, none of them NUL."]}
    }
    assert _written(db_session) == before


def test_an_idempotency_key_of_exactly_255_characters_is_taken(client, tenant):
    headers = {**tenant.headers, "Idempotency-Key": "k" * 255}
    response = client.post("/api/v1/cases", json=case_payload(), headers=headers)
    assert response.status_code == 201, response.get_json()


BAD_QUERIES = [
    ({"limit": "0"}, ["query", "limit"]),
    ({"limit": "101"}, ["query", "limit"]),
    ({"limit": "ten"}, ["query", "limit"]),
    ({"cursor": "not-a-cursor"}, ["query", "cursor"]),
    ({"status": "lost"}, ["query", "status"]),
    ({"kind": "upgrade"}, ["query", "kind"]),
    ({"customer_id": "nope"}, ["query", "customer_id"]),
    ({"created_after": "yesterday"}, ["query", "created_after"]),
    ({"created_after": "2026-01-01T00:00:00"}, ["query", "created_after"]),
    ({"overdue": "maybe"}, ["query", "overdue"]),
    ({"colour": "red"}, ["query", "colour"]),
]


@pytest.mark.parametrize(("query", "path"), BAD_QUERIES, ids=[str(q[0]) for q in BAD_QUERIES])
def test_bad_list_queries_are_rejected_naming_the_parameter(client, tenant, query, path):
    response = client.get("/api/v1/cases", query_string=query, headers=tenant.headers)
    assert response.status_code == 422, response.get_json()
    _assert_names(response.get_json(), path)
