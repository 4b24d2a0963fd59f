"""Delivering events: the catalog a lifecycle produces, order per case per endpoint,
the answers that fail, disable or delay, the delivery log, and the event feed."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, update

from service.cases.models import CaseStatus
from service.core.db import utcnow
from service.notifications.jobs import deliver_notification
from service.notifications.models import Notification
from service.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

ENDPOINTS = "/api/v1/webhooks/endpoints"

#: A repair taken from open to delivered by the shortest path (receive, diagnose,
#: send_quote, decline_quote, ship, deliver): every event, in order.
REPAIR_EVENTS = [
    "case.created",
    "case.status_changed",  # received
    "case.status_changed",  # diagnosing
    "case.status_changed",  # quote_pending
    "quote.sent",
    "case.status_changed",  # declined: ready_to_ship
    "quote.decided",
    "case.status_changed",  # shipped
    "shipment.created",
    "case.status_changed",  # delivered
    "shipment.delivered",
]


def deliveries(db_session) -> list[WebhookDelivery]:
    db_session.expire_all()
    return list(db_session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at)))


def test_a_case_lifecycle_sends_each_event_once_in_order_signed(
    hooked, receiver, walk, run_deliveries
):
    case = walk(CaseStatus.delivered)
    run_deliveries()
    accepted = receiver.accepted()
    assert len(accepted) == len(receiver.requests)  # nothing sent twice
    assert [r.payload["type"] for r in accepted] == REPAIR_EVENTS
    assert [r.payload["data"]["sequence"] for r in accepted] == list(range(1, 12))
    assert {r.payload["data"]["case_id"] for r in accepted} == {case["id"]}
    versions = [r.payload["data"]["version"] for r in accepted]
    assert versions == sorted(versions)
    changed = [r.payload["data"] for r in accepted if r.payload["type"] == "case.status_changed"]
    assert [(d["previous_status"], d["status"]) for d in changed][:2] == [
        ("open", "received"),
        ("received", "diagnosing"),
    ]
    assert accepted[-1].payload["data"]["status"] == "delivered"
    headers = accepted[0].headers
    assert headers["webhook-id"].startswith("msg_")
    assert headers["webhook-signature"].startswith("v1,")


def test_an_endpoint_receives_only_the_types_it_subscribed_to(
    loopback, receiver, register, walk, run_deliveries
):
    endpoint = register(receiver.url, event_types=["shipment.delivered", "quote.sent"])
    receiver.secrets.append(endpoint["secret"])
    walk(CaseStatus.delivered)
    run_deliveries()
    assert [r.payload["type"] for r in receiver.accepted()] == ["quote.sent", "shipment.delivered"]


def test_a_failing_event_holds_back_its_case_but_not_other_cases(
    hooked, receiver, open_case, act, admin, run_deliveries, db_session
):
    first = open_case()
    receiver.script = [500]
    run_deliveries(rounds=1)  # case.created of the first case fails
    act(first["id"], "request_item", {"shipping_instructions": "Send it."}, admin.headers)
    second = open_case()
    run_deliveries()
    got = [(r.payload["data"]["case_id"], r.payload["type"]) for r in receiver.accepted()]
    # The first case's status change waits behind its failed case.created; the second
    # case is not held back.
    assert got == [(second["id"], "case.created")]
    run_deliveries(skip_waits=True)
    got = [(r.payload["data"]["case_id"], r.payload["type"]) for r in receiver.accepted()]
    assert got[1:] == [(first["id"], "case.created"), (first["id"], "case.status_changed")]
    # The retry carried the same webhook-id as the failed attempt.
    assert receiver.requests[0].message_id == receiver.requests[2].message_id


def test_a_redirect_is_a_failure_and_is_not_followed(
    hooked, receiver, open_case, run_deliveries, db_session
):
    receiver.script = [302]
    open_case()
    run_deliveries(rounds=1)
    (row,) = deliveries(db_session)
    assert row.status == DeliveryStatus.pending and row.last_status_code == 302
    assert len(receiver.requests) == 1  # nothing went to the Location


def test_410_disables_the_endpoint(hooked, receiver, open_case, run_deliveries, db_session):
    receiver.script = [410]
    open_case()
    run_deliveries()
    (row,) = deliveries(db_session)
    assert row.status == DeliveryStatus.failed
    endpoint = db_session.get(WebhookEndpoint, row.endpoint_id)
    assert endpoint.enabled is False and "410" in endpoint.disabled_reason


def test_retry_after_is_honoured(hooked, receiver, open_case, run_deliveries, db_session):
    receiver.script = [("retry-after", 600)]
    open_case()
    run_deliveries()
    (row,) = deliveries(db_session)
    assert row.status == DeliveryStatus.pending
    assert row.next_attempt_at >= utcnow() + timedelta(seconds=590)


def test_retries_stop_after_the_schedule(hooked, receiver, open_case, run_deliveries, db_session):
    receiver.default = 500
    open_case()
    run_deliveries(skip_waits=True)
    (row,) = deliveries(db_session)
    assert row.status == DeliveryStatus.failed and row.attempts == 4  # 1 + "1,1,1"


def test_an_endpoint_failing_for_five_days_is_disabled_and_admins_emailed_once(
    app, hooked, receiver, open_case, run_deliveries, db_session, create_staff, tenant
):
    create_staff("admin", storefront=tenant.storefront)
    receiver.default = 500
    db_session.execute(
        update(WebhookEndpoint).values(failing_since=utcnow() - timedelta(days=5, minutes=1))
    )
    db_session.commit()
    open_case()
    open_case()
    run_deliveries(skip_waits=True)
    endpoint = db_session.get(WebhookEndpoint, uuid.UUID(hooked["id"]))
    db_session.refresh(endpoint)
    assert endpoint.enabled is False and "120 hours" in endpoint.disabled_reason
    emails = db_session.scalars(
        select(Notification).where(Notification.template == "webhook_disabled")
    ).all()
    assert len(emails) == 1 and "disabled" in emails[0].subject
    with app.app_context():
        assert deliver_notification(str(emails[0].id)) == "sent"  # through the e-mail backend
    assert len(receiver.requests) == 1  # disabled at its first failure; nothing after


def test_the_delivery_log_shows_attempts_and_redelivers_and_recovers(
    client, tenant, hooked, receiver, open_case, run_deliveries, db_session
):
    receiver.default = 500
    open_case()
    started = utcnow()
    run_deliveries(skip_waits=True)
    log_url = f"{ENDPOINTS}/{hooked['id']}/deliveries"
    (item,) = client.get(log_url, headers=tenant.headers).get_json()["items"]
    assert item["status"] == "failed" and len(item["attempt_log"]) == 4
    attempt = item["attempt_log"][0]
    assert attempt["status_code"] == 500 and attempt["latency_ms"] >= 0
    assert len(attempt["response_body"]) == 2048  # the first 2 KB only

    receiver.default = 204
    again = client.post(
        f"/api/v1/webhooks/deliveries/{item['id']}/redeliver", headers=tenant.headers
    )
    assert again.status_code == 202
    run_deliveries()
    assert receiver.accepted()[0].message_id == item["message_id"]

    recovered = client.post(
        f"{ENDPOINTS}/{hooked['id']}/recover",
        json={"since": (started - timedelta(minutes=1)).isoformat()},
        headers=tenant.headers,
    )
    assert recovered.get_json() == {"recovered": 1}
    run_deliveries()
    failed = client.get(log_url, query_string={"status": "failed"}, headers=tenant.headers)
    assert failed.get_json()["items"] == []


def test_a_test_event_reaches_the_endpoint(client, tenant, hooked, receiver, run_deliveries):
    response = client.post(f"{ENDPOINTS}/{hooked['id']}/test", headers=tenant.headers)
    assert response.status_code == 202
    run_deliveries()
    (received,) = receiver.accepted()
    assert received.payload["type"] == "webhook.test"
    assert received.payload["data"] == {"endpoint_id": hooked["id"]}


def test_the_event_feed_lists_a_storefronts_events_oldest_first_and_resumes(
    client, tenant, other_tenant, walk
):
    case = walk(CaseStatus.diagnosing)
    page = client.get("/api/v1/events", query_string={"limit": 2}, headers=tenant.headers)
    assert page.status_code == 200
    body = page.get_json()
    assert [e["type"] for e in body["items"]] == ["case.created", "case.status_changed"]
    rest = client.get(
        "/api/v1/events", query_string={"cursor": body["next_cursor"]}, headers=tenant.headers
    ).get_json()
    assert [e["sequence"] for e in rest["items"]] == [3]
    assert all(e["case_id"] == case["id"] for e in rest["items"])
    # Nothing new yet: the same cursor back, to ask again later.
    later = client.get(
        "/api/v1/events", query_string={"cursor": rest["next_cursor"]}, headers=tenant.headers
    ).get_json()
    assert later == {"items": [], "next_cursor": rest["next_cursor"]}
    assert client.get("/api/v1/events", headers=other_tenant.headers).get_json()["items"] == []


def feed_types(client, tenant, case_id: str) -> list[str]:
    response = client.get(
        "/api/v1/events", query_string={"case_id": case_id, "limit": 100}, headers=tenant.headers
    )
    return [event["type"] for event in response.get_json()["items"]]


def test_a_survey_answer_is_an_event_before_the_case_closes(client, tenant, admin, walk):
    case = walk(CaseStatus.delivered)
    answers = {
        "service_attitude": 5,
        "product_quality": 4,
        "price_reasonableness": 3,
        "overall_satisfaction": 5,
    }
    response = client.post(
        f"/api/v1/cases/{case['id']}/survey", json=answers, headers=admin.headers
    )
    assert response.status_code == 201, response.get_json()
    assert feed_types(client, tenant, case["id"])[-2:] == ["survey.answered", "case.status_changed"]


def test_an_sla_breach_is_an_event(app, client, tenant, open_case):
    from service.sla.jobs import check_sla

    case = open_case()
    with app.app_context():
        assert check_sla(utcnow() + timedelta(hours=25)) >= 1
    assert feed_types(client, tenant, case["id"]) == ["case.created", "sla.breached"]


def test_an_assignment_is_an_event(client, tenant, admin, open_case):
    case = open_case()
    etag = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).headers["ETag"]
    response = client.post(
        f"/api/v1/cases/{case['id']}/assignment",
        json={"priority": "high"},
        headers={**admin.headers, "If-Match": etag},
    )
    assert response.status_code == 200, response.get_json()
    events = client.get(
        "/api/v1/events", query_string={"type": "case.assigned"}, headers=tenant.headers
    ).get_json()["items"]
    assert [e["payload"]["data"]["changes"] for e in events] == [{"priority": "high"}]
