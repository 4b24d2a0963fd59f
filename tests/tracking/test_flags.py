"""Exceptions and stalled parcels flag the case for the desk: visible in the case API
and its list filter, cleared by later progress; the stalled check is a periodic job."""

from __future__ import annotations

from datetime import timedelta

import pytest

from service.core.db import utcnow
from service.tracking.jobs import flag_stalled
from tests.tracking.conftest import AFTERSHIP_NUMBER, KUAIDI100_NUMBER, case_row, fixture


def flagged_ids(client, headers, flagged: bool = True) -> list[str]:
    value = "true" if flagged else "false"
    page = client.get(f"/api/v1/cases?tracking_flagged={value}", headers=headers).get_json()
    return [case["id"] for case in page["items"]]


@pytest.mark.parametrize(
    ("provider", "payload", "reason"),
    [
        ("kuaidi100", "kuaidi100_problem", "exception"),
        ("kuaidi100", "kuaidi100_abort", "aborted"),
        ("aftership", "aftership_exception", "exception"),
        ("aftership", "aftership_expired", "expired"),
    ],
)
def test_a_carrier_problem_flags_the_case_for_the_desk(
    db_session,
    client,
    admin,
    tracking_account,
    shipped,
    push_kuaidi100,
    push_aftership,
    provider,
    payload,
    reason,
):
    account = tracking_account(provider)
    number, carrier = (
        (KUAIDI100_NUMBER, "yto") if provider == "kuaidi100" else (AFTERSHIP_NUMBER, "ups")
    )
    case = shipped(number, carrier)
    push = push_kuaidi100 if provider == "kuaidi100" else push_aftership
    assert push(account, fixture(payload)).status_code == 200

    api = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()
    assert api["status"] == "shipped"
    assert api["tracking_flag"]["reason"] == reason
    assert api["tracking_flag"]["tracking_number"] == number
    assert case["id"] in flagged_ids(client, admin.headers)
    assert case["id"] not in flagged_ids(client, admin.headers, flagged=False)
    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline", headers=admin.headers)
    (flag,) = [e for e in timeline.get_json() if e["action"] == "tracking_flagged"]
    assert flag["internal"] is True and flag["data"]["reason"] == reason
    # Pushed again: flagged once.
    push(account, fixture(payload))
    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline", headers=admin.headers)
    assert [e["action"] for e in timeline.get_json()].count("tracking_flagged") == 1


def test_delivery_after_a_problem_clears_the_flag(
    db_session, client, admin, tracking_account, shipped, push_kuaidi100
):
    account = tracking_account("kuaidi100")
    case = shipped(KUAIDI100_NUMBER, "yto")
    push_kuaidi100(account, fixture("kuaidi100_problem"))
    push_kuaidi100(account, fixture("kuaidi100_delivered"))
    api = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()
    assert (api["status"], api["tracking_flag"]) == ("delivered", None)
    assert case["id"] not in flagged_ids(client, admin.headers)


def test_a_tracked_parcel_without_news_for_the_set_days_is_flagged_stalled(
    app, db_session, client, admin, tracking_account, shipped, push_kuaidi100
):
    days = app.config["SETTINGS"].tracking_stall_days
    account = tracking_account("kuaidi100")
    quiet, fresh = shipped(KUAIDI100_NUMBER, "yto"), shipped("YT7523381290000", "yto")
    row = case_row(db_session, quiet["id"])
    row.shipments[-1].tracking_updated_at = utcnow() - timedelta(days=days, hours=1)
    # Shipped long ago too, but no provider tracks it: silence means nothing there.
    untracked = shipped(AFTERSHIP_NUMBER, "ups")
    untracked_row = case_row(db_session, untracked["id"])
    untracked_row.shipments[-1].tracking_provider = None
    untracked_row.shipments[-1].created_at = utcnow() - timedelta(days=days + 3)
    db_session.commit()

    with app.app_context():
        assert flag_stalled() == 1
        assert flag_stalled() == 0  # flagged once
    assert flagged_ids(client, admin.headers) == [quiet["id"]]
    api = client.get(f"/api/v1/cases/{quiet['id']}", headers=admin.headers).get_json()
    assert api["tracking_flag"]["reason"] == "stalled"
    assert fresh["id"] not in flagged_ids(client, admin.headers)

    # News again: the stalled flag clears.
    push_kuaidi100(account, fixture("kuaidi100_in_transit"))
    api = client.get(f"/api/v1/cases/{quiet['id']}", headers=admin.headers).get_json()
    assert api["tracking_flag"] is None


def test_the_workspace_queue_filters_cases_with_tracking_problems(
    db_session, tracking_account, shipped, push_kuaidi100, desk
):
    account = tracking_account("kuaidi100")
    flagged = shipped(KUAIDI100_NUMBER, "yto")
    calm = shipped("YT7523381290000", "yto")
    push_kuaidi100(account, fixture("kuaidi100_problem"))
    page = desk.get("/queue?tracking_flagged=1&status=all").get_data(as_text=True)
    assert flagged["number"] in page and calm["number"] not in page
    case_page = desk.get(f"/cases/{flagged['number']}").get_data(as_text=True)
    assert 'data-tracking-flag="exception"' in case_page


def test_the_desk_clears_a_flag_it_has_dealt_with(
    db_session, client, admin, tenant, tracking_account, shipped, push_kuaidi100
):
    account = tracking_account("kuaidi100")
    case = shipped(KUAIDI100_NUMBER, "yto")
    push_kuaidi100(account, fixture("kuaidi100_problem"))
    url = f"/api/v1/cases/{case['id']}/tracking/clear-flag"
    current = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers)
    assert client.post(url, headers=admin.headers).status_code == 428
    etag = {"If-Match": current.headers["ETag"]}
    assert client.post(url, headers={**tenant.headers, **etag}).status_code == 403
    cleared = client.post(url, headers={**admin.headers, **etag})
    assert cleared.status_code == 200, cleared.get_json()
    assert cleared.get_json()["tracking_flag"] is None
    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline", headers=admin.headers)
    (event,) = [e for e in timeline.get_json() if e["action"] == "tracking_flag_cleared"]
    assert event["actor"]["type"] == "staff" and event["internal"] is True
    again = client.post(url, headers={**admin.headers, "If-Match": cleared.headers["ETag"]})
    assert again.status_code == 409
    # The same push again changes nothing: the problem it reported was dealt with.
    push_kuaidi100(account, fixture("kuaidi100_problem"))
    assert (
        client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()["tracking_flag"]
        is None
    )


def test_the_workspace_clears_a_flag_at_the_version_the_page_was_drawn_at(
    db_session, tracking_account, shipped, push_kuaidi100, desk
):
    from tests.workspace.conftest import post_form

    account = tracking_account("kuaidi100")
    case = shipped(KUAIDI100_NUMBER, "yto")
    push_kuaidi100(account, fixture("kuaidi100_problem"))
    page = f"/cases/{case['number']}"
    assert "data-clear-tracking-flag" in desk.get(page).get_data(as_text=True)
    version = case_row(db_session, case["id"]).version
    url = f"/cases/{case['id']}/tracking/clear-flag"
    stale = post_form(desk, url, {"version": str(version - 1)}, token_from=page)
    assert stale.status_code == 409
    assert case_row(db_session, case["id"]).shipments[-1].tracking_flag == "exception"
    done = post_form(desk, url, {"version": str(version)}, token_from=page)
    assert done.status_code in (302, 303)
    row = case_row(db_session, case["id"])
    assert row.shipments[-1].tracking_flag is None
    assert "data-clear-tracking-flag" not in desk.get(page).get_data(as_text=True)
