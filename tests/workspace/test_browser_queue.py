"""The queue in a real browser: keyboard navigation, search as you type, bulk assign,
clocks that tick; screenshots in both languages."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from service.cases.models import Case
from service.core.db import utcnow
from tests.customer_pages.sample import CHINESE, ENGLISH, OUT_OF_WARRANTY
from tests.workspace.conftest import LOCALES

WORDS = {
    "en": {"queue": "Queue", "apply": "Apply", "updated": "2 cases updated."},
    "zh-CN": {"queue": "工单队列", "apply": "执行", "updated": "已更新 2 个工单。"},
}


def _fill_queue(desk_site) -> list[dict]:
    """Four cases: the second late on its first response, the first due in half an hour."""
    cases = [
        desk_site.open_case(customer=ENGLISH, items=[OUT_OF_WARRANTY]),
        desk_site.open_case(customer=CHINESE, order_reference="ORD-88", channel="phone"),
        desk_site.open_case(
            kind="inquiry",
            items=[],
            customer={
                **ENGLISH,
                "external_id": "cust-olu",
                "name": "Olu Ade",
                "email": "olu@example.com",
                "phone": "+44 7400 123456",
            },
        ),
        desk_site.open_case(kind="complaint", items=[], customer=CHINESE),
    ]
    with desk_site.app.extensions["database"].sessionmaker() as session:
        late = session.get(Case, uuid.UUID(cases[1]["id"]))
        late.first_response_due_at = utcnow() - timedelta(hours=3)
        soon = session.get(Case, uuid.UUID(cases[0]["id"]))
        soon.first_response_due_at = utcnow() + timedelta(minutes=30)
        session.commit()
    return cases


@LOCALES
def test_an_agent_works_the_queue_with_the_keyboard(desk_site, signed_in_page, shoot, locale: str):
    from playwright.sync_api import expect

    cases = _fill_queue(desk_site)
    page = signed_in_page("agent")
    expect(page.get_by_role("heading", level=1)).to_have_text(WORDS[locale]["queue"])
    rows = page.locator("tr[data-case]")
    expect(rows).to_have_count(4)
    # Due soonest: the late case first, its clock red and negative.
    expect(rows.first).to_have_attribute("data-case", cases[1]["number"])
    late_clock = rows.first.locator(".clock.breached")
    expect(late_clock.first).to_contain_text("−")
    # The countdown ticks in the browser (seconds show in the last hour).
    expect(rows.nth(1)).to_have_attribute("data-case", cases[0]["number"])
    running = rows.nth(1).locator(".clock.soon [data-left]").first
    before = running.text_content()
    expect(running).not_to_have_text(before, timeout=5000)
    shoot(page, "queue")

    page.keyboard.press("j")
    expect(rows.first).to_have_class("current")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(rows.nth(1)).to_have_class("current")
    page.keyboard.press("x")
    expect(rows.nth(1).locator("input[type=checkbox]")).to_be_checked()
    target = rows.nth(1).get_attribute("data-href")

    # `/` searches; the list follows the typing (htmx), the URL is the saved view.
    page.keyboard.press("/")
    expect(page.locator("input[type=search]")).to_be_focused()
    page.keyboard.type("ORD-88")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-case", cases[1]["number"])
    assert "q=ORD-88" in page.url
    shoot(page, "queue-search")
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    expect(page.locator("dialog#shortcuts")).to_be_visible()
    shoot(page, "queue-shortcuts")
    page.keyboard.press("Escape")

    page.goto(desk_site.base_url + "/queue")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{target}")
    assert page.console_errors == []


@LOCALES
def test_a_supervisor_assigns_two_cases_at_once(desk_site, signed_in_page, shoot, locale: str):
    from playwright.sync_api import expect

    cases = _fill_queue(desk_site)
    page = signed_in_page("supervisor")
    tech = desk_site.staff["technician"]
    for case in cases[2:]:
        page.locator(f"tr[data-case='{case['number']}'] input[type=checkbox]").check()
    page.locator("select[name=operation]").select_option("assign")
    page.locator("#bulk select[name=assignee]").select_option(tech.id)
    shoot(page, "queue-bulk")
    page.get_by_role("button", name=WORDS[locale]["apply"]).click()
    expect(page.locator(".flash.success")).to_have_text(WORDS[locale]["updated"])
    for case in cases[2:]:
        row = page.locator(f"tr[data-case='{case['number']}']")
        expect(row).to_contain_text(tech.name)
        assert desk_site.case(case["id"])["assignee"]["id"] == tech.id
    assert desk_site.case(cases[0]["id"])["assignee"] is None
    # "Mine" for the technician is exactly these two.
    page.goto(desk_site.base_url + f"/queue?assignee={tech.id}")
    expect(page.locator("tr[data-case]")).to_have_count(2)
    shoot(page, "queue-assigned")
    assert page.console_errors == []


def test_the_queue_fits_a_phone(desk_site, workspace_browser: Any, shoot):
    from playwright.sync_api import expect

    from tests.workspace.conftest import PASSWORD

    _fill_queue(desk_site)
    context = workspace_browser.new_context(viewport={"width": 390, "height": 844}, locale="en")
    page = context.new_page()
    try:
        page.goto(desk_site.base_url + "/login")
        page.locator("input[name=email]").fill(desk_site.staff["agent"].email)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("input[name=password]").press("Enter")
        expect(page.locator("tr[data-case]")).to_have_count(4)
        # The table scrolls inside its frame; the page itself is no wider than the phone.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        shoot(page, "queue-phone")
    finally:
        context.close()
