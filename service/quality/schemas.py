from __future__ import annotations

from datetime import date

import marshmallow as ma

from service.core.api import Schema
from service.quality.models import RUBRIC

MARK = {"validate": ma.validate.Range(min=1, max=5), "required": True}


class ReviewBodySchema(Schema):
    greeting = ma.fields.Integer(**MARK, metadata={"description": "Greeting and opening, 1-5"})
    accuracy = ma.fields.Integer(**MARK, metadata={"description": "Accurate information, 1-5"})
    attitude = ma.fields.Integer(**MARK, metadata={"description": "Attitude and tone, 1-5"})
    resolution = ma.fields.Integer(**MARK, metadata={"description": "Solved the need, 1-5"})
    compliance = ma.fields.Integer(**MARK, metadata={"description": "Followed the rules, 1-5"})
    comment = ma.fields.String(
        allow_none=True, validate=ma.validate.Length(max=2000), load_default=None
    )


class ReviewSchema(Schema):
    id = ma.fields.UUID()
    contact_id = ma.fields.UUID()
    case_id = ma.fields.UUID()
    agent_id = ma.fields.UUID()
    reviewer_id = ma.fields.UUID()
    reviewer_name = ma.fields.String()
    greeting = ma.fields.Integer()
    accuracy = ma.fields.Integer()
    attitude = ma.fields.Integer()
    resolution = ma.fields.Integer()
    compliance = ma.fields.Integer()
    score = ma.fields.Float(metadata={"description": f"Mean of {', '.join(RUBRIC)}"})
    comment = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class ReviewListSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(ReviewSchema))


class ReviewQueryArgsSchema(Schema):
    agent_id = ma.fields.UUID(
        metadata={"description": "Only this agent's (agents always get only their own)."}
    )


class SampleQueryArgsSchema(Schema):
    day = ma.fields.Date(
        validate=ma.validate.Range(min=date(1900, 1, 1), max=date(8999, 12, 31)),
        metadata={"description": "Any day of the ISO week; default: today."},
    )


class SampleContactSchema(Schema):
    id = ma.fields.UUID()
    case_id = ma.fields.UUID()
    staff_id = ma.fields.UUID()
    staff_name = ma.fields.String()
    direction = ma.fields.String()
    channel = ma.fields.String()
    summary = ma.fields.String()
    occurred_at = ma.fields.AwareDateTime()


class SampleSchema(Schema):
    week_of = ma.fields.Date(metadata={"description": "The Monday of the week sampled."})
    items = ma.fields.List(ma.fields.Nested(SampleContactSchema))
