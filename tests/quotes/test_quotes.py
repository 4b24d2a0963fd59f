"""Quotes: exact integer money, server-side totals and tax, warranty lines at 0,
supersession, expiry, and who decided through what."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.cases.models import CaseKind, CaseStatus
from service.quotes.models import Quote
from service.quotes.pricing import price_line, tax_minor
from tests.cases.lifecycle_paths import body_for, path_to

VALID_UNTIL = (datetime.now(UTC) + timedelta(days=5)).isoformat()
OUT_OF_WARRANTY = {"sku": "TV-55", "name": "TV 55", "purchase_date": "2020-03-01"}
IN_WARRANTY = {"sku": "RC-1", "name": "Remote", "purchase_date": "2026-10-01"}


@pytest.fixture
def diagnosing(client, create_tenant, admin, technician, act):
    """A two-item repair case in diagnosis at a storefront charging 13 % tax."""
    from tests.conftest import case_payload

    shop = create_tenant("Taxed Shop", tax_rate_bp=1300, case_prefix="TX")
    opened = client.post(
        "/api/v1/cases",
        json=case_payload(items=[OUT_OF_WARRANTY, IN_WARRANTY]),
        headers=shop.headers,
    ).get_json()
    case = client.get(f"/api/v1/cases/{opened['id']}", headers=admin.headers).get_json()
    for action in path_to(CaseKind.repair, CaseStatus.diagnosing):
        case = act(
            case["id"], action, body_for(action, case, str(technician.user.id)), admin.headers
        ).get_json()
    case["shop"] = shop
    return case


def _quote(case, *lines, valid_until=VALID_UNTIL, currency="CNY"):
    return {"currency": currency, "valid_until": valid_until, "lines": list(lines)}


def test_totals_and_tax_are_computed_exactly_and_warranty_lines_cost_nothing(
    diagnosing, admin, act
):
    tv, remote = diagnosing["items"]
    response = act(
        diagnosing["id"],
        "send_quote",
        _quote(
            diagnosing,
            {
                "kind": "part",
                "description": "Panel",
                "quantity": 1,
                "unit_price_minor": 129999,
                "item_id": tv["id"],
            },
            {
                "kind": "labour",
                "description": "Fit panel",
                "quantity": 3,
                "unit_price_minor": 3333,
                "item_id": tv["id"],
            },
            {
                "kind": "part",
                "description": "Buttons",
                "quantity": 2,
                "unit_price_minor": 1500,
                "item_id": remote["id"],
            },
            {"kind": "shipping", "description": "Return post", "unit_price_minor": 1200},
        ),
        admin.headers,
    )
    assert response.status_code == 200, response.get_json()
    quote = response.get_json()["current_quote"]
    assert [line["amount_minor"] for line in quote["lines"]] == [129999, 9999, 3000, 1200]
    assert [line["charged_minor"] for line in quote["lines"]] == [129999, 9999, 0, 1200]
    assert quote["lines"][2]["waived_reason"].startswith("In warranty until")
    assert quote["lines"][3]["item_id"] is None
    assert quote["subtotal_minor"] == 141198
    assert quote["tax_rate_bp"] == 1300
    assert quote["tax_minor"] == 18356  # 141198 * 0.13 = 18355.74 -> 18356
    assert quote["total_minor"] == 159554
    assert quote["status"] == "pending" and quote["revision"] == 1
    assert response.get_json()["status"] == "quote_pending"


def test_approval_records_who_and_through_what(diagnosing, admin, act):
    shop = diagnosing["shop"]
    line = {
        "kind": "part",
        "description": "Panel",
        "unit_price_minor": 5000,
        "item_id": diagnosing["items"][0]["id"],
    }
    quoted = act(diagnosing["id"], "send_quote", _quote(diagnosing, line), admin.headers).get_json()
    approved = act(
        diagnosing["id"], "approve_quote", {"quote_id": quoted["current_quote"]["id"]}, shop.headers
    )
    assert approved.status_code == 200, approved.get_json()
    quote = approved.get_json()["current_quote"]
    assert quote["status"] == "approved"
    assert quote["decided_via"] == "storefront"
    assert quote["decided_by_name"] == "Taxed Shop"
    assert approved.get_json()["status"] == "repairing"


def test_staff_record_a_decline_taken_on_the_phone(diagnosing, admin, act):
    line = {
        "kind": "part",
        "description": "Panel",
        "unit_price_minor": 5000,
        "item_id": diagnosing["items"][0]["id"],
    }
    act(diagnosing["id"], "send_quote", _quote(diagnosing, line), admin.headers)
    declined = act(
        diagnosing["id"], "decline_quote", {"note": "Too expensive"}, admin.headers
    ).get_json()
    assert declined["status"] == "ready_to_ship"
    assert declined["current_quote"]["status"] == "declined"
    assert declined["current_quote"]["decided_via"] == "staff_phone"
    assert declined["current_quote"]["decision_note"] == "Too expensive"


def test_an_expired_quote_cannot_be_approved(diagnosing, admin, act, db_session):
    line = {
        "kind": "part",
        "description": "Panel",
        "unit_price_minor": 5000,
        "item_id": diagnosing["items"][0]["id"],
    }
    quoted = act(diagnosing["id"], "send_quote", _quote(diagnosing, line), admin.headers).get_json()
    quote = db_session.get(Quote, uuid.UUID(quoted["current_quote"]["id"]))
    quote.valid_until = datetime.now(UTC) - timedelta(minutes=1)
    db_session.commit()
    response = act(diagnosing["id"], "approve_quote", {}, diagnosing["shop"].headers)
    assert response.status_code == 409
    assert "expired" in response.get_json()["message"]
    assert response.get_json()["current_status"] == "quote_pending"


def test_a_new_quote_supersedes_the_last_which_can_no_longer_be_approved(
    diagnosing, admin, act, client
):
    item = diagnosing["items"][0]["id"]
    first = act(
        diagnosing["id"],
        "send_quote",
        _quote(
            diagnosing,
            {"kind": "part", "description": "Panel", "unit_price_minor": 5000, "item_id": item},
        ),
        admin.headers,
    ).get_json()["current_quote"]
    second = act(
        diagnosing["id"],
        "send_quote",
        _quote(
            diagnosing,
            {
                "kind": "part",
                "description": "Used panel",
                "unit_price_minor": 3000,
                "item_id": item,
            },
        ),
        admin.headers,
    ).get_json()["current_quote"]
    assert (second["revision"], second["total_minor"]) == (2, 3390)
    quotes = client.get(
        f"/api/v1/cases/{diagnosing['id']}/quotes", headers=admin.headers
    ).get_json()
    assert [(q["revision"], q["status"]) for q in quotes] == [(1, "superseded"), (2, "pending")]

    stale = act(
        diagnosing["id"], "approve_quote", {"quote_id": first["id"]}, diagnosing["shop"].headers
    )
    assert stale.status_code == 409
    assert "superseded" in stale.get_json()["message"]
    current = act(
        diagnosing["id"], "approve_quote", {"quote_id": second["id"]}, diagnosing["shop"].headers
    )
    assert current.status_code == 200
    assert current.get_json()["current_quote"]["status"] == "approved"


BAD_QUOTES = [
    ({"currency": "XXY"}, ["currency"]),
    ({"currency": "CNY", "lines": []}, ["lines"]),
    ({"valid_until": "2020-01-01T00:00:00+00:00"}, ["valid_until"]),
    ({"valid_until": "2030-01-01T00:00:00"}, ["valid_until"]),
    (
        {"lines": [{"kind": "part", "description": "x", "unit_price_minor": 1.5}]},
        ["lines", "0", "unit_price_minor"],
    ),
    (
        {"lines": [{"kind": "part", "description": "x", "unit_price_minor": "100"}]},
        ["lines", "0", "unit_price_minor"],
    ),
    (
        {"lines": [{"kind": "part", "description": "x", "unit_price_minor": -1}]},
        ["lines", "0", "unit_price_minor"],
    ),
    (
        {"lines": [{"kind": "gift", "description": "x", "unit_price_minor": 1}]},
        ["lines", "0", "kind"],
    ),
    (
        {
            "lines": [
                {
                    "kind": "part",
                    "description": "x",
                    "unit_price_minor": 1,
                    "item_id": str(uuid.uuid4()),
                }
            ]
        },
        ["lines", "0", "item_id"],
    ),
]


@pytest.mark.parametrize(("change", "path"), BAD_QUOTES, ids=[str(p) for _, p in BAD_QUOTES])
def test_bad_quotes_are_rejected_naming_the_field(diagnosing, admin, act, client, change, path):
    body = {
        **_quote(diagnosing, {"kind": "part", "description": "x", "unit_price_minor": 1}),
        **change,
    }
    response = act(diagnosing["id"], "send_quote", body, admin.headers)
    assert response.status_code == 422, response.get_json()
    node = response.get_json()["errors"]["json"]
    for key in path:
        node = node[key]
    case = client.get(f"/api/v1/cases/{diagnosing['id']}", headers=admin.headers).get_json()
    assert case["status"] == "diagnosing" and case["current_quote"] is None


@given(
    quantity=st.integers(1, 1000),
    unit=st.integers(0, 100_000_000),
    rate=st.integers(0, 10_000),
)
def test_money_is_integer_arithmetic_with_half_up_tax(quantity, unit, rate):
    from decimal import ROUND_HALF_UP, Decimal

    line = price_line(quantity, unit, None)
    assert line.amount_minor == line.charged_minor == quantity * unit
    assert isinstance(line.amount_minor, int)
    exact = (Decimal(line.amount_minor) * rate / 10_000).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    assert tax_minor(line.amount_minor, rate) == int(exact)
    assert price_line(quantity, unit, "warranty").charged_minor == 0
