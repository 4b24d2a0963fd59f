"""The customer pages in a real browser on a phone-sized screen: Debian's chromium,
driven by Playwright, against the app served over real HTTP with committed data.

Screenshots of every page in both languages go to tests/artifacts/ for a person to look at.
The browser (`browser`, one per run) comes from tests/browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from service.customer_pages.strings import STRINGS
from tests.customer_pages.committed import (
    TO_DELIVERED,
    TO_QUOTE,
    Site,
    case_status,
    link,
    send_survey,
    walk,
)
from tests.customer_pages.sample import CHINESE, ENGLISH

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PHONE = {"width": 390, "height": 844}
CUSTOMERS = {"en": ENGLISH, "zh-CN": CHINESE}


@pytest.fixture
def phone(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page in a phone-sized browser tab speaking the test's locale."""
    locale = request.node.callspec.params["locale"]
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale=locale
    )
    page = context.new_page()
    yield page
    context.close()


def shoot(page: Any, name: str) -> None:
    """Save a full-page screenshot, after checking nothing is wider than the phone."""
    ARTIFACTS.mkdir(exist_ok=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: {overflow}px wider than the screen"
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


LOCALES = pytest.mark.parametrize("locale", ["en", "zh-CN"])


@LOCALES
def test_a_customer_approves_the_quote_with_a_tap(site: Site, phone: Any, locale: str):
    from playwright.sync_api import expect

    customer = CUSTOMERS[locale]
    case = walk(site, customer, TO_QUOTE)
    t = STRINGS[locale]

    phone.goto(link(site, case, "status"))
    expect(phone.locator("html")).to_have_attribute("lang", locale)
    expect(phone.get_by_role("heading", level=1)).to_contain_text(case["number"])
    expect(phone.get_by_text(t["quote_pending_callout"])).to_be_visible()
    shoot(phone, f"status-quote-pending-{locale}")

    phone.get_by_role("link", name=t["review_quote"]).click()
    approve = phone.get_by_role("button", name=t["approve_button"])
    expect(approve).to_be_visible()
    # A thumb must be able to hit it.
    assert approve.bounding_box()["height"] >= 44
    shoot(phone, f"quote-{locale}")
    phone.get_by_text(t["decline_summary"]).click()
    expect(phone.get_by_role("button", name=t["decline_button"])).to_be_visible()
    shoot(phone, f"quote-decline-open-{locale}")

    form = phone.locator("form", has=approve)
    action, binding = form.get_attribute("action"), form.locator("[name=csrf_token]").input_value()
    approve.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(t["approved_title"])
    shoot(phone, f"quote-approved-{locale}")
    assert case_status(site, case) == "repairing"

    # Back to the quote: it now says it was approved, with nothing left to press.
    phone.go_back()
    expect(phone.get_by_text(t["quote_state_approved"], exact=True)).to_be_visible()
    assert phone.get_by_role("button", name=t["approve_button"]).count() == 0
    # The same form sent again (a double tap) shows the confirmation, deciding nothing.
    again = phone.request.post(site.base_url + action, form={"csrf_token": binding})
    assert again.status == 200
    assert escape(t["approved_title"]) in again.text()
    timeline = site.client.get(f"/api/v1/cases/{case['id']}/timeline", headers=site.staff)
    assert [e["action"] for e in timeline.get_json()].count("approve_quote") == 1


@LOCALES
def test_a_customer_answers_the_survey(site: Site, phone: Any, locale: str):
    from playwright.sync_api import expect

    customer = CUSTOMERS[locale]
    case = walk(site, customer, TO_DELIVERED)
    send_survey(site, case)
    t = STRINGS[locale]

    phone.goto(link(site, case, "status"))
    expect(phone.get_by_role("link", name=t["track_parcel"])).to_be_visible()
    shoot(phone, f"status-delivered-{locale}")

    phone.goto(link(site, case, "survey"))
    expect(phone.get_by_role("heading", level=1)).to_have_text(t["survey_title"])
    shoot(phone, f"survey-{locale}")

    # Past the browser's own checks (an old browser, a hand-made request): the server's.
    phone.evaluate("document.querySelectorAll('[required]').forEach(e => e.required = false)")
    phone.get_by_role("group", name=t["q_product_quality"]).get_by_text("2", exact=True).click()
    phone.get_by_role("button", name=t["submit_survey"]).click()
    expect(phone.get_by_role("alert")).to_have_text(t["errors_summary"])
    expect(phone.locator(".error")).to_have_count(3)
    expect(phone.locator("input[name=product_quality][value='2']")).to_be_checked()
    shoot(phone, f"survey-errors-{locale}")
    for question, score in (
        ("q_service_attitude", "5"),
        ("q_product_quality", "4"),
        ("q_price_reasonableness", "3"),
        ("q_overall_satisfaction", "4"),
    ):
        phone.get_by_role("group", name=t[question]).get_by_text(score, exact=True).click()
    comment = {"en": "Fast, friendly and fairly priced.", "zh-CN": "修得很快，客服很耐心。"}[locale]
    phone.get_by_label(t["comment_label"]).fill(comment)
    shoot(phone, f"survey-filled-{locale}")
    phone.get_by_role("button", name=t["submit_survey"]).click()

    expect(phone.get_by_role("heading", level=1)).to_have_text(t["survey_thanks_title"])
    shoot(phone, f"survey-thanks-{locale}")
    assert case_status(site, case) == "closed"


@LOCALES
def test_a_broken_link_gets_a_page_that_shows_nothing(site: Site, phone: Any, locale: str):
    from playwright.sync_api import expect

    response = phone.goto(f"{site.base_url}/c/quote/not-a-real-token")
    assert response.status == 403
    expect(phone.locator("h1")).to_have_text(STRINGS[locale]["link_invalid_title"])
    assert "Harbour" not in phone.content()
    shoot(phone, f"link-invalid-{locale}")


@pytest.mark.parametrize("locale", ["zh-CN"])
def test_a_customer_adds_a_photo_of_the_damage_from_the_phone(
    site: Site, phone: Any, locale: str, tmp_path: Path
):
    from playwright.sync_api import expect

    from tests.attachments.files import photo

    case = walk(site, CUSTOMERS[locale], [])
    t = STRINGS[locale]
    picture = tmp_path / "IMG_0001.JPG"
    picture.write_bytes(photo(size=(1200, 900)))
    phone.goto(link(site, case, "status"))
    form = phone.locator("#photos form")
    form.locator("input[type=file]").set_input_files(str(picture))
    send = form.get_by_role("button", name=t["photo_send"])
    assert send.bounding_box()["height"] >= 44
    send.click()
    expect(phone.get_by_text(t["photo_added"])).to_be_visible()
    thumbnail = phone.locator("#photos img[data-thumbnail]")
    expect(thumbnail).to_have_count(1)
    phone.wait_for_function(
        "() => { const i = document.querySelector('#photos img[data-thumbnail]');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    shoot(phone, f"status-photo-added-{locale}")
    listed = site.client.get(f"/api/v1/cases/{case['id']}/attachments", headers=site.staff)
    assert [a["uploaded_by"]["type"] for a in listed.get_json()] == ["customer"]
