"""The staff login `make run` prints signs in to the workspace."""

from __future__ import annotations

import re

from service.cli import seed_demo
from tests.workspace.conftest import post_form


def test_the_printed_demo_login_signs_in(app, client, db_session):
    with app.app_context():
        lines = seed_demo()
    printed = next(line for line in lines if "Staff login:" in line)
    email, password = re.search(r"Staff login:\s+(\S+) / (\S+)", printed).groups()
    response = post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code == 303 and response.headers["Location"] == "/queue"
    assert "Demo Admin" in client.get("/queue").get_data(as_text=True)
