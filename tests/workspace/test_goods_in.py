"""The goods-in register: every receipt by day, filterable, paged, printable."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from service.cases.models import CaseItem, CaseStatus, ItemCondition, ItemReceipt
from service.workspace.views import goods_in as goods_in_view


def receipt_rows(response) -> list[str]:
    return re.findall(r'<tr data-receipt="([^"]+)"', response.get_data(as_text=True))


def receipt_of(db_session, case: dict) -> ItemReceipt:
    return db_session.scalars(
        select(ItemReceipt).join(CaseItem).where(CaseItem.case_id == uuid.UUID(case["id"]))
    ).one()


def test_a_received_item_is_in_the_register_with_who_what_and_its_case(desk, walk, db_session):
    case = walk(CaseStatus.received)
    receipt = receipt_of(db_session, case)
    response = desk.get("/goods-in")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert receipt_rows(response) == [str(receipt.id)]
    assert case["number"] in html and "Tablet 10" in html
    assert receipt.received_by_name in html
    assert "As described" in html or "Damaged" in html


def test_the_register_filters_by_condition_person_and_day(desk, walk, db_session, admin):
    case = walk(CaseStatus.received)
    receipt = receipt_of(db_session, case)
    day = receipt.received_at.date().isoformat()
    shown = receipt_rows
    assert shown(desk.get(f"/goods-in?condition={receipt.condition.value}")) == [str(receipt.id)]
    other = next(c for c in ItemCondition if c != receipt.condition)
    assert shown(desk.get(f"/goods-in?condition={other.value}")) == []
    assert shown(desk.get(f"/goods-in?by={admin.user.id}")) == [str(receipt.id)]
    assert shown(desk.get("/goods-in?by=me")) == []
    assert shown(desk.get(f"/goods-in?from={day}&to={day}")) == [str(receipt.id)]
    assert shown(desk.get("/goods-in?from=2001-01-01&to=2001-01-02")) == []


def test_a_bad_filter_is_named_and_left_out(desk, walk):
    walk(CaseStatus.received)
    response = desk.get("/goods-in?from=yesterday&condition=soggy")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Filter from left out" in html and "Filter condition left out" in html
    assert len(receipt_rows(response)) == 1


def test_the_register_pages_by_keyset(desk, walk, monkeypatch):
    first, _second, third = (walk(CaseStatus.received) for _ in range(3))
    monkeypatch.setattr(goods_in_view, "PAGE_SIZE", 2)
    page1 = desk.get("/goods-in")
    assert len(receipt_rows(page1)) == 2
    cursor = re.search(r'href="/goods-in\?cursor=([^"&]+)', page1.get_data(as_text=True)).group(1)
    page2 = desk.get(f"/goods-in?cursor={cursor}")
    assert len(receipt_rows(page2)) == 1
    assert not set(receipt_rows(page1)) & set(receipt_rows(page2))
    assert third["number"] in page1.get_data(as_text=True)
    assert first["number"] in page2.get_data(as_text=True)


def test_htmx_gets_only_the_rows(desk, walk):
    walk(CaseStatus.received)
    html = desk.get("/goods-in", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert html.lstrip().startswith('<div id="goods-in-rows">')
    assert "<html" not in html


def test_staff_bound_to_a_storefront_see_only_its_receipts(
    sign_in, create_staff, walk, other_tenant
):
    walk(CaseStatus.received)
    bound = sign_in(create_staff("agent", storefront=other_tenant.storefront))
    assert receipt_rows(bound.get("/goods-in")) == []


def test_the_register_prints_without_navigation_or_filters(client, desk):
    css = client.get("/workspace/static/workspace.css").get_data(as_text=True)
    print_rules = css.split("@media print")[1:]
    assert any(".top" in rules and ".filters" in rules for rules in print_rules)
    assert any(".no-print" in rules for rules in print_rules)
    html = desk.get("/goods-in").get_data(as_text=True)
    assert 'class="filters"' in html and "data-print" in html
