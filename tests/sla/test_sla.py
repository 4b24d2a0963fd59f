"""SLA clocks on a frozen clock: deadlines, pauses while waiting on the customer,
filters, and exactly one alert per breach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from service.notifications.models import Notification
from service.sla.jobs import check_sla
from service.sla.models import SlaBreach
from service.staff.models import StaffRole, StaffUser
from tests.timeline import Story

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def story(app, db_session, tenant):
    with app.app_context():
        return Story(db_session, tenant.storefront, T0)


def test_a_new_case_has_first_response_and_resolution_deadlines(story):
    case = story.case
    assert case.first_response_due_at == T0 + timedelta(hours=24)
    assert case.resolution_due_at == T0 + timedelta(hours=240)  # repair default
    assert case.followup_due_at is None


def test_resolution_targets_are_per_kind_and_storefront(app, db_session, create_tenant):
    from service.cases.models import CaseKind

    shop = create_tenant(resolution_hours={"complaint": 12})
    with app.app_context():
        complaint = Story(db_session, shop.storefront, T0, kind=CaseKind.complaint).case
        inquiry = Story(db_session, shop.storefront, T0, kind=CaseKind.inquiry).case
    assert complaint.resolution_due_at == T0 + timedelta(hours=12)
    assert inquiry.resolution_due_at == T0 + timedelta(hours=24)


def test_the_resolution_clock_pauses_while_waiting_on_the_customer(app, story):
    with app.app_context():
        story.later(hours=1).do("request_item")  # waiting for the item
        assert story.case.resolution_paused_at == T0 + timedelta(hours=1)
        due_before_pause = story.case.resolution_due_at
        item = str(story.case.items[0].id)
        story.later(hours=30).do("receive", items=[{"item_id": item, "condition": "damaged"}])
    assert story.case.resolution_paused_at is None
    assert story.case.resolution_due_at == due_before_pause + timedelta(hours=30)
    assert story.case.first_responded_at == T0 + timedelta(hours=1)


def test_a_paused_clock_is_not_breached_and_the_quote_wait_pauses_too(app, story, client, admin):
    with app.app_context():
        item = str(story.case.items[0].id)
        story.do("receive", items=[{"item_id": item, "condition": "damaged"}]).do("diagnose")
        story.do("send_quote")
        assert story.case.resolution_paused_at == story.now
    view = client.get(f"/api/v1/cases/{story.case.id}", headers=admin.headers).get_json()
    assert view["sla"]["resolution"]["paused"] is True
    assert view["sla"]["resolution"]["breached"] is False


def test_completion_stops_the_resolution_clock_and_starts_the_follow_up(app, story, client, admin):
    with app.app_context():
        story.later(hours=5).deliver()
    case = story.case
    assert case.completed_at == T0 + timedelta(hours=5)
    assert case.followup_due_at == case.completed_at + timedelta(days=3)
    view = client.get(f"/api/v1/cases/{case.id}", headers=admin.headers).get_json()
    assert view["sla"]["resolution"]["met_at"] is not None
    assert view["sla"]["resolution"]["breached"] is False
    assert view["sla"]["follow_up"]["due_at"] is not None


def test_overdue_and_due_before_filter_the_list(app, story, client, admin, db_session):
    # The story's case was opened at T0, long ago: its first response is overdue.
    fresh = client.post(
        "/api/v1/cases",
        json={
            "kind": "inquiry",
            "description": "Question",
            "storefront_id": str(story.case.storefront_id),
            "customer": {"name": "Ann", "email": "ann@example.com"},
        },
        headers=admin.headers,
    ).get_json()

    def numbers(**query):
        page = client.get("/api/v1/cases", query_string=query, headers=admin.headers).get_json()
        return {case["number"] for case in page["items"]}

    assert numbers(overdue="true") == {story.case.number}
    assert fresh["number"] in numbers(overdue="false")
    soon = (datetime.now(UTC) + timedelta(hours=25)).isoformat()
    assert numbers(due_before=soon) == {story.case.number, fresh["number"]}
    assert numbers(due_before=T0.isoformat()) == set()


def _alerts(db_session) -> int:
    return db_session.scalar(
        select(func.count()).select_from(Notification).where(Notification.template == "sla_breach")
    )


def test_a_breach_produces_one_alert_to_each_supervisor_never_one_per_sweep(app, story, db_session):
    for name in ("Sue", "Sam"):
        db_session.add(
            StaffUser(
                email=f"{name.lower()}@desk.example",
                name=name,
                role=StaffRole.supervisor,
                password_hash="-",
            )
        )
    db_session.add(
        StaffUser(email="agent@desk.example", name="Al", role=StaffRole.agent, password_hash="-")
    )
    db_session.commit()
    with app.app_context():
        assert check_sla(T0 + timedelta(hours=23)) == 0
        assert check_sla(T0 + timedelta(hours=25)) == 1  # first response late
        assert check_sla(T0 + timedelta(hours=26)) == 0
        assert check_sla(T0 + timedelta(hours=27)) == 0
    breaches = db_session.scalars(select(SlaBreach)).all()
    assert [(b.clock, b.due_at) for b in breaches] == [("first_response", T0 + timedelta(hours=24))]
    alerts = db_session.scalars(
        select(Notification).where(Notification.template == "sla_breach")
    ).all()
    assert sorted(a.recipient for a in alerts) == ["sam@desk.example", "sue@desk.example"]
    assert story.case.number in alerts[0].subject or story.case.number in alerts[0].body_text


def test_a_reopened_case_can_breach_again(app, story, db_session):
    db_session.add(
        StaffUser(
            email="sue@desk.example", name="Sue", role=StaffRole.supervisor, password_hash="-"
        )
    )
    db_session.commit()
    with app.app_context():
        # The first life: the repair takes longer than its 240 hours, a real breach.
        assert check_sla(T0 + timedelta(hours=241)) == 2  # first response and resolution
        story.later(hours=242).deliver().do("close").later(days=30)
        reopened_at = story.now
        story.do("reopen", reason="Fault is back")
        before = _alerts(db_session)
        assert check_sla(reopened_at + timedelta(hours=239)) == 0  # the new clock is on time
        assert check_sla(reopened_at + timedelta(hours=241)) == 1
        after = _alerts(db_session)
        assert check_sla(reopened_at + timedelta(hours=250)) == 0
    assert after == before + 1 and _alerts(db_session) == after
    resolution = db_session.scalars(
        select(SlaBreach.due_at).where(SlaBreach.clock == "resolution").order_by(SlaBreach.due_at)
    ).all()
    assert resolution == [T0 + timedelta(hours=240), reopened_at + timedelta(hours=240)]
