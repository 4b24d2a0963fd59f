"""Writing to the customer from the case page: the same path as the API's
POST /cases/{id}/messages (outbox, contact log, first response), an internal note that
is never sent, a saved reply, and refusals that name the field and write nothing."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from service.cases.models import Case
from service.contact_log.models import Contact
from service.conversations.models import Macro, Message, MessageKind
from service.notifications.models import Notification
from tests.workspace.conftest import post_form


def _count(db_session, model, case: dict) -> int:
    return db_session.scalar(
        select(func.count()).select_from(model).where(model.case_id == uuid.UUID(case["id"]))
    )


def test_the_desk_writes_to_the_customer_by_email_and_sms_from_the_case_page(
    desk, open_case, db_session
):
    case = open_case()
    path = f"/cases/{case['id']}"
    notices_before = _count(db_session, Notification, case)
    response = post_form(
        desk,
        f"{path}/messages",
        {"channels": ["email", "sms"], "body": "Hello {customer_name}, your parcel left today."},
        token_from=path,
    )
    assert response.status_code == 303, response.get_data(as_text=True)

    message = db_session.scalars(
        select(Message).where(Message.case_id == uuid.UUID(case["id"]))
    ).one()
    assert message.kind == MessageKind.message and message.channels == ["email", "sms"]
    assert message.body == "Hello Li Wei, your parcel left today."
    assert _count(db_session, Notification, case) == notices_before + 2  # one per channel
    assert _count(db_session, Contact, case) == 2  # an outbound contact per channel
    opened = db_session.get(Case, uuid.UUID(case["id"]), populate_existing=True)
    assert opened.first_responded_at is not None  # the message answered the case
    html = desk.get(path).get_data(as_text=True)
    assert "Hello Li Wei, your parcel left today." in html and "data-message" in html


def test_an_internal_note_from_the_case_page_is_never_sent(desk, open_case, db_session):
    case = open_case()
    path = f"/cases/{case['id']}"
    notices_before = _count(db_session, Notification, case)
    response = post_form(
        desk,
        f"{path}/messages",
        {"internal": "1", "body": "Customer is a reseller; check the invoice."},
        token_from=path,
    )
    assert response.status_code == 303
    assert _count(db_session, Notification, case) == notices_before
    note = db_session.scalars(select(Message).where(Message.case_id == uuid.UUID(case["id"]))).one()
    assert note.kind == MessageKind.note and note.channels == []


def test_a_saved_reply_is_offered_and_sent_in_the_customers_words(
    desk, open_case, tenant, db_session
):
    case = open_case()
    macro = Macro(
        storefront_id=tenant.storefront.id,
        name="Parcel received",
        bodies={"en": "We have {case_number}.", "zh-CN": "我们已收到 {case_number}。"},
    )
    db_session.add(macro)
    db_session.commit()
    path = f"/cases/{case['id']}"
    assert "Parcel received" in desk.get(path).get_data(as_text=True)
    response = post_form(
        desk, f"{path}/messages", {"channels": "email", "macro_id": str(macro.id)}, token_from=path
    )
    assert response.status_code == 303
    message = db_session.scalars(
        select(Message).where(Message.case_id == uuid.UUID(case["id"]))
    ).one()
    assert case["number"] in message.body


def test_an_empty_message_or_an_unknown_placeholder_is_named_and_nothing_is_written(
    desk, open_case, db_session
):
    case = open_case()
    path = f"/cases/{case['id']}"
    notices_before = _count(db_session, Notification, case)
    for data, field in (
        ({"channels": "email", "body": "  "}, "body"),
        ({"channels": "email", "body": "Dear {nickname}"}, "body"),
        ({"channels": "fax", "body": "Hello"}, "channels"),
    ):
        response = post_form(desk, f"{path}/messages", data, token_from=path)
        assert response.status_code == 422, data
        assert f"{field}:" in response.get_data(as_text=True), data
    assert _count(db_session, Message, case) == 0
    assert _count(db_session, Notification, case) == notices_before


def test_a_message_post_without_the_csrf_token_is_refused(desk, open_case, db_session):
    case = open_case()
    response = desk.post(f"/cases/{case['id']}/messages", data={"body": "Hi"})
    assert response.status_code == 400
    assert _count(db_session, Message, case) == 0


def test_the_queue_filters_the_cases_whose_customer_replied(desk, open_case, db_session):
    replied, quiet = open_case(), open_case()
    row = db_session.get(Case, uuid.UUID(replied["id"]))
    row.customer_replied = True
    db_session.commit()
    html = desk.get("/queue?customer_replied=1").get_data(as_text=True)
    assert replied["number"] in html and quiet["number"] not in html
