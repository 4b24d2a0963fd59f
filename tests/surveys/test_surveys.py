"""The follow-up survey on a frozen clock: invited after the delay and within 3 days,
SMS waiting out quiet hours, reminded once, closing the case when answered or when the
window ends unanswered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from service.notifications.models import NoticeStatus, Notification
from service.surveys.models import SurveyStatus
from service.surveys.service import (
    current_survey,
    expire_unanswered,
    send_due_invitations,
    send_due_reminders,
)
from tests.timeline import Story

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 10:00 in Shanghai: invitations 24 h later land in daytime too.
MORNING = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def delivered(app, db_session, tenant):
    # The app context ends before the test runs: requests must get their own.
    with app.app_context():
        return Story(db_session, tenant.storefront, MORNING).deliver()


def notices(db_session, story, template: str) -> list[Notification]:
    return list(
        db_session.scalars(
            select(Notification)
            .where(Notification.case_id == story.case.id, Notification.template == template)
            .order_by(Notification.channel)
        )
    )


def test_the_survey_is_sent_after_the_delay_and_within_three_days(app, db_session, delivered):
    survey = current_survey(db_session, delivered.case)
    assert survey.status == SurveyStatus.scheduled
    assert survey.invite_at == MORNING + timedelta(hours=24)  # the storefront's delay
    with app.app_context():
        assert send_due_invitations(db_session, MORNING + timedelta(hours=23)) == 0
        assert send_due_invitations(db_session, survey.invite_at) == 1
        db_session.commit()
    email, sms = notices(db_session, delivered, "survey_invite")
    assert email.status == sms.status == NoticeStatus.queued  # handed to the relay
    assert "/c/survey/" in sms.body_text
    assert survey.status == SurveyStatus.sent
    assert delivered.case.followed_up_at - delivered.case.completed_at <= timedelta(days=3)
    assert delivered.case.followed_up_at <= delivered.case.followup_due_at


def test_a_long_configured_delay_is_capped_to_reach_the_customer_within_three_days(
    app, db_session, create_tenant
):
    shop = create_tenant(survey_delay_hours=100)
    with app.app_context():
        story = Story(db_session, shop.storefront, MORNING).deliver()
    survey = current_survey(db_session, story.case)
    assert survey.invite_at - story.case.completed_at == timedelta(hours=60)


def test_the_sms_invitation_waits_for_the_morning_the_email_does_not(app, db_session, tenant):
    evening = datetime(2026, 11, 2, 22, 30, tzinfo=SHANGHAI).astimezone(UTC)
    with app.app_context():
        story = Story(db_session, tenant.storefront, evening).deliver()
        survey = current_survey(db_session, story.case)
        send_due_invitations(db_session, survey.invite_at)  # 22:30 the next day
        db_session.commit()
    email, sms = notices(db_session, story, "survey_invite")
    assert email.status == NoticeStatus.queued and email.scheduled_for == survey.invite_at
    assert sms.status == NoticeStatus.deferred
    assert sms.scheduled_for == datetime(2026, 11, 4, 8, 0, tzinfo=SHANGHAI).astimezone(UTC)
    assert sms.scheduled_for - story.case.completed_at < timedelta(days=3)


def test_one_reminder_if_unanswered(app, db_session, delivered):
    survey = current_survey(db_session, delivered.case)
    with app.app_context():
        send_due_invitations(db_session, survey.invite_at)
        assert send_due_reminders(db_session, survey.invite_at + timedelta(hours=47)) == 0
        assert send_due_reminders(db_session, survey.invite_at + timedelta(hours=48)) == 1
        assert send_due_reminders(db_session, survey.invite_at + timedelta(hours=72)) == 0
        db_session.commit()
    assert len(notices(db_session, delivered, "survey_reminder")) == 2  # email + SMS, once


def test_the_window_ending_unanswered_closes_the_case_recorded_as_such(
    app, db_session, client, admin, delivered
):
    survey = current_survey(db_session, delivered.case)
    with app.app_context():
        send_due_invitations(db_session, survey.invite_at)
        assert expire_unanswered(db_session, survey.invite_at + timedelta(days=6)) == 0
        assert expire_unanswered(db_session, survey.invite_at + timedelta(days=7)) == 1
        db_session.commit()
    assert survey.status == SurveyStatus.expired
    assert delivered.case.status.value == "closed"
    timeline = client.get(
        f"/api/v1/cases/{delivered.case.id}/timeline", headers=admin.headers
    ).get_json()
    assert timeline[-1]["action"] == "close"
    assert timeline[-1]["actor"]["type"] == "system"
    assert "window ended unanswered" in timeline[-1]["note"]


ANSWERS = {
    "service_attitude": 5,
    "product_quality": 4,
    "price_reasonableness": 3,
    "overall_satisfaction": 4,
    "comment": "Quick and friendly.",
}


def test_staff_record_a_phone_follow_up_which_closes_the_case(
    app, db_session, client, admin, tenant, delivered
):
    url = f"/api/v1/cases/{delivered.case.id}/survey"
    assert client.post(url, json=ANSWERS, headers=tenant.headers).status_code == 403
    response = client.post(url, json=ANSWERS, headers=admin.headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["status"], body["answer_channel"], body["recorded_by_name"]) == (
        "answered",
        "phone",
        "Ada Admin",
    )
    assert body["price_reasonableness"] == 3 and body["comment"] == "Quick and friendly."
    case = client.get(f"/api/v1/cases/{delivered.case.id}", headers=admin.headers).get_json()
    assert case["status"] == "closed"
    assert case["sla"]["follow_up"]["met_at"] is not None
    again = client.post(url, json=ANSWERS, headers=admin.headers)
    assert again.status_code == 409
    with app.app_context():
        # The scheduled invitation is not sent any more: the customer has been followed up.
        assert send_due_invitations(db_session, MORNING + timedelta(days=2)) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service_attitude": 6}, "service_attitude"),
        ({"product_quality": 0}, "product_quality"),
        ({"overall_satisfaction": "5"}, "overall_satisfaction"),
        ({"comment": "x" * 2001}, "comment"),
    ],
)
def test_bad_answers_are_rejected_naming_the_field(
    client, admin, delivered, db_session, change, field
):
    response = client.post(
        f"/api/v1/cases/{delivered.case.id}/survey",
        json={**ANSWERS, **change},
        headers=admin.headers,
    )
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert current_survey(db_session, delivered.case).status == SurveyStatus.scheduled


def test_no_survey_before_completion(client, admin, open_case):
    case = open_case()
    assert (
        client.get(f"/api/v1/cases/{case['id']}/survey", headers=admin.headers).status_code == 404
    )


def test_a_survey_past_its_window_cannot_be_answered_even_before_the_expiry_job(
    app, db_session, delivered
):
    from service.core.auth import SYSTEM
    from service.surveys.models import AnswerChannel
    from service.surveys.service import SurveyClosed, record_answer

    survey = current_survey(db_session, delivered.case)
    with app.app_context():
        send_due_invitations(db_session, survey.invite_at)
        with pytest.raises(SurveyClosed):
            record_answer(
                db_session,
                survey,
                ANSWERS,
                AnswerChannel.phone,
                SYSTEM,
                survey.expires_at + timedelta(minutes=1),
            )
    assert survey.status == SurveyStatus.sent
