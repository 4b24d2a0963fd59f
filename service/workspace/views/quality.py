"""The quality-review page (质检).

GET /quality: for supervisors and QA reviewers, this week's sample of contacts to
review (service.quality.service.weekly_sample) with the rubric form beside each, and
the latest reviews; for everyone else, the reviews of their own contacts.
POST /quality/contacts/<id> scores a contact through `review_contact` (the function
behind PUT /api/v1/qa/contacts/{id}/review), the marks checked by the API's schema.
"""

from __future__ import annotations

import uuid
from datetime import date

import marshmallow as ma
from flask import Response, flash, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField

from service.core import db
from service.core.db import utcnow
from service.quality.models import RUBRIC
from service.quality.schemas import ReviewBodySchema
from service.quality.service import REVIEWERS, ReviewRefused, review_contact, reviews_of
from service.quality.service import weekly_sample as sample_of
from service.workspace.pages import bp, commit, redirect_to, render, staff_page, workspace_actor

MARKS = [SelectChoice(str(n), str(n)) for n in range(5, 0, -1)]
RUBRIC_WORDS = {
    "greeting": _l("Greeting"),
    "accuracy": _l("Accuracy"),
    "attitude": _l("Attitude"),
    "resolution": _l("Resolution"),
    "compliance": _l("Compliance"),
}


class ReviewForm(FlaskForm):
    greeting = SelectField(RUBRIC_WORDS["greeting"], choices=MARKS)
    accuracy = SelectField(RUBRIC_WORDS["accuracy"], choices=MARKS)
    attitude = SelectField(RUBRIC_WORDS["attitude"], choices=MARKS)
    resolution = SelectField(RUBRIC_WORDS["resolution"], choices=MARKS)
    compliance = SelectField(RUBRIC_WORDS["compliance"], choices=MARKS)
    comment = TextAreaField(_l("Comment"))


@bp.get("/quality")
@staff_page()
def quality() -> Response:
    session = db.session()
    reviewer = g.staff.role in REVIEWERS
    # `?day=` shows the sample of another week (any of its days); default: this week.
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        day = utcnow().date()
    sample = sample_of(session, g.principal.scope, day) if reviewer else []
    reviews = reviews_of(session, g.principal.scope, None if reviewer else g.staff.id)
    return render(
        "workspace/quality.html",
        reviewer=reviewer,
        sample=sample,
        reviews=reviews,
        form=ReviewForm(formdata=None),
        rubric=RUBRIC,
        rubric_words=RUBRIC_WORDS,
    )


@bp.post("/quality/contacts/<uuid:contact_id>")
@staff_page(roles=REVIEWERS)
def quality_review(contact_id: uuid.UUID) -> Response:
    form = ReviewForm()
    if not form.validate_on_submit():
        flash(_("Give every mark from 1 to 5."), "error")
        return redirect_to("workspace.quality")
    raw = {name: request.form.get(name) for name in RUBRIC}
    raw["comment"] = (request.form.get("comment") or "").strip() or None
    try:
        data = ReviewBodySchema().load(raw)
        review_contact(
            db.session(), g.principal.scope, contact_id, data, workspace_actor(), utcnow()
        )
    except ma.ValidationError as error:
        db.session().rollback()
        flash(" ".join(f"{k}: {v}" for k, v in error.normalized_messages().items()), "error")
        return redirect_to("workspace.quality")
    except ReviewRefused as refused:
        db.session().rollback()
        flash(refused.message, "error")
        return redirect_to("workspace.quality")
    commit()
    flash(_("Review saved."), "success")
    return redirect_to("workspace.quality")
