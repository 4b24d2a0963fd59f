"""What the outbox decides when a case changes: one row per channel, rendered in the
customer's language, suppressed without consent, SMS deferred in quiet hours."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from service.cases.lifecycle import perform
from service.cases.models import Case
from service.core.auth import Actor, ActorType
from service.customers.models import Customer
from service.notifications.consent import apply_sms_keyword
from service.notifications.models import NoticeStatus, Notification
from service.notifications.quiet_hours import quiet_until
from service.notifications.routes import twilio_signature
from service.staff.models import StaffRole
from tests.conftest import case_payload

SHANGHAI = ZoneInfo("Asia/Shanghai")


def rows(db_session, case_id: str) -> list[Notification]:
    return list(
        db_session.scalars(
            select(Notification)
            .where(Notification.case_id == uuid.UUID(case_id))
            .order_by(Notification.created_at, Notification.channel)
        )
    )


def test_opening_a_case_writes_one_email_and_one_sms_in_the_customers_language(
    open_case, db_session
):
    case = open_case()  # a zh-CN customer
    email, sms = rows(db_session, case["id"])
    assert (email.channel.value, email.template, email.locale) == ("email", "open", "zh-CN")
    assert email.recipient == "li.wei@example.com" and sms.recipient == "+8613800138000"
    assert case["number"] in email.subject
    assert "已受理" in email.body_text
    assert "http://aftersales.test/c/" in sms.body_text
    assert email.event_key == sms.event_key


def test_a_notice_without_consent_or_address_is_suppressed_with_the_reason(open_case, db_session):
    case = open_case(customer={"name": "Bob", "email": "bob@example.com", "consent_email": False})
    email, sms = rows(db_session, case["id"])
    assert (email.status, email.last_error) == (
        NoticeStatus.suppressed,
        "customer opted out of email",
    )
    assert (sms.status, sms.last_error) == (NoticeStatus.suppressed, "no phone number")


def _staff_transition_at(db_session, case_id: str, when: datetime, action="request_item"):
    case = db_session.get(Case, uuid.UUID(case_id))
    actor = Actor(ActorType.staff, None, "Desk", StaffRole.admin)
    perform(db_session, case, action, {"shipping_instructions": "Post it to us"}, actor, now=when)
    db_session.commit()


def test_an_sms_due_at_night_waits_for_8_am_in_the_customers_zone_email_goes_now(
    app, open_case, db_session
):
    case = open_case()  # customer in Asia/Shanghai
    at_23 = datetime(2026, 11, 23, 23, 0, tzinfo=SHANGHAI).astimezone(UTC)
    with app.app_context():
        _staff_transition_at(db_session, case["id"], at_23)
    email, sms = [n for n in rows(db_session, case["id"]) if n.template == "request_item"]
    assert (email.status, email.scheduled_for) == (NoticeStatus.pending, at_23)
    assert sms.status == NoticeStatus.deferred
    assert sms.scheduled_for == datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 6, 1, 20, 59), None),
        (datetime(2026, 6, 1, 21, 0), datetime(2026, 6, 2, 8, 0)),
        (datetime(2026, 6, 1, 23, 30), datetime(2026, 6, 2, 8, 0)),
        (datetime(2026, 6, 2, 3, 0), datetime(2026, 6, 2, 8, 0)),
        (datetime(2026, 6, 2, 8, 0), None),
    ],
)
def test_quiet_hours_run_from_21_to_8_local_time(local, expected):
    zone = ZoneInfo("America/New_York")
    result = quiet_until(local.replace(tzinfo=zone).astimezone(UTC), "America/New_York", 21, 8)
    assert result == (expected.replace(tzinfo=zone).astimezone(UTC) if expected else None)


def test_quiet_hours_respect_a_storefronts_own_window(app, create_tenant, client, db_session):
    shop = create_tenant(quiet_start_hour=22, quiet_end_hour=7)
    case = client.post("/api/v1/cases", json=case_payload(), headers=shop.headers).get_json()
    at_21_30 = datetime(2026, 11, 23, 21, 30, tzinfo=SHANGHAI).astimezone(UTC)
    with app.app_context():
        _staff_transition_at(db_session, case["id"], at_21_30)
    sms = [n for n in rows(db_session, case["id"]) if n.template == "request_item"][1]
    assert sms.status == NoticeStatus.pending


def _inbound(client, app, body: str, phone: str = "+8613800138000", token: str = "tw-token"):
    settings = app.config["SETTINGS"]
    params = {
        "From": phone,
        "To": "+15005550006",
        "Body": body,
        "MessageSid": "SM" + "1" * 32,
        "AccountSid": "AC" + "0" * 32,
    }
    url = settings.public_base_url + "/webhooks/sms/twilio"
    return client.post(
        "/webhooks/sms/twilio",
        data=params,
        headers={"X-Twilio-Signature": twilio_signature(token, url, params)},
    )


@pytest.fixture
def twilio_token(app, monkeypatch):
    monkeypatch.setattr(app.config["SETTINGS"], "twilio_auth_token", "tw-token")


@pytest.mark.parametrize("word", ["STOP", "stop", "Unsubscribe", "退订"])
def test_stop_suppresses_later_sms_and_start_resumes(
    app, client, open_case, db_session, twilio_token, word
):
    case = open_case()
    response = _inbound(client, app, word)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    customer = db_session.get(Customer, uuid.UUID(case["customer"]["id"]))
    db_session.refresh(customer)
    assert customer.consent_sms is False and customer.sms_stopped_at is not None

    with app.app_context():
        _staff_transition_at(db_session, case["id"], datetime(2026, 11, 23, 4, 0, tzinfo=UTC))
    email, sms = [n for n in rows(db_session, case["id"]) if n.template == "request_item"]
    assert email.status == NoticeStatus.pending
    assert (sms.status, sms.last_error) == (NoticeStatus.suppressed, "customer replied STOP")

    assert _inbound(client, app, "START").status_code == 200
    db_session.refresh(customer)
    assert customer.consent_sms is True and customer.sms_stopped_at is None
    later = client.post(
        f"/api/v1/cases/{case['id']}/actions/cancel",
        json={"reason": "Sorted by phone"},
        headers={**_admin_headers(client, db_session), "If-Match": "*"},
    )
    assert later.status_code == 200
    sms = [n for n in rows(db_session, case["id"]) if n.template == "cancel"][1]
    assert sms.status in (NoticeStatus.pending, NoticeStatus.queued, NoticeStatus.deferred)


def _admin_headers(client, db_session) -> dict[str, str]:
    from service.core.auth import issue_staff_token
    from service.staff.models import StaffUser

    user = StaffUser(
        email=f"{uuid.uuid4().hex[:6]}@desk.example",
        name="Desk",
        role=StaffRole.admin,
        password_hash="x",
    )
    db_session.add(user)
    token = issue_staff_token(db_session, user)
    db_session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_an_inbound_sms_with_a_bad_signature_changes_nothing(
    app, client, open_case, db_session, twilio_token
):
    case = open_case()
    response = _inbound(client, app, "STOP", token="forged")
    assert response.status_code == 403
    customer = db_session.get(Customer, uuid.UUID(case["customer"]["id"]))
    assert customer.consent_sms is True


def test_other_inbound_words_change_nothing(app, client, open_case, db_session, twilio_token):
    case = open_case()
    assert _inbound(client, app, "When will my tablet be back?").status_code == 200
    assert db_session.get(Customer, uuid.UUID(case["customer"]["id"])).consent_sms is True


def test_the_notice_list_shows_status_and_reasons(client, tenant, open_case):
    case = open_case(customer={"name": "Bob", "email": "bob@example.com"})
    listed = client.get(
        f"/api/v1/cases/{case['id']}/notifications", headers=tenant.headers
    ).get_json()
    assert [(n["channel"], n["status"], n["last_error"]) for n in listed] == [
        ("email", listed[0]["status"], None),
        ("sms", "suppressed", "no phone number"),
    ]
    assert listed[0]["status"] in ("pending", "queued")


@pytest.mark.parametrize(
    ("body", "outcome", "consent"),
    [
        ("  Stop! ", "stop", False),
        ("退订。", "stop", False),
        ("unstop.", "start", True),
        ("XSTOP", None, True),
        ("STOPX", None, True),
        ("Please stop", None, True),
    ],
)
def test_sms_keywords_are_whole_words_with_trailing_punctuation_allowed(
    open_case, db_session, body, outcome, consent
):
    case = open_case()
    assert apply_sms_keyword(db_session, " +8613800138000 ", body) == outcome
    db_session.commit()
    customer = db_session.get(Customer, uuid.UUID(case["customer"]["id"]))
    db_session.refresh(customer)
    assert customer.consent_sms is consent
    assert (customer.sms_stopped_at is not None) == (outcome == "stop")


def test_an_email_to_a_customer_without_an_address_is_suppressed_saying_so(open_case, db_session):
    case = open_case(customer={"name": "Wu", "phone": "+8613800138001"})
    email, sms = rows(db_session, case["id"])
    assert (email.status, email.last_error) == (NoticeStatus.suppressed, "no email address")
    assert sms.status != NoticeStatus.suppressed
