"""Quality review over the API: score a contact, read reviews, the weekly sample."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import abort

from service.core import db
from service.core.api import Blueprint, transaction
from service.core.auth import require_staff
from service.core.db import utcnow
from service.quality.models import QaReview
from service.quality.schemas import (
    ReviewBodySchema,
    ReviewListSchema,
    ReviewQueryArgsSchema,
    ReviewSchema,
    SampleQueryArgsSchema,
    SampleSchema,
)
from service.quality.service import (
    REVIEWERS,
    ReviewRefused,
    review_contact,
    reviews_of,
    week_of,
    weekly_sample,
)

blp = Blueprint("quality", __name__, url_prefix="/qa", description="Quality review (质检)")


@blp.route("/contacts/<uuid:contact_id>/review")
class ReviewViews(MethodView):
    @blp.auth_required
    @blp.arguments(ReviewBodySchema)
    @transaction
    @blp.response(200, ReviewSchema)
    @blp.alt_response(403, description="Supervisors and QA reviewers only")
    @blp.alt_response(404, description="No such contact in your storefronts")
    @blp.alt_response(409, description="Your own contact, or one with no staff member")
    def put(self, data: dict[str, Any], contact_id: uuid.UUID) -> QaReview:
        """Score a logged contact against the rubric (again: correct your score)"""
        try:
            return review_contact(
                db.session(), g.principal.scope, contact_id, data, g.principal.actor, utcnow()
            )
        except ReviewRefused as refused:
            abort(refused.status, message=refused.message)


@blp.route("/reviews")
class ReviewListViews(MethodView):
    @blp.auth_required
    @blp.arguments(ReviewQueryArgsSchema, location="query")
    @blp.response(200, ReviewListSchema)
    @blp.alt_response(403, description="Only service staff may do this")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Quality reviews, newest first (agents see only the reviews of their contacts)"""
        staff = require_staff()
        agent = args.get("agent_id") if staff.role in REVIEWERS else staff.id
        return {"items": reviews_of(db.session(), g.principal.scope, agent)}


@blp.route("/sample")
class SampleViews(MethodView):
    @blp.auth_required
    @blp.arguments(SampleQueryArgsSchema, location="query")
    @blp.response(200, SampleSchema)
    @blp.alt_response(403, description="Supervisors and QA reviewers only")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """This week's suggested contacts to review: a few per agent, the same all week"""
        staff = require_staff()
        if staff.role not in REVIEWERS:
            abort(403, message="Only supervisors and QA reviewers score contacts.")
        day = args.get("day") or utcnow().date()
        monday, _start, _end = week_of(day)
        return {"week_of": monday, "items": weekly_sample(db.session(), g.principal.scope, day)}
