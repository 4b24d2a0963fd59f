"""GET /cases with the queue's filters: search, channel, assignee, escalation and the
due-soonest order (the same query the workspace's queue pages)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from service.cases.models import Case
from service.core.db import utcnow


def _numbers(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [case["number"] for case in response.get_json()["items"]]


def test_sort_due_puts_the_earliest_running_deadline_first(client, admin, open_case, db_session):
    first, second = open_case(), open_case()
    db_session.get(Case, uuid.UUID(second["id"])).first_response_due_at = utcnow() + timedelta(
        minutes=10
    )
    db_session.commit()
    due = _numbers(client.get("/api/v1/cases?sort=due", headers=admin.headers))
    assert due == [second["number"], first["number"]]


def test_due_pages_chain_through_cases_without_a_running_clock(client, admin, walk, open_case):
    from service.cases.models import CaseStatus

    closed = walk(CaseStatus.cancelled)
    running = open_case()
    page = client.get("/api/v1/cases?sort=due&limit=1", headers=admin.headers).get_json()
    assert [c["number"] for c in page["items"]] == [running["number"]]
    rest = client.get(
        f"/api/v1/cases?sort=due&limit=1&cursor={page['next_cursor']}", headers=admin.headers
    ).get_json()
    assert [c["number"] for c in rest["items"]] == [closed["number"]]
    assert rest["next_cursor"] is None


def test_search_and_the_new_filters(client, tenant, open_case, admin):
    phone = open_case(channel="phone", order_reference="ORD-77")
    open_case()
    headers = tenant.headers
    assert _numbers(client.get("/api/v1/cases?q=ORD-77", headers=headers)) == [phone["number"]]
    assert _numbers(client.get("/api/v1/cases?channel=phone", headers=headers)) == [phone["number"]]
    assert len(_numbers(client.get("/api/v1/cases?unassigned=true", headers=headers))) == 2
    assert _numbers(client.get("/api/v1/cases?escalated=true", headers=headers)) == []


def test_bad_list_arguments_are_422_naming_the_field(client, tenant, db_session):
    for query, name in (("sort=sideways", "sort"), ("q=", "q"), ("channel=pigeon", "channel")):
        response = client.get(f"/api/v1/cases?{query}", headers=tenant.headers)
        assert response.status_code == 422, query
        assert name in response.get_json()["errors"]["query"]
    bad = client.get("/api/v1/cases?sort=due&cursor=bm9wZQ", headers=tenant.headers)
    assert bad.status_code == 422
    assert "cursor" in bad.get_json()["errors"]["query"]


def test_search_text_of_any_kind_is_a_search_not_an_error(client, tenant, open_case):
    open_case()
    for query in ("²", "١٢", "%_\\", "@@", "+", "😀", "a" * 200):
        response = client.get("/api/v1/cases", query_string={"q": query}, headers=tenant.headers)
        assert response.status_code == 200, query
        assert response.get_json()["items"] == []
