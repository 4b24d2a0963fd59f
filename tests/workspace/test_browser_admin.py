"""The goods-in register and the administration in a real browser (Debian's Chromium),
in both languages, with screenshots of every page."""

from __future__ import annotations

import re
from typing import Any

from service.cases.models import CaseKind, CaseStatus
from tests.cases.lifecycle_paths import body_for, path_to
from tests.workspace.conftest import LOCALES

WORDS = {
    "en": {"admin": "Admin", "goods_in": "Goods-in", "create": "Create", "issue": "Issue a key"},
    "zh-CN": {"admin": "管理", "goods_in": "来货", "create": "创建", "issue": "生成密钥"},
}


def receive(site, case: dict[str, Any]) -> dict[str, Any]:
    """Take `case` to received through the API, as the admin (committed)."""
    client, headers = site.client, site.staff["admin"].headers
    for action in path_to(CaseKind.repair, CaseStatus.received):
        current = client.get(f"/api/v1/cases/{case['id']}", headers=headers)
        response = client.post(
            f"/api/v1/cases/{case['id']}/actions/{action}",
            json=body_for(action, current.get_json(), site.staff["technician"].id),
            headers={**headers, "If-Match": current.headers["ETag"]},
        )
        assert response.status_code == 200, (action, response.get_json())
    return response.get_json()


def nav_link(page: Any, endpoint_path: str) -> Any:
    return page.locator(f"header.top nav a[href='{endpoint_path}']")


@LOCALES
def test_an_admin_creates_a_technician_by_clicking(
    signed_in_page, desk_site, shoot, locale: str, workspace_browser
):
    from playwright.sync_api import expect

    page = signed_in_page("admin")
    nav_link(page, "/admin").click()
    expect(page).to_have_url(re.compile(r".*/admin$"))
    shoot(page, "admin-staff")
    email = f"nina-{locale.lower()}@desk-site.example"
    form = page.locator("form[action='/admin/staff']")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=name]").fill("Nina Tech")
    form.locator("select[name=role]").select_option("technician")
    form.locator("button[type=submit]").click()
    secret = page.locator("[data-secret]")
    expect(secret).to_be_visible()
    password = secret.inner_text().strip()
    expect(page.locator(f"tr[data-staff='{email}']")).to_be_visible()
    shoot(page, "admin-staff-created")
    page.locator(f"tr[data-staff='{email}'] a").click()
    expect(page.locator("h1")).to_contain_text("Nina Tech")
    shoot(page, "admin-person")

    # The new technician signs in with the password shown once, and sees no admin link.
    context = workspace_browser.new_context(locale=locale)
    other = context.new_page()
    other.goto(desk_site.base_url + "/login")
    other.locator("input[name=email]").fill(email)
    other.locator("input[name=password]").fill(password)
    other.locator("form button[type=submit].primary").click()
    other.wait_for_url(re.compile(r".*/queue.*"))
    expect(nav_link(other, "/admin")).to_have_count(0)
    assert other.goto(desk_site.base_url + "/admin").status == 403
    context.close()

    nav_link(page, "/admin").click()
    page.locator("nav.admin-tabs a[href='/admin/storefronts']").click()
    shoot(page, "admin-storefronts")
    page.locator("table.list a").first.click()
    expect(page.locator("input[name=case_prefix]")).to_have_value("HB")
    shoot(page, "admin-storefront")
    page.locator("input[name=label]").fill("warehouse")
    page.get_by_role("button", name=WORDS[locale]["issue"]).click()
    expect(page.locator("[data-secret]")).to_contain_text("ask_")
    shoot(page, "admin-key-issued")


@LOCALES
def test_the_goods_in_register_shows_a_receipt_and_prints_without_controls(
    signed_in_page, desk_site, shoot, locale: str
):
    from playwright.sync_api import expect

    case = receive(desk_site, desk_site.open_case())
    page = signed_in_page("agent")
    nav_link(page, "/goods-in").click()
    row = page.locator("tr[data-receipt]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(case["number"])
    expect(row).to_contain_text("Ada Admin")
    shoot(page, "goods-in")
    page.locator("select[name=condition]").select_option("damaged")
    expect(page.locator("tr[data-receipt]")).to_have_count(0)
    expect(page).to_have_url(re.compile(r".*condition=damaged.*"))
    page.go_back()
    page.reload()
    expect(page.locator("tr[data-receipt]")).to_have_count(1)
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("form.filters")).to_be_hidden()
    expect(page.locator(".print-only")).to_be_visible()
    shoot(page, "goods-in-print")
