"""A whole desk day in Debian's Chromium, by clicking: a call opens a repair case, the
agent receives the item, a technician diagnoses and quotes, the customer approves on
their link, the technician finishes, the agent ships with an SF Express number, marks
it delivered and records the follow-up call, and the case is closed. Then a stale form.
Screenshots of every page of the case and the phone desk, in both languages."""

from __future__ import annotations

import re
import uuid
from typing import Any

from service.cases.models import Case
from service.links import customer_link
from tests.workspace.conftest import DESK_SIZE, LOCALES, PASSWORD

SF_NUMBER = "SF1385628716739"


def sign_in(browser: Any, site: Any, role: str, locale: str) -> Any:
    context = browser.new_context(viewport=DESK_SIZE, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(site.base_url + "/login")
    page.locator("input[name=email]").fill(site.staff[role].email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit].primary").click()
    page.wait_for_url(re.compile(r".*/queue.*"))
    return page


def open_from_queue(page: Any, number: str) -> None:
    page.locator("a[data-go=q]").click()
    page.locator(f"tr[data-case='{number}'] a").first.click()
    page.wait_for_url(re.compile(r".*/cases/.*"))


def do(page: Any, action: str) -> Any:
    """Open the action's form (its button) and return the form."""
    page.locator(f"summary[data-action={action}]").click()
    return page.locator(f"#act-{action} form")


def status_cell(page: Any, number: str) -> str:
    return page.locator(f"tr[data-case='{number}'] td").nth(4).inner_text()


def quote_link(site: Any, case_id: str) -> str:
    with site.app.app_context(), site.app.extensions["database"].sessionmaker() as session:
        return customer_link(session.get(Case, uuid.UUID(case_id)), "quote")


@LOCALES
def test_a_desk_day_from_the_call_to_the_closed_case(
    desk_site, workspace_browser, signed_in_page, shoot, locale: str
):
    from playwright.sync_api import expect

    agent = signed_in_page("agent")
    # The call: look the caller up, then open a repair case from it.
    agent.locator(".new-call a").click()
    agent.locator("input[type=tel][name=phone]").fill("+86 139 0000 1111")
    agent.locator("form[role=search] button").click()
    shoot(agent, "call-new-caller")
    opening = agent.locator("form[action='/calls/open']")
    opening.locator("input[name='customer.name']").fill("Chen Jing")
    opening.locator("select[name=kind]").select_option("repair")
    opening.locator("textarea[name=description]").fill("The speaker crackles.")
    opening.locator("input[name='items.0.sku']").fill("SPK-1")
    opening.locator("input[name='items.0.name']").fill("Speaker")
    opening.locator("input[name='items.0.purchase_date']").fill("2024-01-10")
    opening.locator("button[type=submit]").click()
    agent.wait_for_url(re.compile(r".*/cases/[0-9a-f-]{36}$"))
    case_id = agent.url.rsplit("/", 1)[1]
    number = desk_site.case(case_id)["number"]
    assert desk_site.case(case_id)["channel"] == "phone"
    shoot(agent, "case-open")

    # The agent writes to the customer from the case (the first response).
    message = do(agent, "message")
    message.locator("textarea[name=body]").fill("We will collect the speaker tomorrow.")
    shoot(agent, "case-message-form")
    message.locator("button[type=submit]").click()
    expect(agent.locator("[data-message]").first).to_contain_text("collect the speaker tomorrow")

    # The queue shows it, with its clocks.
    agent.locator("a[data-go=q]").click()
    row = agent.locator(f"tr[data-case='{number}']")
    expect(row.locator(".clock").first).to_be_visible()
    opened_status = status_cell(agent, number)
    row.locator("a").first.click()

    # The item arrives.
    receive = do(agent, "receive")
    receive.locator("select[name='items.0.condition']").select_option("as_described")
    receive.locator("input[name='items.0.accessories']").fill("cable, box")
    shoot(agent, "case-receive-form")
    receive.locator("button[type=submit]").click()
    expect(agent.locator("summary[data-action=receive]")).to_have_count(0)
    assert desk_site.case(case_id)["status"] == "received"

    # The technician signs in, diagnoses and sends a quote.
    tech = sign_in(workspace_browser, desk_site, "technician", locale)
    open_from_queue(tech, number)
    assert tech.locator("summary[data-action=cancel]").count() == 0
    token = tech.locator("input[name=csrf_token]").first.input_value()
    version = tech.locator("input[name=version]").first.input_value()
    forged = tech.request.post(
        f"{desk_site.base_url}/cases/{case_id}/actions/cancel",
        form={"csrf_token": token, "version": version, "reason": "forged"},
    )
    assert forged.status == 403
    assert desk_site.case(case_id)["status"] == "received"
    diagnose = do(tech, "diagnose")
    diagnose.locator("select[name=technician_id]").select_option(desk_site.staff["technician"].id)
    diagnose.locator("button[type=submit]").click()
    quote = do(tech, "send_quote")
    quote.locator("input[name='lines.0.description']").fill("Speaker driver")
    quote.locator("input[name='lines.0.unit_price_minor']").fill("80")
    quote.locator("select[name='lines.1.kind']").select_option("labour")
    quote.locator("input[name='lines.1.description']").fill("Fitting")
    quote.locator("input[name='lines.1.unit_price_minor']").press_sequentially("40")
    expect(quote.locator("[data-total]")).to_have_text("120.00")
    quote.locator("[data-add-line]").click()
    expect(quote.locator("tr[data-line]")).to_have_count(4)
    shoot(tech, "case-quote-editor")
    quote.locator("button[type=submit]").click()
    expect(tech.locator("summary[data-action=send_quote]")).to_be_visible()
    assert desk_site.case(case_id)["status"] == "quote_pending", tech.locator(
        ".errors"
    ).all_inner_texts()
    shoot(tech, "case-quote-sent")

    # The customer approves on their link.
    customer = workspace_browser.new_context(locale=locale).new_page()
    customer.goto(quote_link(desk_site, case_id))
    customer.locator(".btn-approve").click()
    customer.wait_for_load_state()
    assert desk_site.case(case_id)["status"] == "repairing"

    # The technician finishes.
    open_from_queue(tech, number)
    finish = do(tech, "finish_repair")
    finish.locator("textarea[name=problem_found]").fill("Loose driver wire")
    finish.locator("textarea[name=fix]").fill("Replaced the driver")
    finish.locator("button[type=submit]").click()
    expect(tech.locator("summary[data-action=finish_repair]")).to_have_count(0)
    assert desk_site.case(case_id)["status"] == "ready_to_ship"

    # The agent ships with an SF number: the carrier shows as it is typed.
    open_from_queue(agent, number)
    ship = do(agent, "ship")
    ship.locator("input[name=tracking_number]").press_sequentially(SF_NUMBER)
    expect(ship.locator("[data-carrier=sf_express]")).to_be_visible()
    shoot(agent, "case-ship-form")
    ship.locator("button[type=submit]").click()
    expect(agent.locator("td[data-tracking]")).to_have_text(SF_NUMBER)
    assert desk_site.case(case_id)["shipments"][-1]["carrier_code"] == "sf_express"

    agent.locator("a[data-go=q]").click()
    assert status_cell(agent, number) != opened_status
    agent.locator(f"tr[data-case='{number}'] a").first.click()
    do(agent, "deliver").locator("button[type=submit]").click()
    assert desk_site.case(case_id)["status"] == "delivered"

    # The follow-up call (回访) closes the case.
    follow_up = do(agent, "follow_up")
    for name, score in (
        ("service_attitude", "5"),
        ("product_quality", "4"),
        ("price_reasonableness", "4"),
        ("overall_satisfaction", "5"),
    ):
        follow_up.locator(f"select[name={name}]").select_option(score)
    follow_up.locator("textarea[name=comment]").fill("Happy with the repair")
    shoot(agent, "case-follow-up-form")
    follow_up.locator("button[type=submit]").click()
    expect(agent.locator("summary[data-action=follow_up]")).to_have_count(0)
    assert desk_site.case(case_id)["status"] == "closed"
    shoot(agent, "case-closed")

    # The queue's "any status" view shows it closed, its clocks met.
    agent.locator("a[data-go=q]").click()
    agent.locator("select[name=status]").select_option("all")
    expect(agent.locator(f"tr[data-case='{number}']")).to_be_visible()
    assert agent.locator(f"tr[data-case='{number}'] .clock").count() == 0

    # The caller rings again: found by phone, their case listed.
    agent.locator(".new-call a").click()
    agent.locator("input[type=tel][name=phone]").fill("+86 (139) 0000-1111")
    agent.locator("form[role=search] button").click()
    expect(agent.get_by_text("Chen Jing").first).to_be_visible()
    shoot(agent, "call-known-caller")


@LOCALES
def test_a_stale_form_shows_who_changed_the_case_and_writes_nothing(
    desk_site, signed_in_page, shoot, locale: str
):
    from playwright.sync_api import expect

    case = desk_site.open_case()
    agent = signed_in_page("agent")
    agent.locator(f"tr[data-case='{case['number']}'] a").first.click()
    cancel = do(agent, "cancel")
    cancel.locator("textarea[name=reason]").fill("The customer changed their mind")
    # Meanwhile the supervisor escalates the case over the API.
    client = desk_site.client
    boss = desk_site.staff["supervisor"].headers
    etag = client.get(f"/api/v1/cases/{case['id']}", headers=boss).headers["ETag"]
    changed = client.post(
        f"/api/v1/cases/{case['id']}/assignment",
        json={"escalated": True},
        headers={**boss, "If-Match": etag},
    )
    assert changed.status_code == 200
    cancel.locator("button[type=submit]").click()
    banner = agent.locator("[data-banner]")
    expect(banner).to_contain_text("Sam Boss")
    shoot(agent, "case-stale-form")
    assert desk_site.case(case["id"])["status"] == "open"
    agent.locator("[data-banner] a").click()
    expect(agent.locator("[data-banner]")).to_have_count(0)
