"""The app served over real HTTP with committed data, for the browser tests: its own
storefront (key) and one staff member of every role, all signing in with PASSWORD;
removed afterwards."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete
from werkzeug.serving import make_server

from service import create_app
from service.cases.models import Case
from service.customers.models import Customer
from service.storefronts.keys import create_storefront, issue_key
from service.storefronts.models import Storefront
from service.workspace.models import LoginFailure
from tests.conftest import TEST_REDIS_URL, case_payload

ROLES = ("agent", "technician", "supervisor", "admin")
NAMES = {
    "agent": "Ann Agent",
    "technician": "Tom Tech",
    "supervisor": "Sam Boss",
    "admin": "Ada Admin",
}


@dataclass
class Person:
    id: str
    email: str
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class DeskSite:
    app: Flask
    base_url: str
    storefront_id: str
    key: str
    staff: dict[str, Person] = field(default_factory=dict)

    @property
    def client(self) -> FlaskClient:
        """A test client of the served app (its requests commit)."""
        return self.app.test_client()

    def open_case(self, **overrides: Any) -> dict[str, Any]:
        """A case opened by the storefront over the API (committed)."""
        response = self.client.post(
            "/api/v1/cases",
            json=case_payload(**overrides),
            headers={"Authorization": f"Bearer {self.key}"},
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def case(self, case_id: str) -> dict[str, Any]:
        return self.client.get(
            f"/api/v1/cases/{case_id}", headers=self.staff["admin"].headers
        ).get_json()


@contextmanager
def serve_desk(
    database_url: str, instance_dir: Path, password_hash: str, slug: str = "desk-site"
) -> Iterator[DeskSite]:
    from service.core.auth import issue_staff_token
    from service.staff.models import StaffRole, StaffUser

    holder: dict[str, Flask] = {}
    server = make_server(
        "127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=True
    )
    base_url = f"http://127.0.0.1:{server.server_port}"
    served = create_app(
        instance_dir=instance_dir,
        database_url=database_url,
        redis_url=TEST_REDIS_URL,
        secret_key="workspace-browser-secret",
        public_base_url=base_url,
        # Every request comes from 127.0.0.1 (tests/test_ratelimit.py tests the limits).
        rate_limits_enabled=False,
    )
    holder["app"] = served
    database = served.extensions["database"]
    with database.sessionmaker() as session:
        storefront = create_storefront(session, "Harbour Electronics", slug, case_prefix="HB")
        _row, key = issue_key(session, storefront)
        people = {}
        for role in ROLES:
            user = StaffUser(
                email=f"{role}@{slug}.example",
                name=NAMES[role],
                role=StaffRole(role),
                password_hash=password_hash,
                storefront_id=storefront.id,
            )
            session.add(user)
            token = issue_staff_token(session, user)
            people[role] = (user, token)
        session.commit()
        site = DeskSite(served, base_url, str(storefront.id), key)
        site.staff = {
            role: Person(str(user.id), user.email, user.name, token)
            for role, (user, token) in people.items()
        }
        storefront_id = storefront.id
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        with database.sessionmaker() as session:
            # Cases and customers first: staff rows are referenced by receipts and sessions.
            session.execute(delete(Case).where(Case.storefront_id == storefront_id))
            session.execute(delete(Customer).where(Customer.storefront_id == storefront_id))
            session.execute(delete(StaffUser).where(StaffUser.storefront_id == storefront_id))
            session.execute(delete(Storefront).where(Storefront.id == storefront_id))
            session.execute(
                delete(LoginFailure).where(LoginFailure.email.endswith(f"@{slug}.example"))
            )
            session.commit()
        database.engine.dispose()
