"""The phone desk: look the caller up by phone in any format, log the call on one of
their cases, or open a new case from the call; refusals name the field, write nothing."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from service.cases.models import Case, CaseChannel
from service.contact_log.models import Contact
from tests.workspace.conftest import post_form


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def test_the_header_offers_a_new_call_from_every_page(desk):
    assert 'href="/calls/new"' in desk.get("/queue").get_data(as_text=True)


def test_the_caller_is_found_by_phone_in_any_format_with_their_open_cases(desk, open_case):
    case = open_case()  # phone +86 138 0013 8000
    html = desk.get("/calls/new?phone=%2B86%20138-0013-8000").get_data(as_text=True)
    assert "+8613800138000" in html and "Li Wei" in html and case["number"] in html
    unknown = desk.get("/calls/new?phone=%2B8613912345678").get_data(as_text=True)
    assert "a new caller" in unknown
    assert "Not a phone number" in desk.get("/calls/new?phone=abc").get_data(as_text=True)


def test_a_call_is_logged_on_the_chosen_case(desk, open_case, db_session):
    case = open_case()
    response = post_form(
        desk,
        "/calls/log",
        {"case": case["id"], "direction": "in", "summary": "Asks when", "outcome": "Told Friday"},
        token_from="/calls/new",
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/cases/{case['id']}")
    contact = db_session.scalars(select(Contact)).one()
    assert contact.summary == "Asks when" and contact.channel.value == "phone"
    assert contact.staff_name == "Ann Agent"


def test_logging_a_call_without_a_reason_or_a_case_names_them_and_writes_nothing(
    desk, open_case, db_session
):
    open_case()
    response = post_form(
        desk, "/calls/log", {"case": "", "direction": "in", "summary": ""}, token_from="/calls/new"
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Case:" in html and "Reason for the call:" in html
    assert count(db_session, Contact) == 0


NEW_CASE = {
    "customer.name": "Wang Fang",
    "customer.phone": "139 1234 5678",
    "kind": "repair",
    "description": "No sound from the speaker.",
    "items.0.sku": "SPK-1",
    "items.0.name": "Speaker",
    "items.0.purchase_date": "2024-01-10",
}


def test_a_new_case_opens_from_the_call_on_the_phone_channel(desk, tenant, db_session):
    response = post_form(
        desk,
        "/calls/open",
        {
            **NEW_CASE,
            "customer.phone": "+86 139 1234 5678",
            "storefront_id": str(tenant.storefront.id),
        },
        token_from="/calls/new",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    case_id = uuid.UUID(response.headers["Location"].rsplit("/", 1)[1])
    case = db_session.get(Case, case_id)
    assert case.channel == CaseChannel.phone and case.customer.name == "Wang Fang"
    assert case.customer.phone == "+8613912345678" and case.items[0].in_warranty is False
    # The call itself is on the new case's contact log.
    assert db_session.scalars(select(Contact)).one().case_id == case_id


def test_a_new_case_without_a_name_or_item_date_names_them_and_writes_nothing(
    desk, tenant, db_session
):
    before = count(db_session, Case)
    response = post_form(
        desk,
        "/calls/open",
        {
            **NEW_CASE,
            "customer.name": "",
            "items.0.purchase_date": "",
            "storefront_id": str(tenant.storefront.id),
        },
        token_from="/calls/new",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Customer: Name:" in html and "Items 1: Purchase date:" in html
    assert count(db_session, Case) == before and count(db_session, Contact) == 0


def test_a_case_reference_holding_nul_is_no_case_not_an_error(desk, open_case, db_session):
    open_case()
    assert desk.get("/cases/HB-%00").status_code == 404
    response = post_form(
        desk,
        "/calls/log",
        {"case": "HB-\x00", "direction": "in", "summary": "x"},
        token_from="/calls/new",
    )
    assert response.status_code == 422
    assert "Case:" in response.get_data(as_text=True)
    assert count(db_session, Contact) == 0
