"""The follow-up survey: scheduled at completion, invited within 3 days (SMS respecting
quiet hours through the outbox), reminded once, answered once — on the customer's page
or by staff over the phone — and closed by itself when the window ends unanswered.

Scheduling at completion is in service.surveys.scheduling: the lifecycle calls it, and
this module calls the lifecycle.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.cases.lifecycle import perform
from service.cases.models import Case
from service.core.auth import SYSTEM, Actor
from service.notifications.outbox import write_customer_notices
from service.sla.clocks import COMPLETED
from service.surveys.models import AnswerChannel, Survey, SurveyStatus
from service.webhooks.events import emit

REMIND_AFTER = timedelta(hours=48)
ANSWER_WINDOW = timedelta(days=7)
ANSWER_FIELDS = (
    "service_attitude",
    "product_quality",
    "price_reasonableness",
    "overall_satisfaction",
)


class SurveyClosed(Exception):
    """Already answered, or its window is over."""

    def __init__(self, survey: Survey) -> None:
        super().__init__(survey.status.value)
        self.survey = survey


def current_survey(session: Session, case: Case) -> Survey | None:
    return session.scalars(
        select(Survey).where(Survey.case_id == case.id).order_by(Survey.created_at.desc())
    ).first()


def record_answer(
    session: Session,
    survey: Survey,
    answers: dict[str, Any],
    channel: AnswerChannel,
    actor: Actor,
    now: datetime,
) -> Survey:
    """Record the answers once and close the completed case. Flushes, never commits."""
    window_over = survey.expires_at is not None and now >= survey.expires_at
    if survey.status not in (SurveyStatus.scheduled, SurveyStatus.sent) or window_over:
        # Past its window a survey is closed even before the expiry job has run.
        raise SurveyClosed(survey)
    # Compare-and-set: of two concurrent submissions (a double click), one records.
    won = session.execute(
        update(Survey)
        .where(
            Survey.id == survey.id, Survey.status.in_((SurveyStatus.scheduled, SurveyStatus.sent))
        )
        .values(status=SurveyStatus.answered, answered_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(survey)
    if won != 1:
        raise SurveyClosed(survey)
    for field in ANSWER_FIELDS:
        setattr(survey, field, answers[field])
    survey.comment = answers.get("comment")
    survey.answer_channel = channel
    survey.recorded_by_name = actor.name
    case = session.get(Case, survey.case_id)
    case.followed_up_at = case.followed_up_at or now
    case.updated_at = now  # a change of the case: its version moves with the event
    scores = {field: answers[field] for field in ANSWER_FIELDS}
    emit(session, case, "survey.answered", {"channel": channel.value, "answers": scores}, now=now)
    if case.status in COMPLETED:
        perform(
            session, case, "close", {"note": f"Survey answered ({channel.value})."}, SYSTEM, now
        )
    session.flush()
    return survey


def send_due_invitations(session: Session, now: datetime) -> int:
    sent = 0
    for survey in session.scalars(
        select(Survey).where(Survey.status == SurveyStatus.scheduled, Survey.invite_at <= now)
    ).all():
        case = session.get(Case, survey.case_id)
        survey.status, survey.sent_at, survey.expires_at = (
            SurveyStatus.sent,
            now,
            now + ANSWER_WINDOW,
        )
        # Reaching the customer is the follow-up the 3-day clock asks for.
        case.followed_up_at = case.followed_up_at or now
        write_customer_notices(
            session, case, "survey_invite", f"survey_invite:{survey.id.hex}", now
        )
        sent += 1
    return sent


def send_due_reminders(session: Session, now: datetime) -> int:
    reminded = 0
    for survey in session.scalars(
        select(Survey).where(
            Survey.status == SurveyStatus.sent,
            Survey.reminded_at.is_(None),
            Survey.sent_at <= now - REMIND_AFTER,
            Survey.expires_at > now,
        )
    ).all():
        survey.reminded_at = now
        case = session.get(Case, survey.case_id)
        write_customer_notices(
            session, case, "survey_reminder", f"survey_reminder:{survey.id.hex}", now
        )
        reminded += 1
    return reminded


def expire_unanswered(session: Session, now: datetime) -> int:
    """Close the cases whose survey window ended unanswered, recorded as such."""
    expired = 0
    for survey in session.scalars(
        select(Survey).where(Survey.status == SurveyStatus.sent, Survey.expires_at <= now)
    ).all():
        survey.status = SurveyStatus.expired
        case = session.get(Case, survey.case_id)
        if case.status in COMPLETED:
            note = "Closed automatically: the survey window ended unanswered."
            perform(session, case, "close", {"note": note}, SYSTEM, now)
        expired += 1
    return expired
