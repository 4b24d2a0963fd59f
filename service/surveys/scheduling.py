"""Scheduling a case's follow-up survey when it completes.

Kept apart from service.surveys.service because `perform()` calls it while recording a
completion, and the survey service calls `perform()` to close the case when a survey is
answered or expires: the lifecycle depends on this module, the survey service on the
lifecycle.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from service.cases.models import Case
from service.storefronts.models import Storefront
from service.surveys.models import Survey, SurveyStatus

#: An invitation sent later than this after completion could not reach the customer
#: within 3 days once its SMS waits out a night of quiet hours (up to 11 h).
MAX_INVITE_DELAY = timedelta(hours=60)


def schedule_survey(session: Session, case: Case, now: datetime) -> Survey:
    storefront = session.get(Storefront, case.storefront_id)
    delay = min(timedelta(hours=storefront.survey_delay_hours), MAX_INVITE_DELAY)
    survey = Survey(
        case_id=case.id, status=SurveyStatus.scheduled, invite_at=now + delay, created_at=now
    )
    session.add(survey)
    return survey
