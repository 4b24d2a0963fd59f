"""What the outbox decides when a case changes: one row per channel, rendered in the
customer's language, suppressed without consent, SMS deferred in quiet hours."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from service.cases.lifecycle import perform
from service.cases.models import Case
from service.core.auth import Actor, ActorType
from service.customers.models import Customer
from service.notifications.consent import apply_sms_keyword
from service.notifications.models import Channel, NoticeStatus, Notification
from service.notifications.outbox import write_customer_notices
from service.notifications.quiet_hours import quiet_until, supersede_waiting
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
    assert (email.status, email.scheduled_for) == (
        NoticeStatus.queued,
        at_23,
    )  # handed to the relay
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
    assert sms.status == NoticeStatus.queued


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
    assert email.status == NoticeStatus.queued
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


def _quiet_now_window() -> dict[str, int]:
    """A storefront quiet window the present hour in Shanghai sits well inside."""
    hour = datetime.now(SHANGHAI).hour
    return {"quiet_start_hour": (hour - 1) % 24, "quiet_end_hour": (hour + 2) % 24}


def test_four_transitions_at_night_leave_one_sms_for_the_morning_the_others_superseded(
    client, create_tenant, admin, technician, act, db_session
):
    from tests.cases.lifecycle_paths import body_for

    shop = create_tenant(**_quiet_now_window())
    case = client.post("/api/v1/cases", json=case_payload(), headers=shop.headers).get_json()
    for action in ("request_item", "receive", "diagnose", "send_quote"):
        current = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()
        body = body_for(action, current, str(technician.user.id))
        assert act(case["id"], action, body, admin.headers).status_code == 200

    notices = rows(db_session, case["id"])
    texts = [n for n in notices if n.channel.value == "sms"]
    assert [n.template for n in texts] == [
        "open",
        "request_item",
        "receive",
        "diagnose",
        "send_quote",
    ]
    *earlier, latest = texts
    assert (latest.status, latest.last_error) == (NoticeStatus.deferred, None)
    assert latest.scheduled_for > latest.created_at  # waits for the morning
    # Each was superseded when the next one was written.
    assert [(n.status, n.last_error) for n in earlier] == [
        (NoticeStatus.suppressed, f"superseded by a later SMS ({later.template})")
        for later in texts[1:]
    ]
    # E-mail is not coalesced: every step went at its hour.
    emails = [n for n in notices if n.channel.value == "email"]
    assert len(emails) == 5
    assert {n.status for n in emails} <= {NoticeStatus.pending, NoticeStatus.queued}


def test_an_sms_deferred_at_send_time_is_superseded_by_a_later_one_in_the_morning(
    app, open_case, db_session
):
    from service.notifications.delivery import hold_back

    case = open_case()  # a Shanghai customer; the default window is 21:00-08:00
    first = next(n for n in rows(db_session, case["id"]) if n.channel.value == "sms")
    # Its job has not run yet (Redis was down, say), whatever the hour is now.
    first.status, first.scheduled_for = NoticeStatus.pending, first.created_at
    db_session.commit()
    # A later SMS of the case, written at night.
    at_21_05 = datetime(2027, 1, 11, 21, 5, tzinfo=SHANGHAI).astimezone(UTC)
    with app.app_context():
        _staff_transition_at(db_session, case["id"], at_21_05)
    db_session.refresh(first)
    assert first.template == "open" and first.status == NoticeStatus.pending
    with app.app_context():
        # ... so the night's send-time check defers it, and the morning's suppresses it.
        assert hold_back(db_session, first.id, at_21_05) == "deferred: quiet hours"
        morning = datetime(2027, 1, 12, 8, 0, tzinfo=SHANGHAI).astimezone(UTC)
        assert hold_back(db_session, first.id, morning) == "suppressed: superseded"
    db_session.refresh(first)
    assert (first.status, first.last_error) == (
        NoticeStatus.suppressed,
        "superseded by a later SMS (request_item)",
    )


@pytest.fixture
def uncertain_email(open_case, db_session) -> tuple[dict, Notification]:
    case = open_case()
    email = rows(db_session, case["id"])[0]
    email.status, email.last_error = NoticeStatus.uncertain, "uncertain: may have been delivered"
    db_session.commit()
    return case, email


def test_staff_release_an_uncertain_email_to_be_sent_again(
    client, admin, uncertain_email, db_session
):
    case, email = uncertain_email
    url = f"/api/v1/cases/{case['id']}/notifications/{email.id}/release"
    response = client.post(url, headers=admin.headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] in ("pending", "queued")
    assert response.get_json()["last_error"] == "released by Ada Admin: sent again"
    again = client.post(url, headers=admin.headers)
    assert again.status_code == 409
    assert again.get_json()["message"].startswith("The notice is ")


@pytest.mark.parametrize("decision", ["release", "drop"])
def test_a_storefront_cannot_decide_on_an_uncertain_email(
    client, tenant, uncertain_email, db_session, decision
):
    case, email = uncertain_email
    response = client.post(
        f"/api/v1/cases/{case['id']}/notifications/{email.id}/{decision}", headers=tenant.headers
    )
    assert response.status_code == 403
    db_session.refresh(email)
    assert email.status == NoticeStatus.uncertain


def test_deciding_on_a_notice_that_is_not_uncertain_or_not_the_cases_is_refused(
    client, admin, open_case, uncertain_email, db_session
):
    case, email = uncertain_email
    sms = rows(db_session, case["id"])[1]
    other = open_case()
    base = f"/api/v1/cases/{case['id']}/notifications"
    not_held = client.post(f"{base}/{sms.id}/drop", headers=admin.headers)
    assert not_held.status_code == 409 and sms.status.value in not_held.get_json()["message"]
    elsewhere = client.post(
        f"/api/v1/cases/{other['id']}/notifications/{email.id}/drop", headers=admin.headers
    )
    assert elsewhere.status_code == 404
    unknown = client.post(f"{base}/{uuid.uuid4()}/drop", headers=admin.headers)
    assert unknown.status_code == 404
    db_session.refresh(email)
    assert email.status == NoticeStatus.uncertain


def test_a_staff_message_waiting_out_the_night_is_not_superseded_by_a_later_status_sms(
    client, create_tenant, admin, technician, act, db_session
):
    from tests.cases.lifecycle_paths import body_for

    shop = create_tenant(**_quiet_now_window())
    case = client.post("/api/v1/cases", json=case_payload(), headers=shop.headers).get_json()
    written = client.post(
        f"/api/v1/cases/{case['id']}/messages",
        json={"channels": ["sms"], "body": "We have a courier slot tomorrow at 10."},
        headers=admin.headers,
    )
    assert written.status_code == 201, written.get_json()
    current = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()
    body = body_for("request_item", current, str(technician.user.id))
    assert act(case["id"], "request_item", body, admin.headers).status_code == 200

    texts = {n.template: n for n in rows(db_session, case["id"]) if n.channel.value == "sms"}
    # The status SMS coalesce among themselves; the person's message still goes.
    assert (texts["message"].status, texts["message"].last_error) == (NoticeStatus.deferred, None)
    assert texts["open"].status == NoticeStatus.suppressed
    assert texts["request_item"].status == NoticeStatus.deferred


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


def test_notices_over_the_hourly_cap_of_a_case_are_suppressed_saying_so(
    app, open_case, db_session, monkeypatch
):
    monkeypatch.setattr(app.config["SETTINGS"], "notices_per_case_per_hour", 2)
    case = db_session.get(Case, uuid.UUID(open_case()["id"]))
    # 11:00 in Shanghai (no quiet hours), days before the case's own opening notices.
    start = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    with app.test_request_context():
        written = [
            write_customer_notices(db_session, case, "request_item", f"test:{n}", start + step)
            for n, step in enumerate([timedelta(0), timedelta(minutes=20), timedelta(minutes=40)])
        ]
    assert all(row.status == NoticeStatus.queued for row in written[0] + written[1])
    for row in written[2]:
        assert row.status == NoticeStatus.suppressed
        assert row.last_error == f"over the cap of 2 {row.channel.value} notices per case per hour"
    # An hour after the first, there is room again.
    with app.test_request_context():
        later = write_customer_notices(
            db_session, case, "request_item", "test:later", start + timedelta(minutes=61)
        )
    assert [row.status for row in later] == [NoticeStatus.queued, NoticeStatus.queued]


def test_notices_to_one_recipient_over_its_hourly_cap_are_suppressed_whatever_the_case(
    app, open_case, db_session, monkeypatch
):
    monkeypatch.setattr(app.config["SETTINGS"], "notices_per_recipient_per_hour", 2)
    cases = [db_session.get(Case, uuid.UUID(open_case()["id"])) for _ in range(3)]
    start = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
    with app.test_request_context():
        written = [
            write_customer_notices(db_session, case, "request_item", f"cap:{n}", start)
            for n, case in enumerate(cases)
        ]
    assert all(row.status == NoticeStatus.queued for row in written[0] + written[1])
    email, sms = written[2]
    assert (sms.status, sms.last_error) == (
        NoticeStatus.suppressed,
        "over the cap of 2 sms notices to +8613800138000 per hour",
    )
    assert email.status == NoticeStatus.suppressed and "li.wei@example.com" in email.last_error


@pytest.mark.parametrize(
    ("newer", "supersedes"),
    [
        ({}, True),
        ({"channel": Channel.email}, False),  # e-mail is never coalesced
        ({"status": NoticeStatus.failed}, False),  # it will not go (could not be rendered)
        ({"status": NoticeStatus.suppressed}, False),
        ({"template": "message"}, False),  # a person's message repeats no status
    ],
    ids=["status SMS", "email", "failed", "suppressed", "staff message"],
)
def test_only_a_later_status_sms_that_will_go_supersedes_the_waiting_ones(
    open_case, db_session, newer, supersedes
):
    case = open_case()
    waiting = next(n for n in rows(db_session, case["id"]) if n.channel == Channel.sms)
    waiting.status = NoticeStatus.deferred
    db_session.commit()
    now = waiting.created_at + timedelta(minutes=5)
    later = Notification(
        id=uuid.uuid4(),
        event_key=f"later:{uuid.uuid4().hex}",
        case_id=waiting.case_id,
        locale="en",
        recipient="+8613800138000",
        body_text="A later step.",
        scheduled_for=now,
        created_at=now,
        updated_at=now,
        **{"channel": Channel.sms, "template": "receive", "status": NoticeStatus.pending, **newer},
    )
    db_session.add(later)
    db_session.flush()
    count = supersede_waiting(db_session, later, now)
    db_session.commit()
    db_session.refresh(waiting)
    if supersedes:
        assert (count, waiting.status, waiting.last_error, waiting.updated_at) == (
            1,
            NoticeStatus.suppressed,
            "superseded by a later SMS (receive)",
            now,
        )
    else:
        assert (count, waiting.status) == (0, NoticeStatus.deferred)


def test_a_later_sms_supersedes_neither_another_cases_sms_nor_an_email_awaiting_its_retry(
    app, open_case, db_session
):
    mine, other = open_case(), open_case()
    email = next(n for n in rows(db_session, mine["id"]) if n.channel == Channel.email)
    theirs = next(n for n in rows(db_session, other["id"]) if n.channel == Channel.sms)
    # A transient SMTP failure defers an e-mail to its retry; the other case's SMS waits
    # out the night.
    email.status = theirs.status = NoticeStatus.deferred
    db_session.commit()
    at_21_05 = datetime(2027, 1, 11, 21, 5, tzinfo=SHANGHAI).astimezone(UTC)
    with app.app_context():
        _staff_transition_at(db_session, mine["id"], at_21_05)  # writes a later SMS
    later = [n for n in rows(db_session, mine["id"]) if n.channel == Channel.sms][-1]
    assert (later.template, later.status) == ("request_item", NoticeStatus.deferred)
    db_session.refresh(email)
    db_session.refresh(theirs)
    assert (email.status, theirs.status) == (NoticeStatus.deferred, NoticeStatus.deferred)


def test_an_email_to_an_address_that_bounced_is_suppressed_saying_so(app, open_case, db_session):
    case = open_case()
    customer = db_session.get(Customer, uuid.UUID(case["customer"]["id"]))
    customer.email_bounced_at = datetime(2027, 1, 11, 2, 0, tzinfo=UTC)
    db_session.commit()
    with app.app_context():
        _staff_transition_at(db_session, case["id"], datetime(2027, 1, 11, 3, 0, tzinfo=UTC))
    email = [n for n in rows(db_session, case["id"]) if n.channel == Channel.email][-1]
    assert (email.template, email.status, email.last_error) == (
        "request_item",
        NoticeStatus.suppressed,
        "email address bounced",
    )
