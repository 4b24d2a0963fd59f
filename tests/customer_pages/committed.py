"""Committed data for tests that cannot use the rolled-back test connection (a browser
talking to a real HTTP server, racing requests): a site with its own storefront, and
cases walked there through the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.cases.models import Case, CaseKind, CaseStatus
from service.links import customer_link
from service.surveys.models import Survey, SurveyStatus
from tests.cases.lifecycle_paths import body_for, path_to
from tests.conftest import case_payload
from tests.customer_pages.sample import IN_WARRANTY, OUT_OF_WARRANTY


@dataclass
class Site:
    """The app served over HTTP, with a storefront, its API key and a staff member."""

    app: Flask
    base_url: str
    key: str
    staff_token: str
    staff_id: str

    @property
    def client(self) -> FlaskClient:
        return self.app.test_client()

    @property
    def staff(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.staff_token}"}


#: A repair out of warranty: quoted, so the customer has something to decide.
TO_QUOTE = [*path_to(CaseKind.repair, CaseStatus.diagnosing), "send_quote"]
#: ... approved by staff this time, repaired, shipped and delivered: the survey is due.
TO_DELIVERED = [*TO_QUOTE, "approve_quote", "finish_repair", "ship", "deliver"]


def _quote_body(case: dict) -> dict:
    tv, remote = case["items"]
    line = {"kind": "labour", "unit_price_minor": 8000, "item_id": tv["id"]}
    return {
        "currency": "CNY",
        "valid_until": (datetime.now(UTC) + timedelta(days=5)).isoformat(),
        "note": "The backlight is failing; the remote only needs pairing again.",
        "lines": [
            {
                "kind": "part",
                "description": "Replacement LED panel",
                "unit_price_minor": 129900,
                "item_id": tv["id"],
            },
            {**line, "description": "Panel fitting (hours)", "quantity": 2},
            {**line, "description": "Re-pair the remote", "item_id": remote["id"]},
        ],
    }


def walk(site: Site, customer: dict, actions: list[str]) -> dict:
    """A repair case opened by the storefront and taken through `actions` by staff."""
    client = site.client
    opened = client.post(
        "/api/v1/cases",
        json=case_payload(customer=customer, items=[OUT_OF_WARRANTY, IN_WARRANTY]),
        headers={"Authorization": f"Bearer {site.key}"},
    )
    assert opened.status_code == 201, opened.get_json()
    case = opened.get_json()
    for action in actions:
        current = client.get(f"/api/v1/cases/{case['id']}", headers=site.staff)
        body = (
            _quote_body(case) if action == "send_quote" else body_for(action, case, site.staff_id)
        )
        response = client.post(
            f"/api/v1/cases/{case['id']}/actions/{action}",
            json=body,
            headers={**site.staff, "If-Match": current.headers["ETag"]},
        )
        assert response.status_code == 200, (action, response.get_json())
        case = response.get_json()
    return case


def link(site: Site, case: dict, purpose: str) -> str:
    with site.app.app_context(), site.app.extensions["database"].sessionmaker() as session:
        return customer_link(session.get(Case, uuid.UUID(case["id"])), purpose)


def send_survey(site: Site, case: dict) -> None:
    """Mark the case's scheduled survey as sent, as the invitation job would."""
    now = datetime.now(UTC)
    with site.app.extensions["database"].sessionmaker() as session:
        survey = session.scalars(
            select(Survey).where(Survey.case_id == uuid.UUID(case["id"]))
        ).one()
        survey.status, survey.sent_at, survey.expires_at = (
            SurveyStatus.sent,
            now,
            now + timedelta(days=7),
        )
        session.commit()


def case_status(site: Site, case: dict) -> str:
    return site.client.get(f"/api/v1/cases/{case['id']}", headers=site.staff).get_json()["status"]
