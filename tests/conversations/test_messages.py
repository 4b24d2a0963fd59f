"""Staff writing to the customer from the case: the outbox rows, the contact log, the
first-response clock, saved replies with placeholders, internal notes, bad input."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from service.contact_log.models import Contact
from service.conversations.models import Macro, Message
from service.notifications.models import Notification


def _messages(client, case_id, staff):
    return client.post(f"/api/v1/cases/{case_id}/messages", json={}, headers=staff.headers)


def test_a_staff_message_goes_out_by_email_and_sms_in_the_customers_language_and_answers_the_case(
    client, open_case, admin, db_session
):
    case = open_case()  # the customer reads Chinese
    assert case["first_responded_at"] is None
    response = client.post(
        f"/api/v1/cases/{case['id']}/messages",
        json={
            "channels": ["email", "sms"],
            "body": "{customer_name}，您好：请寄回商品 {case_number}。",
        },
        headers=admin.headers,
    )
    assert response.status_code == 201, response.get_json()
    message = response.get_json()
    assert message["kind"] == "message" and message["channels"] == ["email", "sms"]
    assert message["body"] == f"Li Wei，您好：请寄回商品 {case['number']}。"
    deliveries = {d["channel"]: d["status"] for d in message["deliveries"]}
    # The SMS may wait for the morning in Shanghai (quiet hours); the e-mail does not.
    # Written "queued": the relay hands them to RQ once the request commits.
    assert deliveries["email"] == "queued" and deliveries["sms"] in ("queued", "deferred")
    notices = db_session.scalars(
        select(Notification).where(
            Notification.event_key == f"message:{uuid.UUID(message['id']).hex}"
        )
    ).all()
    assert {n.channel.value for n in notices} == {"email", "sms"}
    email = next(n for n in notices if n.channel.value == "email")
    assert (
        email.locale == "zh-CN"
        and "请寄回商品" in email.body_text
        and case["number"] in email.subject
    )
    contacts = db_session.scalars(
        select(Contact).where(Contact.case_id == uuid.UUID(case["id"]))
    ).all()
    assert sorted((c.direction.value, c.channel.value, c.staff_name) for c in contacts) == [
        ("out", "email", "Ada Admin"),
        ("out", "sms", "Ada Admin"),
    ]
    after = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()
    assert after["first_responded_at"] is not None
    assert after["sla"]["first_response"]["met_at"] is not None
    assert after["sla"]["first_response"]["breached"] is False


def test_a_saved_reply_fills_its_placeholders_in_the_customers_locale(
    client, open_case, admin, tenant, db_session
):
    macro = client.post(
        "/api/v1/macros",
        json={
            "storefront_id": str(tenant.storefront.id),
            "name": "Send the item",
            "bodies": {
                "en": "Hi {customer_name}, please send the item for {case_number}.",
                "zh-CN": "{customer_name}，您好：服务单 {case_number} 当前状态：{status}。"
                "查看：{status_link}",
            },
        },
        headers=admin.headers,
    )
    assert macro.status_code == 201, macro.get_json()
    case = open_case()
    sent = client.post(
        f"/api/v1/cases/{case['id']}/messages",
        json={"macro_id": macro.get_json()["id"]},
        headers=admin.headers,
    )
    assert sent.status_code == 201, sent.get_json()
    body = sent.get_json()["body"]
    assert body.startswith(f"Li Wei，您好：服务单 {case['number']} 当前状态：已受理。")
    assert "http://aftersales.test/c/" in body
    listed = client.get("/api/v1/macros", headers=admin.headers).get_json()
    assert [m["name"] for m in listed] == ["Send the item"]
    renamed = client.patch(
        f"/api/v1/macros/{macro.get_json()['id']}",
        json={"name": "Please send"},
        headers=admin.headers,
    )
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "Please send"
    gone = client.delete(f"/api/v1/macros/{macro.get_json()['id']}", headers=admin.headers)
    assert gone.status_code == 204
    assert db_session.scalar(select(func.count()).select_from(Macro)) == 0


def test_a_saved_reply_with_an_unknown_placeholder_is_rejected(client, admin, tenant, db_session):
    response = client.post(
        "/api/v1/macros",
        json={
            "storefront_id": str(tenant.storefront.id),
            "name": "x",
            "bodies": {"en": "Hi {name}"},
        },
        headers=admin.headers,
    )
    assert response.status_code == 422
    assert "en" in response.get_json()["errors"]["json"]["bodies"]
    assert db_session.scalar(select(func.count()).select_from(Macro)) == 0


def test_a_message_without_body_or_macro_is_rejected_and_nothing_is_written(
    client, open_case, admin, db_session
):
    case = open_case()
    response = _messages(client, case["id"], admin)
    assert response.status_code == 422
    assert "body" in response.get_json()["errors"]["json"]
    bad = client.post(
        f"/api/v1/cases/{case['id']}/messages",
        json={"body": "Hello {nobody}"},
        headers=admin.headers,
    )
    assert bad.status_code == 422 and "body" in bad.get_json()["errors"]["json"]
    assert db_session.scalar(select(func.count()).select_from(Message)) == 0
    assert db_session.scalar(select(func.count()).select_from(Contact)) == 0


def test_a_storefront_key_cannot_write_to_the_customer(client, open_case, tenant, db_session):
    case = open_case()
    response = client.post(
        f"/api/v1/cases/{case['id']}/messages", json={"body": "hi"}, headers=tenant.headers
    )
    assert response.status_code == 403
    assert db_session.scalar(select(func.count()).select_from(Message)) == 0


def test_a_technician_may_not_manage_saved_replies(client, technician, tenant):
    response = client.post(
        "/api/v1/macros",
        json={"storefront_id": str(tenant.storefront.id), "name": "x", "bodies": {"en": "Hi"}},
        headers=technician.headers,
    )
    assert response.status_code == 403


def test_an_internal_note_is_never_sent_never_shown_and_answers_nothing(
    client, open_case, admin, db_session
):
    case = open_case()
    response = client.post(
        f"/api/v1/cases/{case['id']}/messages",
        json={"body": "Customer sounded upset; handle with care.", "internal": True},
        headers=admin.headers,
    )
    assert response.status_code == 201
    assert response.get_json()["kind"] == "note" and response.get_json()["deliveries"] == []
    case_id = uuid.UUID(case["id"])
    templates = db_session.scalars(
        select(Notification.template).where(Notification.case_id == case_id)
    ).all()
    assert "message" not in templates
    after = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()
    assert after["first_responded_at"] is None
    listed = client.get(f"/api/v1/cases/{case['id']}/messages", headers=admin.headers).get_json()
    assert [m["kind"] for m in listed] == ["note"]
