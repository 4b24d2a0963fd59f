"""GET /cases at scale: the compact summary, allowed actions on request, the incremental
sync (updated_after, sort=updated_at), the item and contact filters, and the queries
themselves (a row-comparison keyset the index seeks; no row loads what it does not show)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import event, text

from service.cases.models import Case, CaseStatus
from service.core.db import utcnow

SUMMARY_KEYS = {
    "id",
    "number",
    "storefront_id",
    "kind",
    "channel",
    "status",
    "priority",
    "order_reference",
    "customer",
    "assignee_id",
    "escalated",
    "customer_replied",
    "next_due",
    "version",
    "created_at",
    "updated_at",
}


def _list(client, headers, **query):
    response = client.get("/api/v1/cases", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _numbers(client, headers, **query) -> list[str]:
    return [case["number"] for case in _list(client, headers, **query)["items"]]


def test_a_list_row_is_the_summary_and_the_single_case_the_whole(client, tenant, open_case):
    case = open_case()
    [row] = _list(client, tenant.headers)["items"]
    assert set(row) == SUMMARY_KEYS
    assert row["customer"] == {"id": case["customer"]["id"], "name": "Li Wei"}
    assert row["next_due"] == {
        "clock": "first_response",
        "due_at": case["first_response_due_at"],
        "overdue": False,
    }
    assert (row["id"], row["version"], row["status"]) == (case["id"], 1, "open")
    whole = client.get(f"/api/v1/cases/{case['id']}", headers=tenant.headers).get_json()
    assert {"items", "description", "sla", "allowed_actions"} <= set(whole)


def test_allowed_actions_on_request_match_the_single_cases(client, tenant, admin, walk, open_case):
    # A pending quote and a repair being diagnosed: guards that read quotes and items.
    cases = [walk(CaseStatus.quote_pending), walk(CaseStatus.diagnosing), open_case()]
    for headers in (tenant.headers, admin.headers):
        rows = _list(client, headers, include="allowed_actions")["items"]
        by_id = {row["id"]: row["allowed_actions"] for row in rows}
        for case in cases:
            whole = client.get(f"/api/v1/cases/{case['id']}", headers=headers).get_json()
            assert by_id[case["id"]] == whole["allowed_actions"], case["status"]
    assert "approve_quote" in by_id[cases[0]["id"]]
    assert "start_repair" in by_id[cases[1]["id"]]
    assert "allowed_actions" not in _list(client, tenant.headers)["items"][0]
    bad = client.get("/api/v1/cases?include=everything", headers=tenant.headers)
    assert bad.status_code == 422 and "include" in bad.get_json()["errors"]["query"]


def test_every_change_bumps_updated_at_and_the_sync_reads_changes_oldest_first(
    client, tenant, admin, open_case, act
):
    first, second, third = open_case(), open_case(), open_case()
    since = _list(client, tenant.headers, sort="updated_at")["items"][-1]["updated_at"]
    assert _numbers(client, tenant.headers, updated_after=since) == []

    etag = client.get(f"/api/v1/cases/{second['id']}", headers=admin.headers).headers["ETag"]
    assigned = client.post(
        f"/api/v1/cases/{second['id']}/assignment",
        json={"assignee_id": str(admin.user.id)},
        headers={**admin.headers, "If-Match": etag},
    )
    assert assigned.status_code == 200, assigned.get_json()
    logged = client.post(
        f"/api/v1/cases/{third['id']}/contacts",
        json={"direction": "out", "channel": "phone", "summary": "Called back"},
        headers=admin.headers,
    )
    assert logged.status_code == 201, logged.get_json()
    moved = act(first["id"], "request_item", {"shipping_instructions": "Post it"}, admin.headers)
    assert moved.status_code == 200, moved.get_json()

    changed = _numbers(client, tenant.headers, updated_after=since, sort="updated_at")
    assert changed == [second["number"], third["number"], first["number"]]
    # Page by page, the same order, each page's cursor after the last row read.
    seen, cursor = [], None
    while True:
        query = {"updated_after": since, "sort": "updated_at", "limit": 1}
        page = _list(client, tenant.headers, **query | ({"cursor": cursor} if cursor else {}))
        seen += [row["number"] for row in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == changed


def test_filters_by_serial_number_sku_and_the_customers_email_or_phone(
    client, tenant, other_tenant, open_case
):
    item = {
        "sku": "PHN-2",
        "name": "Phone 2",
        "serial_number": "SN-77",
        "purchase_date": "2026-09-01",
    }
    bob = {"name": "Bob", "email": "bob@example.com", "phone": "+86 139 0000 0042"}
    target = open_case(customer=bob, items=[item])
    open_case()
    open_case(as_tenant=other_tenant, customer=bob, items=[item])
    headers = tenant.headers
    for query in (
        {"serial_number": "SN-77"},
        {"sku": "PHN-2"},
        {"customer_email": "BOB@example.com"},
        {"customer_phone": "+8613900000042"},
        {"customer_phone": "+86 139-0000-0042", "sku": "PHN-2"},
    ):
        assert _numbers(client, headers, **query) == [target["number"]], query
    assert _numbers(client, headers, serial_number="SN-78") == []
    assert _numbers(client, headers, customer_email="li.wei@example.com", sku="PHN-2") == []
    for name, value in (("customer_email", "not-an-address"), ("customer_phone", "12")):
        bad = client.get("/api/v1/cases", query_string={name: value}, headers=headers)
        assert bad.status_code == 422 and name in bad.get_json()["errors"]["query"]


def test_a_deep_page_is_an_index_range_not_a_filter(app, client, tenant, open_case, db_session):
    """The keyset bound is one row comparison the (storefront_id, created_at, id) index
    starts its range at, on both backends (no timing: the plan says so)."""
    for _ in range(3):
        open_case()
    cursor = _list(client, tenant.headers, limit=1)["next_cursor"]
    statements = []
    engine = app.extensions["database"].engine

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT") and "FROM cases" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        _list(client, tenant.headers, limit=1, cursor=cursor)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    [(statement, parameters)] = statements
    assert "(cases.created_at, cases.id) <" in statement
    connection = db_session.connection()
    if engine.dialect.name == "sqlite":
        explained = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        plan = " ".join(str(row[-1]) for row in explained)
        assert "USING INDEX ix_cases_storefront_created" in plan, plan
        assert "(created_at,id)<(?,?)" in plan, plan
    else:
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        explained = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        plan = "\n".join(row[0] for row in explained)
        assert "Index Cond:" in plan and "ROW(" in plan, plan


def test_list_rows_load_no_password_hash_and_no_items(
    app, client, tenant, admin, open_case, db_session
):
    case = open_case()
    db_session.get(Case, uuid.UUID(case["id"])).assignee_id = admin.user.id
    db_session.commit()
    statements: list[str] = []
    engine = app.extensions["database"].engine

    def capture(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        for query in ({}, {"sort": "due"}, {"include": "allowed_actions"}):
            assert _list(client, admin.headers, **query)["items"][0]["assignee_id"] == str(
                admin.user.id
            )
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    listed = [s for s in statements if "FROM cases" in s]
    assert listed and not any("password_hash" in s for s in listed)
    assert not any("FROM case_items" in s or "FROM shipments" in s for s in statements)
    # The customer's history shows whole cases, with the assignee's name but not the hash.
    statements.clear()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        history = client.get(
            f"/api/v1/customers/{case['customer']['id']}/cases", headers=admin.headers
        ).get_json()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert history["items"][0]["assignee"]["name"] == admin.user.name
    assert not any("password_hash" in s for s in statements if "FROM cases" in s)


def test_overdue_and_due_before_agree_with_the_clocks(client, tenant, open_case, db_session):
    late, soon, later = open_case(), open_case(), open_case()
    now = utcnow()
    for ref, due in ((late, now - timedelta(minutes=5)), (soon, now + timedelta(minutes=30))):
        db_session.get(Case, uuid.UUID(ref["id"])).first_response_due_at = due
    db_session.commit()
    assert _numbers(client, tenant.headers, overdue="true") == [late["number"]]
    assert set(_numbers(client, tenant.headers, overdue="false")) == {
        soon["number"],
        later["number"],
    }
    in_an_hour = (now + timedelta(hours=1)).isoformat()
    assert _numbers(client, tenant.headers, due_before=in_an_hour, sort="due") == [
        late["number"],
        soon["number"],
    ]


def test_allowed_actions_worked_out_once_per_kind_status_and_role_equal_every_refusal():
    """The cached candidates plus guards give what checking every transition gives, for
    every status, kind and actor, with and without items in warranty."""
    from service.cases.lifecycle import _refusal, allowed_actions
    from service.cases.models import CaseItem, CaseKind
    from service.cases.transitions import TRANSITIONS
    from service.core.auth import Actor, ActorType
    from service.staff.models import StaffRole

    now = utcnow()
    actors = [Actor(ActorType.staff, None, "s", role) for role in StaffRole] + [
        Actor(kind, None, "x") for kind in ActorType if kind != ActorType.staff
    ]
    for status in CaseStatus:
        for kind in CaseKind:
            for covered in (True, False):
                case = Case(status=status, kind=kind, quotes=[])
                case.items = [CaseItem(in_warranty=covered, receipts=[])]
                for actor in actors:
                    expected = [
                        action
                        for action, transition in TRANSITIONS.items()
                        if _refusal(transition, case, actor, now) is None
                    ]
                    assert allowed_actions(case, actor, now) == expected, (status, kind, actor)
