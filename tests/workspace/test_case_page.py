"""The case page: what it shows, its action forms (fields from the API's body schemas),
the version guard, the roles, and every form's refusals (field named, nothing written)."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from service.cases.models import Case, CaseEvent, CaseStatus, ItemReceipt
from service.quotes.models import Quote
from service.surveys.models import Survey

SF_NUMBER = "SF1385628716739"
BAD_UPS = "1Z999AA10123456785"


def row(db_session, case: dict) -> Case:
    return db_session.get(Case, uuid.UUID(case["id"]), populate_existing=True)


def events(db_session, case: dict) -> int:
    return db_session.scalar(
        select(func.count())
        .select_from(CaseEvent)
        .where(CaseEvent.case_id == uuid.UUID(case["id"]))
    )


def page(client, case: dict) -> str:
    response = client.get(f"/cases/{case['id']}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def post_action(client, case: dict, action: str, data: dict, version: int | None = None):
    html = page(client, case)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    if version is None:
        version = int(re.search(r'name="version" value="(\d+)"', html).group(1))
    return client.post(
        f"/cases/{case['id']}/actions/{action}",
        data={**data, "csrf_token": token, "version": str(version)},
    )


def test_the_case_page_shows_the_case_its_customer_items_and_clocks(desk, agent, open_case):
    earlier = open_case(description="An earlier problem.")
    case = open_case()
    html = page(desk, case)
    assert case["number"] in html and "Li Wei" in html and "Tablet 10" in html
    assert "Repair" in html and "Normal" in html and "Unassigned" in html
    # The verdicts with the explanation the API gives.
    assert "In warranty" in html and case["items"][0]["warranty"]["explanation"] in html
    assert case["items"][0]["return_window"]["explanation"] in html
    # The other case of the same customer, linked.
    assert f'href="/cases/{earlier["id"]}"' in html
    # The same countdown as the queue.
    assert html.count("data-due=") == 2
    # The agent's actions now: exactly the API's allowed_actions, then the assignment,
    # then writing to the customer (never a status change).
    shown = re.findall(r'data-action="([a-z_]+)"', html)
    as_agent = desk.get(f"/api/v1/cases/{case['id']}", headers=agent.headers).get_json()
    assert shown == [*as_agent["allowed_actions"], "assign", "message"]


def test_the_case_is_found_by_its_number_too(desk, open_case):
    case = open_case()
    assert case["number"] in desk.get(f"/cases/{case['number']}").get_data(as_text=True)
    assert desk.get("/cases/XX-999999").status_code == 404


def test_receiving_registers_condition_and_accessories_per_item(desk, open_case, db_session):
    case = open_case()
    item = case["items"][0]["id"]
    response = post_action(
        desk,
        case,
        "receive",
        {
            "items.0.item_id": item,
            "items.0.condition": "damaged",
            "items.0.accessories": "charger, box",
            "note": "Dent on the back.",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert row(db_session, case).status == CaseStatus.received
    receipt = db_session.scalars(select(ItemReceipt)).one()
    assert receipt.condition.value == "damaged" and receipt.accessories == ["charger", "box"]
    assert receipt.received_by_name == "Ann Agent"


def test_receiving_without_a_condition_names_the_field_and_writes_nothing(
    desk, open_case, db_session
):
    case = open_case()
    before = events(db_session, case)
    response = post_action(
        desk, case, "receive", {"items.0.item_id": case["items"][0]["id"], "items.0.condition": ""}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Items 1: Condition" in html
    assert row(db_session, case).status == CaseStatus.open and events(db_session, case) == before


def test_a_stale_form_says_who_changed_the_case_and_writes_nothing(
    desk, open_case, db_session, act, admin
):
    case = open_case()
    html = page(desk, case)
    version = int(re.search(r'name="version" value="(\d+)"', html).group(1))
    # Someone else changes the case after the page was drawn.
    assert (
        act(
            case["id"], "request_item", {"shipping_instructions": "Post it."}, admin.headers
        ).status_code
        == 200
    )
    before = events(db_session, case)
    response = post_action(desk, case, "cancel", {"reason": "Customer changed mind"}, version)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Changed by" in text and admin.user.name in text and "reload" in text
    assert row(db_session, case).status == CaseStatus.awaiting_item
    assert events(db_session, case) == before


def test_a_technician_sees_no_desk_only_action_and_a_forged_one_is_refused(tech, walk, db_session):
    case = walk(CaseStatus.received)
    html = page(tech, case)
    shown = set(re.findall(r'data-action="([a-z_]+)"', html))
    assert "diagnose" in shown and "cancel" not in shown
    before = events(db_session, case)
    response = post_action(tech, case, "cancel", {"reason": "forged"})
    assert response.status_code == 403
    assert "may not" in response.get_data(as_text=True)
    assert row(db_session, case).status == CaseStatus.received
    assert events(db_session, case) == before


def test_diagnose_assigns_the_technician_picked(desk, walk, technician, db_session):
    case = walk(CaseStatus.received)
    html = page(desk, case)
    assert f'value="{technician.user.id}"' in html  # the picker lists the technicians
    response = post_action(desk, case, "diagnose", {"technician_id": str(technician.user.id)})
    assert response.status_code == 303
    assert row(db_session, case).assignee_id == technician.user.id


@pytest.mark.parametrize(
    ("status", "action", "data", "field"),
    [
        (
            "open",
            "request_item",
            {"shipping_instructions": ""},
            "Shipping instructions for the customer",
        ),
        ("received", "diagnose", {"technician_id": "not-an-id"}, "Technician"),
        ("received", "diagnose", {"technician_id": str(uuid.uuid4())}, "Technician"),
        ("diagnosing", "send_quote", {"currency": "CNY", "valid_until": "2099-01-01"}, "Lines"),
        (
            "diagnosing",
            "send_quote",
            {
                "currency": "CNY",
                "valid_until": "2099-01-01",
                "lines.0.kind": "part",
                "lines.0.description": "Screen",
                "lines.0.unit_price_minor": "twelve",
            },
            "Lines 1: Unit price",
        ),
        (
            "diagnosing",
            "send_quote",
            {"currency": "XYZ", "lines.0.description": "x", "lines.0.unit_price_minor": "1"},
            "Currency",
        ),
        ("repairing", "finish_repair", {"fix": "New screen"}, "Problem found"),
        ("ready_to_ship", "ship", {"tracking_number": BAD_UPS}, "Carrier"),
        ("ready_to_ship", "ship", {"tracking_number": "x"}, "Tracking number"),
        ("open", "cancel", {"reason": ""}, "Reason"),
        ("closed", "reopen", {"reason": ""}, "Reason"),
        ("shipped", "deliver", {"note": "x" * 2001}, "Note (internal)"),
        ("open", "assign", {"priority": "whenever"}, "Priority"),
    ],
)
def test_each_form_names_the_field_it_refuses_and_writes_nothing(
    boss, walk, db_session, status, action, data, field
):
    case = walk(CaseStatus(status))
    before = events(db_session, case)
    response = post_action(boss, case, action, data)
    assert response.status_code == 422, response.get_data(as_text=True)[:2000]
    assert f"{field}:" in response.get_data(as_text=True)
    db_session.expire_all()
    assert row(db_session, case).status == CaseStatus(status)
    assert events(db_session, case) == before


@pytest.mark.parametrize(
    ("kind", "status", "action", "data", "field"),
    [
        ("return", "received", "refund", {"currency": "CNY"}, "Amount"),
        ("return", "received", "refund", {"currency": "CNY", "amount_minor": "1.234"}, "Amount"),
        ("exchange", "received", "replace", {"replacement_sku": "x" * 65}, "Replacement SKU"),
        ("complaint", "open", "resolve", {"resolution": ""}, "Resolution"),
    ],
)
def test_refund_replace_and_resolve_forms_name_what_they_refuse(
    boss, walk, db_session, kind, status, action, data, field
):
    from service.cases.models import CaseKind

    case = walk(CaseStatus(status), CaseKind(kind))
    response = post_action(boss, case, action, data)
    assert response.status_code == 422
    assert f"{field}:" in response.get_data(as_text=True)
    assert row(db_session, case).status == CaseStatus(status)


def test_a_refund_in_major_units_is_recorded_in_minor_units(boss, walk, db_session):
    from service.cases.models import CaseKind

    case = walk(CaseStatus.received, CaseKind.return_)
    response = post_action(boss, case, "refund", {"currency": "CNY", "amount_minor": "199.50"})
    assert response.status_code == 303
    assert row(db_session, case).refund_amount_minor == 19950


def test_the_quote_editor_sends_lines_and_the_server_prices_them(tech, walk, db_session):
    case = walk(
        CaseStatus.diagnosing,
        items=[{"sku": "TAB-10", "name": "Tablet", "purchase_date": "2020-01-01"}],
    )
    html = page(tech, case)
    assert "data-quote" in html and "data-tax-bp" in html
    response = post_action(
        tech,
        case,
        "send_quote",
        {
            "currency": "CNY",
            "valid_until": "2099-01-01",
            "lines.0.kind": "part",
            "lines.0.description": "Screen",
            "lines.0.quantity": "2",
            "lines.0.unit_price_minor": "120.00",
            "lines.1.kind": "labour",
            "lines.1.description": "Fitting",
            "lines.1.unit_price_minor": "50",
            "lines.2.kind": "part",
            "lines.2.description": "",
            "lines.2.unit_price_minor": "",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    quote = db_session.scalars(select(Quote)).one()
    assert [line.charged_minor for line in quote.lines] == [24000, 5000]
    assert quote.total_minor == quote.subtotal_minor + quote.tax_minor == 29000 + quote.tax_minor
    assert "¥290.00" in page(tech, case) or "290.00" in page(tech, case)


def test_the_ship_form_hint_names_the_carrier_or_the_bad_check_digit(desk):
    sf = desk.get(f"/tracking-check?tracking_number={SF_NUMBER}").get_data(as_text=True)
    assert "SF Express" in sf and 'data-carrier="sf_express"' in sf
    ups = desk.get(f"/tracking-check?tracking_number={BAD_UPS}").get_data(as_text=True)
    assert "check digit" in ups and "UPS" in ups
    assert desk.get("/tracking-check?tracking_number=").status_code == 200
    both = desk.get("/tracking-check?tracking_number=123456789012").get_data(as_text=True)
    assert "several carriers" in both and "SF Express" in both
    # Still typing: no complaint yet.
    assert "error" not in desk.get("/tracking-check?tracking_number=SF12").get_data(as_text=True)
    wrong = desk.get("/tracking-check?tracking_number=ABC123456789&carrier=ups")
    assert "Not a valid UPS tracking number" in wrong.get_data(as_text=True)


def test_the_carrier_hint_speaks_the_page_language(desk):
    html = desk.get(
        f"/tracking-check?tracking_number={BAD_UPS}", headers={"Accept-Language": "zh-CN"}
    ).get_data(as_text=True)
    assert "校验位" in html


def test_shipping_with_an_sf_number_detects_the_carrier(desk, walk, db_session):
    case = walk(CaseStatus.ready_to_ship)
    response = post_action(desk, case, "ship", {"tracking_number": SF_NUMBER})
    assert response.status_code == 303
    assert row(db_session, case).shipments[-1].carrier_code == "sf_express"


def follow_up(client, case: dict, data: dict):
    html = page(client, case)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    return client.post(
        f"/cases/{case['id']}/follow-up", data={**data, "csrf_token": token, "version": version}
    )


SCORES = {
    "service_attitude": "5",
    "product_quality": "4",
    "price_reasonableness": "3",
    "overall_satisfaction": "5",
}


def test_the_follow_up_call_records_the_answers_and_closes_the_case(desk, walk, db_session):
    case = walk(CaseStatus.delivered)
    assert 'data-action="follow_up"' in page(desk, case)
    response = follow_up(desk, case, {**SCORES, "comment": "Quick repair"})
    assert response.status_code == 303
    assert row(db_session, case).status == CaseStatus.closed
    survey = db_session.scalars(select(Survey)).one()
    assert survey.answer_channel.value == "phone" and survey.overall_satisfaction == 5
    assert "Quick repair" in page(desk, case)


def test_a_follow_up_without_a_score_names_it_and_writes_nothing(desk, walk, db_session):
    case = walk(CaseStatus.delivered)
    response = follow_up(desk, case, {**SCORES, "product_quality": ""})
    assert response.status_code == 422
    assert "Product quality:" in response.get_data(as_text=True)
    assert row(db_session, case).status == CaseStatus.delivered
    assert db_session.scalars(select(Survey)).one().answered_at is None


def test_notices_show_sent_deferred_suppressed_and_failed_with_the_reason(
    desk, open_case, db_session
):
    from datetime import timedelta

    from service.core.db import utcnow
    from service.notifications.models import NoticeStatus, Notification

    case = open_case()
    notices = db_session.scalars(
        select(Notification).where(Notification.case_id == uuid.UUID(case["id"]))
    ).all()
    assert notices, "opening a case writes its notices"
    template = notices[0]
    later = utcnow() + timedelta(hours=9)
    for status, error in (
        (NoticeStatus.sent, None),
        (NoticeStatus.deferred, None),
        (NoticeStatus.suppressed, "no consent for sms"),
        (NoticeStatus.failed, "550 mailbox unavailable"),
    ):
        db_session.add(
            Notification(
                event_key=f"test-{status.value}",
                case_id=template.case_id,
                channel=template.channel,
                template=template.template,
                locale="en",
                recipient=template.recipient,
                body_text="x",
                status=status,
                last_error=error,
                scheduled_for=later,
                sent_at=utcnow() if status == NoticeStatus.sent else None,
            )
        )
    db_session.flush()
    html = page(desk, case)
    assert "Sent " in html and "Deferred until" in html
    assert "Suppressed: no consent for sms" in html and "Failed: 550 mailbox unavailable" in html


def test_internal_entries_are_marked_apart_from_what_the_customer_sees(desk, walk):
    case = walk(CaseStatus.received)
    post_action(desk, case, "assign", {"priority": "high", "note": "VIP customer"})
    html = page(desk, case)
    internal = re.search(r'<li class="internal">(.*?)</li>', html, re.S).group(1)
    assert "VIP customer" in internal and "Internal" in internal
    public = re.findall(r'<li class="public">(.*?)</li>', html, re.S)
    assert public and all("Customer sees this" in entry for entry in public)


def test_the_assignment_form_assigns_sets_priority_and_escalates(
    desk, open_case, agent, db_session
):
    case = open_case()
    response = post_action(
        desk,
        case,
        "assign",
        {"assignee_id": str(agent.user.id), "priority": "urgent", "escalated": "1"},
    )
    assert response.status_code == 303
    saved = row(db_session, case)
    assert saved.assignee_id == agent.user.id and saved.priority.value == "urgent"
    assert saved.escalated is True


def test_the_desk_records_a_quote_approved_over_the_phone(desk, walk, db_session):
    case = walk(CaseStatus.quote_pending)
    html = page(desk, case)
    assert 'data-action="approve_quote"' in html and 'name="quote_id"' in html
    quote_id = re.search(r'name="quote_id" value="([^"]+)"', html).group(1)
    assert quote_id == case["current_quote"]["id"]
    assert post_action(desk, case, "approve_quote", {"quote_id": quote_id}).status_code == 303
    assert row(db_session, case).status == CaseStatus.repairing


def test_verdicts_and_explanations_speak_the_page_language(desk, open_case):
    case = open_case()
    html = desk.get(f"/cases/{case['id']}", headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True
    )
    assert '<html lang="zh-CN">' in html
    assert "所有商品都在保修期内" in html and "保修至 2027-09-01" in html


def test_a_stale_follow_up_form_writes_nothing(desk, walk, db_session, act, admin):
    case = walk(CaseStatus.delivered)
    html = page(desk, case)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    assert act(case["id"], "close", {}, admin.headers).status_code == 200
    response = desk.post(
        f"/cases/{case['id']}/follow-up", data={**SCORES, "csrf_token": token, "version": version}
    )
    assert response.status_code == 409 and "Changed by" in response.get_data(as_text=True)
    assert db_session.scalars(select(Survey)).one().answered_at is None


@pytest.mark.parametrize("amount", ["sNaN", "NaN", "Infinity", "1e400", "12.345", "-3"])
def test_a_refund_amount_that_is_no_amount_is_refused_by_name(boss, walk, db_session, amount):
    from service.cases.models import CaseKind

    case = walk(CaseStatus.received, CaseKind.return_)
    response = post_action(boss, case, "refund", {"currency": "CNY", "amount_minor": amount})
    assert response.status_code == 422 and "Amount:" in response.get_data(as_text=True)
    assert row(db_session, case).status == CaseStatus.received
