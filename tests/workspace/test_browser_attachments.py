"""Goods-in photos in Debian's Chromium, by clicking: the agent opens the case, chooses a
photo in the case page's upload form, clicks Upload and sees its thumbnail (loaded
through the page's own policy: no console errors), in both languages."""

from __future__ import annotations

import re

from tests.attachments.files import photo
from tests.workspace.conftest import LOCALES

WORDS = {"en": "Upload", "zh-CN": "上传"}


@LOCALES
def test_the_agent_uploads_a_goods_in_photo_and_sees_its_thumbnail(
    desk_site, signed_in_page, shoot, tmp_path, locale: str
):
    from playwright.sync_api import expect

    case = desk_site.open_case()
    picture = tmp_path / "goods-in.jpg"
    picture.write_bytes(photo(size=(640, 480)))
    page = signed_in_page("agent")
    page.goto(f"{desk_site.base_url}/cases/{case['id']}")
    expect(page.locator("#attachments img[data-thumbnail]")).to_have_count(0)

    form = page.locator("form[data-upload]")
    form.locator("input[type=file]").set_input_files(str(picture))
    form.locator("input[name=note]").fill("Box dented on arrival")
    form.get_by_role("button", name=WORDS[locale]).click()

    page.wait_for_url(re.compile(r".*/cases/.*#attachments$"))
    thumbnail = page.locator("#attachments img[data-thumbnail]")
    expect(thumbnail).to_have_count(1)
    expect(thumbnail).to_be_visible()
    # The image really loaded (a refused or broken image has no natural width).
    page.wait_for_function(
        "() => { const i = document.querySelector('#attachments img[data-thumbnail]');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    width = thumbnail.evaluate("img => img.naturalWidth")
    assert 0 < width <= 320
    expect(page.locator("#attachments")).to_contain_text("Box dented on arrival")
    assert page.console_errors == []
    shoot(page, "case-attachments")
