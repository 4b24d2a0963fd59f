"""What the customer's links may do: open their case, decide its quote, answer its survey.

Plain functions over a session, like every service function: they flush and never
commit. Whatever they refuse, they refuse with a :class:`PageNotice` naming the page
that explains it, before anything is written (or the route rolls back).
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service.cases.errors import ActionDataError, ActionRefused
from service.cases.intake import get_case
from service.cases.lifecycle import perform
from service.cases.models import Case, CaseStatus
from service.core.auth import Actor, ActorType
from service.links import LinkInvalid, read_token
from service.quotes.models import Quote, QuoteStatus
from service.quotes.service import current_quote
from service.surveys.models import AnswerChannel, Survey, SurveyStatus
from service.surveys.service import SurveyClosed, current_survey, record_answer


class PageNotice(Exception):
    """Nothing was done, and a page says why: the HTTP status, the strings keys of its
    title and body, and the values the text needs."""

    def __init__(self, status: int, title: str, body: str, case: Case, **values: Any) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.body = body
        self.case = case
        self.values = values


def case_for_token(session: Session, token: str, purpose: str, for_update: bool = False) -> Case:
    """The case a customer link opens; raises LinkInvalid or LinkExpired.

    The link key must be the case's current one: rotating it revokes every link. A
    token naming a case that no longer exists is as invalid as a forged one.
    """
    case_id, link_key = read_token(token, purpose)
    case = get_case(session, None, str(case_id), for_update=for_update)
    if case is None or not hmac.compare_digest(case.link_key.encode(), link_key.encode()):
        raise LinkInvalid
    return case


def customer_actor(case: Case) -> Actor:
    return Actor(ActorType.customer, None, case.customer.name)


# --- quotes ----------------------------------------------------------------------------


def quote_decidable(case: Case, quote: Quote | None, now: datetime) -> bool:
    """Whether the quote page offers the approve / decline forms."""
    return (
        quote is not None
        and quote.status == QuoteStatus.pending
        and not quote.expired(now)
        and case.status == CaseStatus.quote_pending
    )


@dataclass(frozen=True)
class Decision:
    """The decision the customer's quote now carries, whether this request made it or
    an identical one before it (a double click, a re-post)."""

    quote: Quote
    approved: bool


def decide_quote(
    session: Session,
    case: Case,
    quote_id: uuid.UUID,
    approve: bool,
    reason: str | None,
    now: datetime,
) -> Decision:
    """Approve or decline the quote the customer saw, once, through the lifecycle.

    The case must be locked by the caller, so that of two submissions racing, the
    second sees the first one's decision and repeats its answer instead of deciding again.
    """
    wanted = QuoteStatus.approved if approve else QuoteStatus.declined
    # The binding was signed for this case, so the quote is one of its own.
    quote = next((q for q in case.quotes if q.id == quote_id), None)
    if quote is not None and quote.status == wanted:
        return Decision(quote, approve)
    if quote is None or quote is not current_quote(case):
        raise PageNotice(409, "superseded_title", "superseded_body", case)
    if quote.status in (QuoteStatus.approved, QuoteStatus.declined):
        body = f"already_decided_{quote.status.value}"
        raise PageNotice(409, "already_decided_title", body, case, when=quote.decided_at)
    if quote.expired(now):
        raise PageNotice(
            409, "quote_expired_title", "quote_expired_body", case, when=quote.valid_until
        )
    action = "approve_quote" if approve else "decline_quote"
    try:
        perform(
            session,
            case,
            action,
            {"quote_id": quote.id, "note": reason},
            customer_actor(case),
            now,
        )
    except (ActionRefused, ActionDataError) as refused:
        # The case moved on (cancelled, say): the quote is still pending, but the
        # lifecycle no longer lets anyone decide it.
        raise PageNotice(409, "not_decidable_title", "not_decidable_body", case) from refused
    return Decision(quote, approve)


# --- surveys -----------------------------------------------------------------------


def open_survey(
    session: Session, case: Case, now: datetime, form_survey_id: uuid.UUID | None = None
) -> Survey:
    """The survey the customer may answer now; otherwise a PageNotice saying why not.

    `form_survey_id` is the survey a submitted form was rendered for.
    """
    survey = current_survey(session, case)
    # A scheduled survey has not been sent: its link cannot be in anyone's hands yet.
    if survey is None or survey.status == SurveyStatus.scheduled:
        raise PageNotice(404, "survey_missing_title", "survey_missing_body", case)
    if survey.status == SurveyStatus.answered:
        raise PageNotice(200, "survey_answered_title", "survey_answered_body", case)
    # The expiry job may not have run yet: the window is over at `expires_at` all the same.
    expired = survey.expires_at is not None and now >= survey.expires_at
    if survey.status == SurveyStatus.expired or expired:
        raise PageNotice(410, "survey_closed_title", "survey_closed_body", case)
    if form_survey_id is not None and form_survey_id != survey.id:
        # The form of an earlier survey of this case (it was reopened since): that one is over.
        raise PageNotice(410, "survey_closed_title", "survey_closed_body", case)
    return survey


def answer_survey(
    session: Session, case: Case, survey: Survey, answers: dict[str, Any], now: datetime
) -> Survey:
    """Record the customer's answers once, which closes the case.

    The case must be locked by the caller; `record_answer`'s compare-and-set still
    guarantees a single answer should two submissions get this far.
    """
    try:
        return record_answer(
            session, survey, answers, AnswerChannel.link, customer_actor(case), now
        )
    except SurveyClosed as closed:
        if closed.survey.status == SurveyStatus.answered:
            raise PageNotice(200, "survey_answered_title", "survey_answered_body", case) from None
        raise PageNotice(410, "survey_closed_title", "survey_closed_body", case) from None
