"""A storefront never sees another storefront's cases or customers: 404 on every route,
absent from every list."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.routing import Rule

from service.cases.models import CaseStatus
from service.core.api import API_PREFIX
from service.surveys.service import send_due_invitations

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
    "messages": {"body": "Hello"},
    "assign": {"case_id": "MS-000001"},
    # A contact id of no storefront's: the quality review must not find it either.
    "review": {"greeting": 5, "accuracy": 5, "attitude": 5, "resolution": 5, "compliance": 5},
    "recover": {"since": "2026-01-01T00:00:00+00:00"},
    "survey": {
        "service_attitude": 5,
        "product_quality": 4,
        "price_reasonableness": 4,
        "overall_satisfaction": 5,
    },
}


#: Administration routes take these; storefront keys get 403 on all of them
#: (tests/staff, tests/storefronts), so they have no other storefront's data to hide.
ADMIN_ONLY = {"staff_id", "storefront_id", "prefix"}


def _tenant_routes(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX) or not rule.arguments:
            continue
        if rule.arguments & ADMIN_ONLY:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _fill(rule: Rule, case: dict) -> str:
    """The URL of `rule` for `case`, built by the rule's own converters (so a
    `<string:case_ref>` or `<uuid:customer_id>` really holds the case's id)."""
    values = {"case_ref": case["id"], "customer_id": uuid.UUID(case["customer"]["id"])}
    values |= {
        name: uuid.UUID(case[name])
        for name in (
            "macro_id",
            "message_id",
            "notice_id",
            "contact_id",
            "endpoint_id",
            "delivery_id",
            "attachment_id",
        )
    }
    _domain, path = rule.build({name: values[name] for name in rule.arguments})
    assert "<" not in path, path
    return path


def _conversation_of(db_session, case: dict) -> dict:
    """A saved reply and an unmatched message of the case's storefront, for the routes
    that name them."""
    from service.contact_log.models import Contact, ContactChannel, ContactDirection
    from service.conversations.models import Macro, Message, MessageKind
    from service.customers.models import Customer

    customer = db_session.get(Customer, uuid.UUID(case["customer"]["id"]))
    macro = Macro(storefront_id=customer.storefront_id, name="Hello", bodies={"en": "Hi"})
    message = Message(
        kind=MessageKind.reply,
        direction=ContactDirection.inbound,
        channels=["sms"],
        body="Which one?",
        author_name="Li Wei",
        storefront_id=customer.storefront_id,
    )
    # A call on the case, for the quality review's route.
    call = Contact(
        case_id=uuid.UUID(case["id"]),
        direction=ContactDirection.inbound,
        channel=ContactChannel.phone,
        summary="Asked about the repair",
        staff_name="Someone",
        occurred_at=datetime.now(UTC),
    )
    db_session.add_all([macro, message, call])
    db_session.commit()
    return {
        **case,
        **_webhook_of(db_session, case),
        "macro_id": str(macro.id),
        "message_id": str(message.id),
        "contact_id": str(call.id),
    }


def _attachment_of(client, tenant, case: dict) -> str:
    """A photo on the case, for the attachment routes (a thumbnail route needs an image)."""
    from tests.attachments.files import photo

    response = client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        data={"file": (io.BytesIO(photo()), "photo.jpg")},
        content_type="multipart/form-data",
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _webhook_of(db_session, case: dict) -> dict:
    """A webhook endpoint of the case's storefront with a delivery of one of its events."""
    from sqlalchemy import select

    from service.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

    event = db_session.scalars(
        select(WebhookEvent).where(WebhookEvent.case_id == uuid.UUID(case["id"]))
    ).first()
    endpoint = WebhookEndpoint(
        storefront_id=event.storefront_id, url="https://hooks.example.com/in", secret="whsec_x"
    )
    db_session.add(endpoint)
    db_session.flush()
    delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id=event.id)
    db_session.add(delivery)
    db_session.commit()
    return {"endpoint_id": str(endpoint.id), "delivery_id": str(delivery.id)}


def test_every_route_with_an_id_is_covered_by_this_test(app):
    known = {"case_ref", "customer_id", "macro_id", "message_id", "notice_id", "contact_id"}
    known |= {"attachment_id", "endpoint_id", "delivery_id"}
    known |= ADMIN_ONLY
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API_PREFIX):
            assert rule.arguments <= known, f"{rule.rule}: teach this test its parameters"


def _request(client, rule: Rule, method: str, url: str, tenant) -> object:
    sample = SAMPLE_BODIES.get(rule.rule.rsplit("/", 1)[-1], {})
    body = sample if method in ("POST", "PUT") else None
    # If-Match: * passes the precondition, so only the lookup can answer.
    headers = {**tenant.headers, "If-Match": "*"}
    return client.open(url, method=method, json=body, headers=headers)


def _delivered_and_surveyed(app, db_session, walk) -> dict:
    """A case with something behind every route (a sent survey included), so the
    owner's requests find it."""
    case = walk(CaseStatus.delivered)
    with app.app_context():
        send_due_invitations(db_session, datetime.now(UTC) + timedelta(days=3))
        db_session.commit()
    return case


def test_another_storefronts_case_and_customer_are_404_on_every_route(
    app, client, db_session, walk, tenant, other_tenant
):
    case = _conversation_of(db_session, _delivered_and_surveyed(app, db_session, walk))
    notices = client.get(f"/api/v1/cases/{case['id']}/notifications", headers=tenant.headers)
    case["notice_id"] = notices.get_json()[0]["id"]
    case["attachment_id"] = _attachment_of(client, tenant, case)
    checked = 0
    for rule, method in _tenant_routes(app):
        url = _fill(rule, case)
        response = _request(client, rule, method, url, other_tenant)
        assert response.status_code == 404, f"{method} {url}: {response.status_code}"
        assert case["number"] not in response.get_data(as_text=True)
        # The control: the same request by the case's own storefront finds the case, so
        # the 404 above came from the storefront scope, not from a URL that matches nothing.
        owned = _request(client, rule, method, url, tenant)
        assert owned.status_code != 404, f"{method} {url} (owner): {owned.get_json()}"
        if method == "DELETE" and "endpoint_id" in rule.arguments:
            case.update(_webhook_of(db_session, case))  # the owner deleted it
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
