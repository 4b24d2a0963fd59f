"""Replies coming back by e-mail (the webhook) and SMS (the Twilio webhook): matching,
stripping, once-only, machines recognised, intake by e-mail, what a reply does."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from service.cases.models import Case
from service.contact_log.models import Contact
from service.conversations.addresses import reply_address
from service.conversations.models import Message
from service.customers.models import Customer
from service.notifications.models import Notification
from service.notifications.routes import twilio_signature
from tests.conversations.conftest import DESK, REPLY_DOMAIN, TWILIO_TOKEN
from tests.conversations.mail import CHINESE_QUOTE, ENGLISH_QUOTE, bounce, reply

CUSTOMER = "Li Wei <li.wei@example.com>"


def _count(db_session, model, *where) -> int:
    return db_session.scalar(select(func.count()).select_from(model).where(*where))


def _address(app, case_id: str) -> str:
    with app.app_context():
        return reply_address(uuid.UUID(case_id))


def _staff_message(client, case, staff) -> dict:
    response = client.post(
        f"/api/v1/cases/{case['id']}/messages",
        json={"body": "Please send the item."},
        headers=staff.headers,
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _notice_message_id(db_session, message: dict) -> str:
    notice = db_session.scalars(
        select(Notification).where(
            Notification.event_key == f"message:{uuid.UUID(message['id']).hex}",
            Notification.channel == "email",
        )
    ).one()
    return f"<notice-{notice.id}.email@aftersales>"


def test_a_reply_to_the_case_address_lands_on_the_case_stripped_and_flags_it(
    app, client, post_mail, open_case, admin, technician, act, db_session
):
    case = open_case()
    etag = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).headers["ETag"]
    assigned = client.post(
        f"/api/v1/cases/{case['id']}/assignment",
        json={"assignee_id": str(technician.user.id)},
        headers={**admin.headers, "If-Match": etag},
    )
    assert assigned.status_code == 200, assigned.get_json()
    _staff_message(client, case, admin)
    raw = reply(
        sender=CUSTOMER,
        to=_address(app, case["id"]),
        text="Thanks, I will send it tomorrow.",
        quote=ENGLISH_QUOTE.format(number=case["number"]),
    )
    response = post_mail(raw)
    assert response.status_code == 200 and response.get_json()["result"] == "attached"
    assert response.get_json()["case_id"] == case["id"]
    listed = client.get(f"/api/v1/cases/{case['id']}/messages", headers=admin.headers).get_json()
    answer = listed[-1]
    assert answer["kind"] == "reply" and answer["body"] == "Thanks, I will send it tomorrow."
    assert "please send the item to our service centre" in answer["original"]
    assert answer["matched_by"] == "reply_address"
    after = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()
    assert after["customer_replied"] is True
    flagged = client.get("/api/v1/cases?customer_replied=true", headers=admin.headers).get_json()
    assert [c["id"] for c in flagged["items"]] == [case["id"]]
    assert (
        _count(
            db_session, Contact, Contact.case_id == uuid.UUID(case["id"]), Contact.direction == "in"
        )
        == 1
    )
    alert = db_session.scalars(
        select(Notification).where(Notification.template == "customer_replied")
    ).one()
    assert alert.recipient == technician.user.email and "Thanks, I will send it" in alert.body_text
    # The same message again (a provider's retry): nothing new.
    again = post_mail(raw)
    assert again.status_code == 200 and again.get_json()["result"] == "duplicate"
    assert _count(db_session, Message, Message.kind == "reply") == 1
    # Staff answer: the flag clears.
    _staff_message(client, case, admin)
    assert (
        client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()[
            "customer_replied"
        ]
        is False
    )


def test_a_chinese_reply_found_by_in_reply_to_is_stripped_of_its_quote(
    client, post_mail, open_case, admin, db_session
):
    case = open_case()
    note = client.post(
        f"/api/v1/cases/{case['id']}/messages",
        json={"body": "Internal: customer was rude on the phone.", "internal": True},
        headers=admin.headers,
    )
    assert note.status_code == 201
    message = _staff_message(client, case, admin)
    raw = reply(
        sender=CUSTOMER,
        to="service@shop.example",
        text="好的，我明天寄出。",
        quote=CHINESE_QUOTE.format(number=case["number"]),
        in_reply_to=_notice_message_id(db_session, message),
        subject="回复：关于您的服务单的留言",
    )
    response = post_mail(raw)
    assert response.get_json()["result"] == "attached"
    stored = db_session.scalars(select(Message).where(Message.kind == "reply")).one()
    assert stored.body == "好的，我明天寄出。" and stored.matched_by == "in_reply_to"
    page_link = db_session.get(Case, uuid.UUID(case["id"]))
    from service.links import make_token

    with client.application.test_request_context():
        token = make_token(page_link, "status")
    page = client.get(f"/c/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "好的，我明天寄出。" in html and "Please send the item." in html
    assert "customer was rude" not in html


def test_a_forged_reply_address_attaches_nothing_to_that_case(
    app, client, post_mail, open_case, admin, db_session
):
    case = open_case()
    genuine = _address(app, case["id"])
    forged = genuine[:20] + ("a" if genuine[20] != "a" else "b") + genuine[21:]
    raw = reply(
        sender="Mallory <mallory@evil.example>", to=forged, text="Refund me to this account."
    )
    response = post_mail(raw)
    assert response.status_code == 200 and response.get_json()["result"] == "unmatched"
    assert _count(db_session, Message, Message.case_id == uuid.UUID(case["id"])) == 0
    assert (
        client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()[
            "customer_replied"
        ]
        is False
    )
    unmatched = client.get("/api/v1/inbound/unmatched", headers=admin.headers).get_json()["items"]
    assert [m["address"] for m in unmatched] == ["mallory@evil.example"]


def test_an_unsigned_or_wrongly_signed_post_is_refused_and_nothing_is_stored(
    app, post_mail, open_case, db_session
):
    case = open_case()
    raw = reply(sender=CUSTOMER, to=_address(app, case["id"]), text="Hello")
    for signature in ("", "sha256=" + "0" * 64, "garbage"):
        response = post_mail(raw, signature=signature)
        assert response.status_code == 401
        assert response.get_json()["code"] == 401
    assert _count(db_session, Message) == 0


def test_a_bounce_marks_the_address_undeliverable_and_later_email_is_suppressed(
    client, post_mail, open_case, admin, db_session
):
    case = open_case()
    message = _staff_message(client, case, admin)
    raw = bounce(
        failed="li.wei@example.com", original_message_id=_notice_message_id(db_session, message)
    )
    response = post_mail(raw)
    assert response.get_json()["result"] == "bounce"
    customer = db_session.scalars(
        select(Customer).where(Customer.email == "li.wei@example.com")
    ).one()
    db_session.refresh(customer)
    assert customer.email_bounced_at is not None
    shown = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()
    assert shown["customer"]["email_bounced_at"] is not None and shown["customer_replied"] is False
    later = _staff_message(client, case, admin)
    email = next(d for d in later["deliveries"] if d["channel"] == "email")
    assert email["status"] == "suppressed" and email["last_error"] == "email address bounced"


def test_an_out_of_office_is_logged_reopens_nothing_and_is_not_answered(
    app, client, post_mail, walk, admin, db_session
):
    case = walk("closed")
    before = _count(db_session, Notification, Notification.case_id == uuid.UUID(case["id"]))
    raw = reply(
        sender=CUSTOMER,
        to=_address(app, case["id"]),
        text="I am out of the office until Monday.",
        subject="Automatic reply: A message about your case",
        headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
    )
    response = post_mail(raw)
    assert response.get_json()["result"] == "auto_reply"
    after = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()
    assert after["status"] == "closed" and after["customer_replied"] is False
    assert _count(db_session, Notification, Notification.case_id == uuid.UUID(case["id"])) == before
    logged = client.get(f"/api/v1/cases/{case['id']}/messages", headers=admin.headers).get_json()
    assert [m["kind"] for m in logged] == ["auto_reply"]


def test_an_auto_reply_to_the_desk_opens_no_case(post_mail, tenant, db_session):
    cases = _count(db_session, Case)
    raw = reply(
        sender="Robot <robot@vendor.example>",
        to=DESK,
        text="Thank you for your message, we will get back to you.",
        headers={"Precedence": "auto_reply"},
    )
    assert post_mail(raw).get_json()["result"] == "unmatched"
    assert _count(db_session, Case) == cases


def test_our_own_mail_coming_back_is_dropped_so_no_loop_starts(post_mail, tenant, app, db_session):
    own = app.config["SETTINGS"].email_from
    for sender in (own, f"cabcdef@{REPLY_DOMAIN}", DESK):
        raw = reply(sender=sender, to=DESK, text="Your case has been received.")
        assert post_mail(raw).get_json()["result"] == "ignored"
    notice_echo = reply(
        sender="someone@example.com",
        to=DESK,
        text="echo",
        message_id=f"<notice-{uuid.uuid4()}.email@aftersales>",
    )
    assert post_mail(notice_echo).get_json()["result"] == "ignored"
    assert _count(db_session, Message) == 0 and _count(db_session, Case) == 0


def test_mail_to_the_desk_from_a_stranger_opens_an_inquiry_and_the_next_one_attaches(
    client, post_mail, tenant, admin, db_session
):
    raw = reply(
        sender="Zhang San <zhang@example.cn>",
        to=DESK,
        text="我的耳机坏了，怎么办？",
        subject="耳机",
    )
    first = post_mail(raw).get_json()
    assert first["result"] == "opened"
    case = client.get(f"/api/v1/cases/{first['case_id']}", headers=admin.headers).get_json()
    assert (case["kind"], case["channel"], case["customer"]["email"]) == (
        "inquiry",
        "email",
        "zhang@example.cn",
    )
    assert case["description"] == "我的耳机坏了，怎么办？"
    second = post_mail(reply(sender="zhang@example.cn", to=DESK, text="还有充电盒。")).get_json()
    assert (second["result"], second["case_id"]) == ("attached", first["case_id"])


def _sms(client, app, sender: str, body: str, sid: str):
    settings = app.config["SETTINGS"]
    params = {"From": sender, "To": "+15005550006", "Body": body, "MessageSid": sid}
    url = settings.public_base_url + "/webhooks/sms/twilio"
    return client.post(
        "/webhooks/sms/twilio",
        data=params,
        headers={"X-Twilio-Signature": twilio_signature(TWILIO_TOKEN, url, params)},
    )


def test_an_sms_from_a_known_number_lands_on_their_open_case(
    app, client, conversations, open_case, admin, db_session
):
    case = open_case()
    response = _sms(client, app, "+8613800138000", "快递单号 SF123", "SM" + "a" * 32)
    assert response.status_code == 200
    listed = client.get(f"/api/v1/cases/{case['id']}/messages", headers=admin.headers).get_json()
    assert [(m["kind"], m["channels"], m["body"]) for m in listed] == [
        ("reply", ["sms"], "快递单号 SF123")
    ]
    assert client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()[
        "customer_replied"
    ]
    _sms(client, app, "+8613800138000", "快递单号 SF123", "SM" + "a" * 32)  # Twilio retries
    assert _count(db_session, Message) == 1


def test_an_sms_from_an_unknown_number_changes_nothing(
    app, client, conversations, open_case, db_session
):
    open_case()
    response = _sms(client, app, "+8613900000000", "hello?", "SM" + "b" * 32)
    assert response.status_code == 200
    assert _count(db_session, Message) == 0 and _count(db_session, Contact) == 0


def test_an_sms_from_a_customer_with_two_open_cases_waits_in_unmatched_until_assigned(
    app, client, conversations, open_case, admin, db_session
):
    first, second = open_case(), open_case()
    _sms(client, app, "+8613800138000", "Which one is ready?", "SM" + "c" * 32)
    unmatched = client.get("/api/v1/inbound/unmatched", headers=admin.headers).get_json()["items"]
    assert [m["body"] for m in unmatched] == ["Which one is ready?"]
    for case in (first, second):
        assert (
            client.get(f"/api/v1/cases/{case['id']}/messages", headers=admin.headers).get_json()
            == []
        )
    bad = client.post(
        f"/api/v1/inbound/unmatched/{unmatched[0]['id']}/assign",
        json={"case_id": "MS-999999"},
        headers=admin.headers,
    )
    assert bad.status_code == 422 and "case_id" in bad.get_json()["errors"]["json"]
    assigned = client.post(
        f"/api/v1/inbound/unmatched/{unmatched[0]['id']}/assign",
        json={"case_id": second["number"]},
        headers=admin.headers,
    )
    assert assigned.status_code == 200 and assigned.get_json()["case_id"] == second["id"]
    assert client.get("/api/v1/inbound/unmatched", headers=admin.headers).get_json()["items"] == []


def test_stop_still_opts_out_and_is_not_a_reply(app, client, conversations, open_case, db_session):
    open_case()
    _sms(client, app, "+8613800138000", "STOP", "SM" + "d" * 32)
    assert _count(db_session, Message) == 0
    customer = db_session.scalars(select(Customer).where(Customer.phone == "+8613800138000")).one()
    db_session.refresh(customer)
    assert customer.sms_stopped_at is not None


def test_a_reply_while_waiting_for_the_item_keeps_the_resolution_clock_paused(
    app, client, post_mail, walk, admin
):
    case = walk("awaiting_item")
    assert case["sla"]["resolution"]["paused"] is True
    post_mail(
        reply(sender=CUSTOMER, to=_address(app, case["id"]), text="I will send it next week.")
    )
    after = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()
    assert after["customer_replied"] is True
    assert after["sla"]["resolution"]["paused"] is True
    assert after["sla"]["resolution"]["due_at"] == case["sla"]["resolution"]["due_at"]
