"""A staff message is a first response: it meets the case's clock, and the report's
24-hour figure (service.reports) counts the case as answered in time."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import case_payload


def _today_report(client, tenant, boss) -> dict:
    today = datetime.now(UTC).date().isoformat()
    response = client.get(
        f"/api/v1/reports/range?first={today}&last={today}"
        f"&storefront={tenant.storefront.id}&time_zone=UTC",
        headers=boss.headers,
    )
    assert response.status_code == 200, response.get_json()
    return {m["key"]: m["value"] for m in response.get_json()["metrics"]}


def test_a_staff_message_counts_as_the_first_response_in_the_report(
    client, create_tenant, admin, create_staff
):
    supervisor = create_staff("supervisor", name="Sue Supervisor")
    tenant = create_tenant(quiet_start_hour=0, quiet_end_hour=0)
    case = client.post("/api/v1/cases", json=case_payload(), headers=tenant.headers).get_json()
    before = _today_report(client, tenant, supervisor)
    # Younger than the 24 h target and unanswered: pending, not a failure.
    assert before["first_response_pending"] == 1 and before["first_response_rate"] is None

    written = client.post(
        f"/api/v1/cases/{case['id']}/messages",
        json={"channels": ["email"], "body": "We have your request and will call today."},
        headers=admin.headers,
    )
    assert written.status_code == 201, written.get_json()
    answered = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()
    clock = answered["sla"]["first_response"]
    assert clock["met_at"] is not None and clock["breached"] is False

    after = _today_report(client, tenant, supervisor)
    assert after["first_response_pending"] == 0
    assert after["first_response_rate"] == 1.0
