"""Fixtures for the workspace pages, shared by every workspace test.

Flask test client (rolled-back test transaction, as everywhere):
- `create_staff(role, storefront=None, name=None)` (from tests/conftest.py) makes a
  staff member whose password is `PASSWORD`; `sign_in(member)` signs the test
  `client` in through the login form and returns it;
- `desk`, `tech`, `boss`, `admin_in`: `client` signed in as an agent, a technician, a
  supervisor, an admin (one per test: they share `client`);
- `csrf_token(client, path)` reads a page's CSRF token; `post_form(client, path, data)`
  POSTs with it, as the browser would.

Real browser (committed data, served over HTTP; see tests/workspace/served.py; the run's
one Chromium comes from tests/browser.py):
- `desk_site`: the app served with its own storefront and a committed staff member of
  every role (`desk_site.staff["agent"]`...), all with `PASSWORD`;
- `page`: a Chromium page (desk-sized) in the test's `locale` parameter, collecting
  console errors (CSP refusals included) in `page.console_errors`;
  `signed_in_page(role)` signs it in through the login form;
- `shoot(page, name)` saves a screenshot to tests/artifacts/workspace/<locale>/<name>.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import StaffMember
from tests.workspace.served import DeskSite, serve_desk

PASSWORD = "a long enough password"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "workspace"
DESK_SIZE = {"width": 1366, "height": 900}
LOCALES = pytest.mark.parametrize("locale", ["en", "zh-CN"])


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(
    client: FlaskClient, path: str, data: dict[str, Any], token_from: str | None = None, **kw: Any
) -> Any:
    """POST `data` with a CSRF token read from `token_from` (default: the same path)."""
    token = csrf_token(client, token_from or path)
    return client.post(path, data={**data, "csrf_token": token}, **kw)


@pytest.fixture
def sign_in(client: FlaskClient) -> Callable[[StaffMember], FlaskClient]:
    def do(member: StaffMember) -> FlaskClient:
        response = post_form(client, "/login", {"email": member.user.email, "password": PASSWORD})
        assert response.status_code == 303, response.get_data(as_text=True)
        return client

    return do


@pytest.fixture
def agent(create_staff: Callable[..., StaffMember]) -> StaffMember:
    return create_staff("agent", name="Ann Agent")


@pytest.fixture
def supervisor(create_staff: Callable[..., StaffMember]) -> StaffMember:
    return create_staff("supervisor", name="Sam Supervisor")


@pytest.fixture
def desk(sign_in, agent: StaffMember) -> FlaskClient:
    return sign_in(agent)


@pytest.fixture
def tech(sign_in, technician: StaffMember) -> FlaskClient:
    return sign_in(technician)


@pytest.fixture
def boss(sign_in, supervisor: StaffMember) -> FlaskClient:
    return sign_in(supervisor)


@pytest.fixture
def admin_in(sign_in, admin: StaffMember) -> FlaskClient:
    return sign_in(admin)


# --- served app and browser ------------------------------------------------------------


@pytest.fixture
def desk_site(
    app: Flask, database_url: str, instance_dir: Path, staff_password_hash: str
) -> Iterator[DeskSite]:
    with serve_desk(database_url, instance_dir, staff_password_hash) as site:
        yield site


@pytest.fixture
def workspace_browser(browser: Any) -> Any:
    """The run's one Chromium (tests/browser.py)."""
    return browser


@pytest.fixture
def locale(request: pytest.FixtureRequest) -> str:
    """The test's `locale` parameter (LOCALES), else English."""
    return getattr(request, "param", "en")


@pytest.fixture
def page(workspace_browser: Any, locale: str) -> Iterator[Any]:
    context = workspace_browser.new_context(viewport=DESK_SIZE, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    # CSP refusals and script errors land here; browser tests assert there are none.
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    yield page
    context.close()


@pytest.fixture
def signed_in_page(page: Any, desk_site: DeskSite) -> Callable[[str], Any]:
    """`signed_in_page("agent")`: the page, signed in as the site's agent, on the queue."""

    def do(role: str) -> Any:
        page.goto(desk_site.base_url + "/login")
        page.locator("input[name=email]").fill(desk_site.staff[role].email)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form button[type=submit].primary").click()
        page.wait_for_url(re.compile(r".*/queue.*"))
        return page

    return do


@pytest.fixture
def shoot(locale: str) -> Callable[..., Path]:
    def save(page: Any, name: str, full_page: bool = True) -> Path:
        folder = ARTIFACTS / locale
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save
