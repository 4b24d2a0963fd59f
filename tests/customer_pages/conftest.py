"""Cases walked through the API to the status a page test needs, and their links; and a
served site whose data really commits, for the browser and for racing requests."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from service import create_app
from service.cases.models import Case, CaseKind, CaseStatus
from service.links import customer_link
from service.surveys.models import Survey
from service.surveys.service import current_survey, send_due_invitations
from tests.conftest import TEST_REDIS_URL, committed_tenant
from tests.customer_pages.committed import Site
from tests.customer_pages.sample import ENGLISH, OUT_OF_WARRANTY


@pytest.fixture
def walk(walk) -> Callable[..., dict[str, Any]]:
    """The shared walk, for an English-speaking customer unless told otherwise."""

    def to(status: CaseStatus, kind: CaseKind = CaseKind.repair, **overrides: Any) -> dict:
        overrides.setdefault("customer", ENGLISH)
        return walk(status, kind, **overrides)

    to.advance = walk.advance  # type: ignore[attr-defined]
    return to


def quote_body(unit_price_minor: int = 45000, **extra: Any) -> dict[str, Any]:
    return {
        "currency": "CNY",
        "valid_until": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
        "lines": [
            {"kind": "part", "description": "Screen panel", "unit_price_minor": unit_price_minor}
        ],
        **extra,
    }


@pytest.fixture
def quoted(walk) -> Callable[..., dict[str, Any]]:
    """A repair case whose quote awaits the customer's decision."""

    def make(customer: dict | None = None, **quote: Any) -> dict:
        case = walk(
            CaseStatus.diagnosing,
            customer=customer or ENGLISH,
            items=[OUT_OF_WARRANTY],
        )
        return walk.advance(case["id"], ["send_quote"], send_quote=quote_body(**quote))

    return make


@pytest.fixture
def link(app: Flask, db_session: Session) -> Callable[[dict | Case, str], str]:
    """The path of a customer link (`customer_link` without the public base URL)."""

    def make(case: dict | Case, purpose: str) -> str:
        case_id = case.id if isinstance(case, Case) else uuid.UUID(case["id"])
        with app.app_context():
            row = db_session.get(Case, case_id, populate_existing=True)
            return customer_link(row, purpose).removeprefix("http://aftersales.test")

    return make


@pytest.fixture
def surveyed(app: Flask, db_session: Session, walk) -> Callable[..., tuple[dict, Survey]]:
    """A delivered repair case whose survey invitation has been sent."""

    def make(customer: dict | None = None) -> tuple[dict, Survey]:
        case = walk(CaseStatus.delivered, customer=customer or ENGLISH)
        with app.app_context():
            # The invitation job, run late enough for the scheduled survey to be due.
            send_due_invitations(db_session, datetime.now(UTC) + timedelta(days=3))
            db_session.commit()
            row = db_session.get(Case, uuid.UUID(case["id"]))
            survey = current_survey(db_session, row)
        assert survey is not None and survey.status.value == "sent"
        return case, survey

    return make


def form_field(html: str, name: str = "csrf_token") -> str:
    """The value of the (first) hidden field `name` in a rendered page."""
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} field in the page"
    return match.group(1)


@pytest.fixture
def site(
    app: Flask, database_url: str, instance_dir: Path, staff_password_hash: str
) -> Iterator[Site]:
    """Its own app (the `app` fixture migrated the database) whose requests really commit:
    the server's threads cannot share the rolled-back test connection."""
    holder: dict[str, Flask] = {}
    # The port is known only once the server listens, and the app's public base URL
    # needs it: the server dispatches to the app created next.
    server = make_server(
        "127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=True
    )
    base_url = f"http://127.0.0.1:{server.server_port}"
    served = create_app(
        instance_dir=instance_dir,
        database_url=database_url,
        redis_url=TEST_REDIS_URL,
        secret_key="browser-test-secret",
        public_base_url=base_url,
        # Every request comes from 127.0.0.1 (tests/test_ratelimit.py tests the limits).
        rate_limits_enabled=False,
    )
    holder["app"] = served
    tenant = committed_tenant(
        served, staff_password_hash, "Harbour Electronics", "harbour-electronics", "HB"
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with tenant as committed:
            yield Site(served, base_url, committed.key, committed.token, committed.staff_id)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        served.extensions["database"].engine.dispose()
