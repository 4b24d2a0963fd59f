"""The queue: what it shows, its filters, search, sort, pages and bulk actions."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.cases.models import Case, CaseEvent
from service.core.db import utcnow
from service.workspace.views import queue as queue_view
from tests.workspace.conftest import csrf_token

ZHANG = {
    "external_id": "cust-zhang",
    "name": "Zhang San",
    "email": "zhang.san@example.com",
    "phone": "+86 139 1234 5678",
}


def numbers(response) -> list[str]:
    """The case numbers of the queue's rows, in order."""
    return re.findall(r'<tr data-case="([^"]+)"', response.get_data(as_text=True))


def row(db_session, case: dict) -> Case:
    return db_session.get(Case, uuid.UUID(case["id"]), populate_existing=True)


def test_the_queue_shows_each_case_in_words_with_its_clocks(desk, open_case):
    case = open_case()
    html = desk.get("/queue").get_data(as_text=True)
    assert case["number"] in html
    assert "Li Wei" in html and "Repair" in html and "Open" in html
    # The first-response and resolution clocks count down from the server's due time.
    assert html.count("data-due=") == 2
    assert 'class="clock running"' in html
    assert "23h 59m" in html or "1d 0h" in html


def test_closed_and_cancelled_cases_leave_the_open_work(desk, walk, open_case):
    from service.cases.models import CaseStatus

    cancelled = walk(CaseStatus.cancelled)
    waiting = open_case()
    shown = numbers(desk.get("/queue"))
    assert waiting["number"] in shown and cancelled["number"] not in shown
    assert cancelled["number"] in numbers(desk.get("/queue?status=all"))
    assert numbers(desk.get("/queue?status=cancelled")) == [cancelled["number"]]


def test_a_breached_clock_is_red_and_negative_and_a_paused_one_says_so(
    desk, open_case, db_session, walk
):
    from service.cases.models import CaseStatus

    late = open_case()
    row(db_session, late).first_response_due_at = utcnow() - timedelta(hours=2)
    db_session.commit()
    waiting = walk(CaseStatus.awaiting_item)
    html = desk.get("/queue").get_data(as_text=True)
    late_row = html[html.index(f'data-case="{late["number"]}"') :].split("</tr>")[0]
    assert 'class="clock breached"' in late_row and "−2h" in late_row
    waiting_row = html[html.index(f'data-case="{waiting["number"]}"') :].split("</tr>")[0]
    assert "data-paused" in waiting_row and "paused" in waiting_row


def test_due_soonest_is_the_default_order_and_newest_the_other(desk, open_case, db_session):
    first, second, third = open_case(), open_case(), open_case()
    # The newest case is the most urgent one.
    row(db_session, third).first_response_due_at = utcnow() + timedelta(hours=1)
    db_session.commit()
    assert numbers(desk.get("/queue")) == [third["number"], first["number"], second["number"]]
    newest = numbers(desk.get("/queue?sort=newest"))
    assert newest == [third["number"], second["number"], first["number"]]


@pytest.mark.parametrize("sort", ["due", "newest"])
def test_pages_follow_on_without_repeating_or_skipping(desk, open_case, monkeypatch, sort):
    monkeypatch.setattr(queue_view, "PAGE_SIZE", 2)
    opened = {open_case()["number"] for _ in range(5)}
    seen: list[str] = []
    url = f"/queue?sort={sort}"
    while url:
        html = desk.get(url).get_data(as_text=True)
        seen += re.findall(r'<tr data-case="([^"]+)"', html)
        found = re.search(r'href="([^"]+)" rel="next"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert len(seen) == 5 and set(seen) == opened


def test_filters_by_kind_channel_and_escalation(desk, open_case, db_session):
    repair = open_case()
    inquiry = open_case(kind="inquiry", channel="phone", items=[])
    row(db_session, inquiry).escalated = True
    db_session.commit()
    assert numbers(desk.get("/queue?kind=inquiry")) == [inquiry["number"]]
    assert numbers(desk.get("/queue?channel=web")) == [repair["number"]]
    assert numbers(desk.get("/queue?escalated=1")) == [inquiry["number"]]


def test_filters_by_assignee_me_unassigned_or_anyone(desk, agent, open_case, db_session):
    mine, loose = open_case(), open_case()
    row(db_session, mine).assignee_id = agent.user.id
    db_session.commit()
    assert numbers(desk.get("/queue?assignee=me")) == [mine["number"]]
    assert numbers(desk.get("/queue?assignee=none")) == [loose["number"]]
    assert set(numbers(desk.get("/queue?assignee=anyone"))) == {mine["number"], loose["number"]}
    assert numbers(desk.get(f"/queue?assignee={agent.user.id}")) == [mine["number"]]


def test_filters_by_storefront(desk, open_case, other_tenant):
    ours = open_case()
    theirs = open_case(as_tenant=other_tenant)
    shown = numbers(desk.get(f"/queue?storefront={other_tenant.storefront.id}"))
    assert shown == [theirs["number"]] and ours["number"] not in shown


def test_staff_bound_to_a_storefront_see_only_its_cases(
    sign_in, create_staff, tenant, other_tenant, open_case
):
    ours = open_case()
    theirs = open_case(as_tenant=other_tenant)
    client = sign_in(create_staff("agent", storefront=tenant.storefront))
    shown = numbers(client.get("/queue"))
    assert ours["number"] in shown and theirs["number"] not in shown
    # Naming the other storefront finds nothing rather than its cases.
    assert numbers(client.get(f"/queue?storefront={other_tenant.storefront.id}")) == []


def test_overdue_and_due_within(desk, open_case, db_session):
    late, soon, later = open_case(), open_case(), open_case()
    row(db_session, late).first_response_due_at = utcnow() - timedelta(minutes=5)
    row(db_session, soon).first_response_due_at = utcnow() + timedelta(minutes=30)
    db_session.commit()
    assert numbers(desk.get("/queue?overdue=1")) == [late["number"]]
    assert numbers(desk.get("/queue?due_within=1")) == [late["number"], soon["number"]]
    assert later["number"] in numbers(desk.get("/queue?due_within=72"))
    before = (utcnow() + timedelta(hours=1)).isoformat()
    assert numbers(desk.get("/queue", query_string={"due_before": before})) == [
        late["number"],
        soon["number"],
    ]


@pytest.mark.parametrize(
    "query",
    [
        "Zhang",  # part of the name
        "zhang san",
        "ZHANG.SAN@example.com",  # e-mail in any case
        "+86 139 1234 5678",
        "8613912345678",  # the same phone typed without +
        "(+86) 139-1234-5678",
        "ORD-2002",  # order reference
        "sn-zh-77",  # serial number, any case
    ],
)
def test_search_finds_the_case_by_anything_the_caller_knows(desk, open_case, query):
    wanted = open_case(
        customer=ZHANG,
        order_reference="ORD-2002",
        items=[
            {
                "sku": "PH-1",
                "name": "Phone",
                "serial_number": "SN-ZH-77",
                "purchase_date": "2026-06-01",
            }
        ],
    )
    open_case()
    assert numbers(desk.get("/queue", query_string={"q": query})) == [wanted["number"]]


def test_search_by_case_number_or_its_digits(desk, open_case):
    wanted = open_case()
    open_case()
    assert numbers(desk.get("/queue", query_string={"q": wanted["number"].lower()})) == [
        wanted["number"]
    ]
    digits = str(int(wanted["number"].split("-")[1]))
    assert numbers(desk.get("/queue", query_string={"q": digits})) == [wanted["number"]]


def test_search_with_like_wildcards_matches_them_literally(desk, open_case):
    open_case()
    assert numbers(desk.get("/queue", query_string={"q": "%"})) == []
    assert numbers(desk.get("/queue", query_string={"q": "_"})) == []


def test_a_bad_filter_is_named_on_the_page_and_the_others_still_apply(desk, open_case):
    repair = open_case()
    open_case(kind="inquiry", items=[])
    response = desk.get("/queue?kind=repair&assignee=nobody&sort=sideways&channel=pigeon")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "assignee" in html and "sort" in html and "channel" in html
    assert numbers(response) == [repair["number"]]


def test_a_forged_cursor_is_a_page_not_a_500(desk, open_case):
    open_case()
    response = desk.get("/queue?cursor=bm90LWpzb24")
    assert response.status_code == 422
    assert "<html" in response.get_data(as_text=True)


def test_an_htmx_request_gets_only_the_rows(desk, open_case):
    case = open_case()
    response = desk.get("/queue?kind=repair", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="queue-rows">')
    assert "<html" not in html and case["number"] in html


def test_saved_views_are_plain_links(desk):
    html = desk.get("/queue?assignee=me").get_data(as_text=True)
    assert '<a href="/queue?assignee=me" aria-current="page">' in html
    assert 'href="/queue?overdue=1"' in html


# --- bulk ---------------------------------------------------------------------------------


def _bulk(client, cases, **data):
    token = csrf_token(client, "/queue")
    form = {"csrf_token": token, "back": "/queue?kind=repair", **data}
    form["case"] = [f"{c['id']}:{c['version']}" for c in cases]
    return client.post("/queue/bulk", data=form)


def test_bulk_assign_assigns_every_ticked_case(desk, technician, open_case, db_session):
    cases = [open_case(), open_case()]
    response = _bulk(desk, cases, operation="assign", assignee=str(technician.user.id))
    assert response.status_code == 303
    assert response.headers["Location"] == "/queue?kind=repair"
    for case in cases:
        assert row(db_session, case).assignee_id == technician.user.id
    events = db_session.scalars(select(CaseEvent).where(CaseEvent.action == "assign")).all()
    assert len(events) == 2 and all(e.actor_name == "Ann Agent" for e in events)
    assert "2 cases updated." in desk.get("/queue").get_data(as_text=True)


def test_bulk_unassign_and_assign_without_a_choice(desk, technician, open_case, db_session):
    case = open_case()
    row(db_session, case).assignee_id = technician.user.id
    db_session.commit()
    case = desk.get("/queue")  # the version moved: read it again from the page
    html = case.get_data(as_text=True)
    value = re.search(r'name="case" value="([^"]+)"', html).group(1)
    token = csrf_token(desk, "/queue")
    nothing = desk.post(
        "/queue/bulk", data={"csrf_token": token, "operation": "assign", "case": value}
    )
    assert nothing.status_code == 303
    assert "Choose whom to assign the cases to." in desk.get("/queue").get_data(as_text=True)
    desk.post(
        "/queue/bulk",
        data={"csrf_token": token, "operation": "assign", "assignee": "none", "case": value},
    )
    assert (
        db_session.get(Case, uuid.UUID(value.split(":")[0]), populate_existing=True).assignee_id
        is None
    )


def test_bulk_escalate(desk, open_case, db_session):
    case = open_case()
    _bulk(desk, [case], operation="escalate")
    assert row(db_session, case).escalated is True


def test_a_case_changed_since_it_was_shown_is_left_alone(
    desk, client, technician, admin, open_case, db_session
):
    fresh, stale = open_case(), open_case()
    # Someone else changes `stale` after the desk drew its queue.
    changed = client.post(
        f"/api/v1/cases/{stale['id']}/assignment",
        json={"priority": "high"},
        headers={
            **admin.headers,
            "If-Match": client.get(f"/api/v1/cases/{stale['id']}", headers=admin.headers).headers[
                "ETag"
            ],
        },
    )
    assert changed.status_code == 200
    _bulk(desk, [fresh, stale], operation="assign", assignee=str(technician.user.id))
    assert row(db_session, fresh).assignee_id == technician.user.id
    assert row(db_session, stale).assignee_id is None
    html = desk.get("/queue").get_data(as_text=True)
    assert f"{stale['number']} was changed by Ada Admin meanwhile" in html


def test_bulk_assign_to_staff_of_another_storefront_is_refused(
    desk, create_staff, other_tenant, open_case, db_session
):
    case = open_case()
    outsider = create_staff("technician", storefront=other_tenant.storefront)
    _bulk(desk, [case], operation="assign", assignee=str(outsider.user.id))
    assert row(db_session, case).assignee_id is None
    assert "No active staff member with this id." in desk.get("/queue").get_data(as_text=True)


def test_bulk_needs_the_csrf_token(desk, technician, open_case, db_session):
    case = open_case()
    response = desk.post(
        "/queue/bulk",
        data={
            "operation": "assign",
            "assignee": str(technician.user.id),
            "case": f"{case['id']}:{case['version']}",
        },
    )
    assert response.status_code == 400
    assert row(db_session, case).assignee_id is None


def test_bulk_with_nothing_ticked_says_what_to_do(desk):
    response = _bulk(desk, [], operation="escalate")
    assert response.status_code == 303
    assert "Tick one or more cases" in desk.get("/queue").get_data(as_text=True)


def test_bulk_on_another_storefronts_case_finds_nothing(
    sign_in, create_staff, tenant, other_tenant, open_case, db_session
):
    theirs = open_case(as_tenant=other_tenant)
    client = sign_in(create_staff("agent", storefront=tenant.storefront))
    response = _bulk(client, [theirs], operation="escalate")
    assert response.status_code == 303
    assert row(db_session, theirs).escalated is False
    assert f"There is no case {theirs['id']}." in client.get("/queue").get_data(as_text=True)
