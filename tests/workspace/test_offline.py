"""The workspace works with the network cut: every `src`, `href` and `action` of every
page (and of the API docs page) is on this site, and what they name is served."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from service.workspace.pages import CONTENT_SECURITY_POLICY

VENDOR = Path(__file__).resolve().parents[2] / "service/workspace/static/vendor"

#: Every workspace page, as a signed-in admin sees it. Add yours.
PAGES = [
    "/queue",
    "/queue?sort=newest&overdue=1",
    "/account/password",
    "/calls/new",
    "/calls/new?phone=%2B8613800138000",
    "/goods-in",
    "/goods-in?from=2026-01-01&to=2026-12-31&condition=damaged",
    "/admin",
    "/admin/storefronts",
    "/reports",
    "/reports?kind=monthly&day=2026-11-10",
    "/quality",
]
PUBLIC_PAGES = ["/login", "/api/v1/docs"]


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "action", "hx-get", "hx-post", "srcset", "poster"):
                self.found.append((tag, name, value or ""))


def links(html: str) -> list[tuple[str, str, str]]:
    parser = Links()
    parser.feed(html)
    return parser.found


def assert_local(path: str, html: str, client) -> None:
    found = links(html)
    assert found, f"{path}: no links at all?"
    for tag, attribute, value in found:
        parts = urlsplit(value)
        assert not parts.scheme and not parts.netloc, f"{path}: <{tag} {attribute}={value}>"
        if tag in ("script", "link", "img") and value:
            assert client.get(value).status_code == 200, f"{path}: {value} is not served"


@pytest.mark.parametrize("path", PAGES)
def test_every_workspace_page_loads_only_from_this_site(admin_in, path):
    response = admin_in.get(path)
    assert response.status_code == 200, path
    assert_local(path, response.get_data(as_text=True), admin_in)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("status", ["open", "quote_pending", "shipped", "closed"])
def test_the_case_page_loads_only_from_this_site(admin_in, walk, status):
    from service.cases.models import CaseStatus

    case = walk(CaseStatus(status))
    path = f"/cases/{case['id']}"
    response = admin_in.get(path)
    assert response.status_code == 200, path
    assert_local(path, response.get_data(as_text=True), admin_in)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_the_login_and_api_docs_pages_load_only_from_this_site(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    assert_local(path, response.get_data(as_text=True), client)


def test_the_stylesheet_and_scripts_name_no_other_host(client):
    for asset in ("workspace.css", "workspace.js"):
        text = client.get(f"/workspace/static/{asset}").get_data(as_text=True)
        assert "http://" not in text and "https://" not in text


def test_vendored_assets_keep_their_licence_and_pinned_version():
    versions = (VENDOR / "VERSIONS.md").read_text()
    assert "| `htmx.org` | 2.0.11 |" in versions and "| `redoc` | 2.5.4 |" in versions
    assert (VENDOR / "htmx/LICENSE").exists() and (VENDOR / "redoc/LICENSE").exists()
    assert "htmx" in (VENDOR / "htmx/htmx.min.js").read_text()[:200]
    assert "| `chart.js` | 4.6.1 |" in versions and (VENDOR / "chartjs/LICENSE.md").exists()
    chart = (VENDOR / "chartjs/chart.umd.min.js").read_text()
    assert "Chart.js v4.6.1" in chart[:300] and "sourceMappingURL" not in chart[-200:]


def test_the_admin_detail_pages_and_a_filled_register_load_only_from_this_site(
    admin_in, admin, tenant, walk
):
    from service.cases.models import CaseStatus

    walk(CaseStatus.received)
    for path in (
        f"/admin/staff/{admin.user.id}",
        f"/admin/storefronts/{tenant.storefront.id}",
        "/goods-in",
    ):
        response = admin_in.get(path)
        assert response.status_code == 200, path
        assert_local(path, response.get_data(as_text=True), admin_in)
