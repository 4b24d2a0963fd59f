"""With the browser watching every request: the docs page and the workspace ask no
other host for anything."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def test_the_api_docs_and_the_queue_request_nothing_from_another_host(
    desk_site, signed_in_page, page: Any
):
    from playwright.sync_api import expect

    local = urlsplit(desk_site.base_url).netloc
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda r: (
            urlsplit(r.url).netloc not in (local, "")
            and not r.url.startswith(("data:", "blob:", "about:"))
            and elsewhere.append(r.url)
        ),
    )
    page.goto(desk_site.base_url + "/api/v1/docs")
    # ReDoc has drawn the spec: the vendored bundle ran.
    expect(page.get_by_text("Aftersales API").first).to_be_visible(timeout=20_000)
    signed_in_page("admin")
    expect(page.locator("h1")).to_be_visible()
    assert elsewhere == []
