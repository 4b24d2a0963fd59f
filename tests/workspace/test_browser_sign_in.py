"""Signing in with a real browser (Debian's Chromium), in both languages."""

from __future__ import annotations

from typing import Any

from tests.workspace.conftest import LOCALES, PASSWORD

TITLES = {"en": ("Sign in", "Queue"), "zh-CN": ("登录", "工单队列")}


@LOCALES
def test_an_agent_signs_in_and_out_with_the_keyboard(desk_site, page: Any, shoot, locale: str):
    from playwright.sync_api import expect

    sign_in_title, queue_title = TITLES[locale]
    page.goto(desk_site.base_url + "/")
    expect(page.locator("html")).to_have_attribute("lang", locale)
    expect(page.get_by_role("heading", level=1)).to_have_text(sign_in_title)
    shoot(page, "login")
    # The e-mail field has the focus: type, tab, type, Enter.
    page.keyboard.type(desk_site.staff["agent"].email)
    page.keyboard.press("Tab")
    page.keyboard.type("wrong password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_be_visible()
    shoot(page, "login-failed")
    # The refused sign-in is answered 401, which the console reports: expected.
    assert page.console_errors == [
        "Failed to load resource: the server responded with a status of 401 (UNAUTHORIZED)"
    ]
    page.console_errors.clear()
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(queue_title)
    expect(page.locator(".who")).to_contain_text("Ann Agent")
    page.keyboard.press("?")
    expect(page.locator("dialog#shortcuts")).to_be_visible()
    shoot(page, "shortcuts")
    page.keyboard.press("Escape")
    page.locator(".who a[href='/account/password']").click()
    expect(page.locator("input[name=current]")).to_be_visible()
    shoot(page, "password")
    assert page.console_errors == []
    page.locator(".who form[action='/logout'] button").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(sign_in_title)
