"""The follow-up survey over the API: read it, or record a phone follow-up (staff)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import abort

from service.cases.routes import case_or_404
from service.core import db
from service.core.api import API_PREFIX, Blueprint, created, transaction
from service.core.auth import require_staff
from service.core.db import utcnow
from service.surveys.models import AnswerChannel, Survey
from service.surveys.schemas import SurveyAnswerSchema, SurveySchema
from service.surveys.service import SurveyClosed, current_survey, record_answer

blp = Blueprint("surveys", __name__, url_prefix="/cases", description="Follow-up surveys")


def survey_or_404(case_ref: str, for_update: bool = False) -> Survey:
    case = case_or_404(case_ref, for_update=for_update)
    survey = current_survey(db.session(), case)
    if survey is None:
        abort(404, message="No follow-up survey yet: it starts when the case is completed.")
    return survey


@blp.route("/<string:case_ref>/survey")
class SurveyViews(MethodView):
    @blp.auth_required
    @blp.response(200, SurveySchema)
    def get(self, case_ref: str) -> Survey:
        """The case's latest follow-up survey and its answers"""
        return survey_or_404(case_ref)

    @blp.doc(operationId="answerCaseSurvey")
    @blp.auth_required
    @blp.arguments(SurveyAnswerSchema)
    @transaction
    @blp.response(201, SurveySchema)
    @blp.alt_response(409, description="Already answered, or the window is over")
    @blp.alt_response(403, description="Only service staff may do this")
    def post(self, answers: dict[str, Any], case_ref: str) -> Survey:
        """Record a phone follow-up (staff): the same answers as the customer's page"""
        survey = survey_or_404(case_ref, for_update=True)
        require_staff()
        created(f"{API_PREFIX}/cases/{survey.case_id}/survey")
        try:
            return record_answer(
                db.session(), survey, answers, AnswerChannel.phone, g.principal.actor, utcnow()
            )
        except SurveyClosed as closed:
            abort(409, message=f"The survey is {closed.survey.status.value}.")
