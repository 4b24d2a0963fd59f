"""A storefront never sees another storefront's cases or customers: 404 on every route,
absent from every list."""

from __future__ import annotations

import pytest

from service.core.api import API_PREFIX

# Bodies that are valid as far as their schemas go, so the 404 cannot come from validation.
SAMPLE_BODIES: dict[str, dict] = {
    "request_item": {"shipping_instructions": "Send it to us."},
    "receive": {
        "items": [{"item_id": "00000000-0000-0000-0000-000000000000", "condition": "damaged"}]
    },
    "send_quote": {
        "currency": "CNY",
        "valid_until": "2099-01-01T00:00:00+00:00",
        "lines": [{"kind": "part", "description": "Screen", "unit_price_minor": 100}],
    },
    "finish_repair": {"problem_found": "x", "fix": "y"},
    "refund": {"amount_minor": 100, "currency": "CNY"},
    "ship": {"tracking_number": "1Z5R89390357567127"},
    "shipments": {"tracking_number": "1Z5R89390357567127"},
    "resolve": {"resolution": "Answered."},
    "cancel": {"reason": "Asked to."},
    "reopen": {"reason": "Asked to."},
    "contacts": {"direction": "in", "channel": "phone", "summary": "Called"},
    # A contact id of no storefront's: the quality review must not find it either.
    "review": {"greeting": 5, "accuracy": 5, "attitude": 5, "resolution": 5, "compliance": 5},
    "survey": {
        "service_attitude": 5,
        "product_quality": 4,
        "price_reasonableness": 4,
        "overall_satisfaction": 5,
    },
}


def _tenant_routes(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX) or not rule.arguments:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.rule, method


def _fill(rule: str, case: dict) -> str:
    return (
        rule.replace("<case_ref>", case["id"])
        .replace("<uuid:customer_id>", case["customer"]["id"])
        .replace("<customer_id>", case["customer"]["id"])
        .replace("<uuid:contact_id>", "00000000-0000-0000-0000-000000000000")
    )


def test_every_route_with_an_id_is_covered_by_this_test(app):
    known = {"case_ref", "customer_id", "contact_id"}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API_PREFIX):
            assert rule.arguments <= known, f"{rule.rule}: teach this test its parameters"


def test_another_storefronts_case_and_customer_are_404_on_every_route(
    app, client, open_case, other_tenant
):
    case = open_case()
    checked = 0
    for rule, method in _tenant_routes(app):
        url = _fill(rule, case)
        body = SAMPLE_BODIES.get(rule.rsplit("/", 1)[-1], {}) if method in ("POST", "PUT") else None
        # If-Match: * passes the precondition, so only the lookup can answer.
        headers = {**other_tenant.headers, "If-Match": "*"}
        response = client.open(url, method=method, json=body, headers=headers)
        assert response.status_code == 404, f"{method} {url}: {response.status_code}"
        assert case["number"] not in response.get_data(as_text=True)
        checked += 1
    assert checked >= 20


def test_case_numbers_are_also_404_across_storefronts(client, open_case, other_tenant):
    case = open_case()
    response = client.get(f"/api/v1/cases/{case['number']}", headers=other_tenant.headers)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/api/v1/cases", "/api/v1/customers"],
)
def test_lists_never_show_another_storefronts_rows(client, open_case, other_tenant, path):
    case = open_case()
    listed = client.get(path, headers=other_tenant.headers).get_json()
    assert listed["items"] == []
    filtered = client.get(
        "/api/v1/cases",
        query_string={"customer_id": case["customer"]["id"]},
        headers=other_tenant.headers,
    ).get_json()
    assert filtered["items"] == []


def test_the_same_customer_external_id_is_a_different_customer_per_storefront(
    open_case, other_tenant
):
    mine = open_case()
    theirs = open_case(as_tenant=other_tenant)
    assert mine["customer"]["external_id"] == theirs["customer"]["external_id"]
    assert mine["customer"]["id"] != theirs["customer"]["id"]
