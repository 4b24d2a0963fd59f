from __future__ import annotations

import marshmallow as ma

from service.core.api import Schema
from service.surveys.models import AnswerChannel, SurveyStatus

SCORE = {"strict": True, "required": True, "validate": ma.validate.Range(min=1, max=5)}


class SurveyAnswerSchema(Schema):
    """The follow-up questions (回访): 1 (poor) to 5 (excellent)."""

    service_attitude = ma.fields.Integer(**SCORE)
    product_quality = ma.fields.Integer(**SCORE)
    price_reasonableness = ma.fields.Integer(**SCORE)
    overall_satisfaction = ma.fields.Integer(**SCORE)
    comment = ma.fields.String(validate=ma.validate.Length(max=2000))


class SurveySchema(Schema):
    id = ma.fields.UUID()
    status = ma.fields.Enum(SurveyStatus, by_value=True)
    invite_at = ma.fields.AwareDateTime()
    sent_at = ma.fields.AwareDateTime(allow_none=True)
    reminded_at = ma.fields.AwareDateTime(allow_none=True)
    expires_at = ma.fields.AwareDateTime(allow_none=True)
    answered_at = ma.fields.AwareDateTime(allow_none=True)
    service_attitude = ma.fields.Integer(allow_none=True)
    product_quality = ma.fields.Integer(allow_none=True)
    price_reasonableness = ma.fields.Integer(allow_none=True)
    overall_satisfaction = ma.fields.Integer(allow_none=True)
    comment = ma.fields.String(allow_none=True)
    answer_channel = ma.fields.Enum(AnswerChannel, by_value=True, allow_none=True)
    recorded_by_name = ma.fields.String(allow_none=True)
