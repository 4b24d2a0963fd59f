"""Role-aware pages: `@staff_page(roles=...)` refuses other roles with a 403 page and
`may()` hides their controls; the navigation shows a page only to the roles it allows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Blueprint, Flask, render_template_string

from service import create_app
from service.workspace import pages, routes
from service.workspace.pages import ADMINS, PageError, staff_page
from tests.conftest import TEST_REDIS_URL
from tests.workspace.conftest import PASSWORD, post_form


@pytest.fixture
def probe_app(app: Flask, database_url, instance_dir, db_session) -> Iterator[Flask]:
    """The app plus an admins-only page."""
    probed = create_app(
        instance_dir=instance_dir,
        database_url=database_url,
        redis_url=TEST_REDIS_URL,
        secret_key="test-secret-key",
        # Every request comes from 127.0.0.1 (tests/test_ratelimit.py tests the limits).
        rate_limits_enabled=False,
    )
    probed.testing = True
    # Share the test's rolled-back connection.
    probed.extensions["database"] = app.extensions["database"]
    probe = Blueprint("probe", __name__)

    @probe.get("/probe/admins")
    @staff_page(roles=ADMINS)
    def admins_only() -> str:
        return render_template_string(
            "{% if may(Role.admin) %}<button>Delete everything</button>{% endif %}ok",
            Role=pages.StaffRole,
        )

    probed.register_blueprint(probe)
    probed.register_error_handler(PageError, routes._page_error)
    yield probed


def _signed_in(app: Flask, member):
    client = app.test_client()
    response = post_form(client, "/login", {"email": member.user.email, "password": PASSWORD})
    assert response.status_code == 303
    return client


def test_a_page_for_admins_refuses_an_agent_with_a_403_page(probe_app, agent, admin):
    agent_client = _signed_in(probe_app, agent)
    refused = agent_client.get("/probe/admins")
    assert refused.status_code == 403
    assert "Your role may not use this page." in refused.get_data(as_text=True)
    assert "Delete everything" not in refused.get_data(as_text=True)
    allowed = _signed_in(probe_app, admin).get("/probe/admins")
    assert allowed.status_code == 200 and "Delete everything" in allowed.get_data(as_text=True)


def test_the_admin_link_shows_only_to_admins(probe_app, agent, admin):
    html = _signed_in(probe_app, agent).get("/queue").get_data(as_text=True)
    assert 'data-go="a"' not in html
    html = _signed_in(probe_app, admin).get("/queue").get_data(as_text=True)
    assert 'data-go="a"' in html


def test_a_stranger_is_sent_to_sign_in_and_htmx_is_told_to_navigate(client):
    assert client.get("/queue").status_code == 302
    response = client.get("/queue", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")
