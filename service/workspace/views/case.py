"""The case page: GET /cases/<ref> shows the case (service.workspace.case_view); each
allowed action's form posts to /cases/<ref>/actions/<action>, which reads the form back
into the API's body (service.workspace.case_forms) and applies it through
`actions.act()` with the version the page was drawn at. A refused form comes back on
the same page with the person's values and the errors by field (422), or, when the
case changed meanwhile, "changed by X at T — reload" (409); nothing is written then.

POST /cases/<ref>/follow-up records the phone follow-up (回访) through the surveys'
`record_answer`, which closes the completed case. POST /cases/<ref>/tracking/clear-flag
clears a carrier-tracking flag the desk has dealt with. GET /tracking-check answers the ship
form's htmx call as the number is typed: the carrier it is, or why it is not one.
"""

from __future__ import annotations

import marshmallow as ma
from flask import Response, g, request
from flask_babel import format_datetime
from flask_babel import gettext as _

from service.cases.transitions import ANY_STAFF, TRANSITIONS
from service.core import db
from service.core.db import utcnow
from service.core.fields import unsafe_text
from service.shipments.carriers import (
    CARRIERS,
    MAX_LENGTH,
    MIN_LENGTH,
    TrackingNumberError,
    check_digit_failures,
    detect_carriers,
    normalise,
    resolve_tracking,
)
from service.surveys.models import AnswerChannel
from service.surveys.schemas import SurveyAnswerSchema
from service.surveys.service import SurveyClosed, current_survey, record_answer
from service.tracking.updates import clear_flag
from service.workspace.actions import OTHER_OPERATIONS, Outcome, act, case_or_404, last_change
from service.workspace.case_forms import Form, collect, fields_of, flat_errors
from service.workspace.case_view import case_context
from service.workspace.pages import (
    CASE_PAGE,
    PageError,
    bp,
    commit,
    redirect_to,
    render,
    staff_page,
    workspace_actor,
)

TEMPLATE = "workspace/case.html"


@bp.url_value_preprocessor
def _refuse_unsafe_refs(endpoint: str | None, values: dict | None) -> None:
    # PostgreSQL refuses NUL in text: a case reference holding one is no case (a 404
    # page), never a database error.
    if any(isinstance(v, str) and unsafe_text(v) for v in (values or {}).values()):
        raise PageError(404, _("There is no such page."))


def case_page(case_ref: str, status: int = 200, **extra) -> Response:
    case = case_or_404(case_ref)
    forms = extra.pop("forms", None)
    context = case_context(case, utcnow(), forms)
    return render(TEMPLATE, status=status, **context, **extra)


@bp.get("/cases/<case_id>")
@staff_page()
def case(case_id: str) -> Response:
    return case_page(case_id)


def _version() -> int:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        raise PageError(400, _("The form has no case version. Reload the page.")) from None


def stale_message(outcome: Outcome) -> str:
    when = format_datetime(outcome.changed_at, "short") if outcome.changed_at else "?"
    return _(
        "Changed by %(who)s at %(when)s — reload to see the change; nothing was saved.",
        who=outcome.changed_by or "?",
        when=when,
    )


def _refused(case_ref: str, form: Form, outcome: Outcome) -> Response:
    db.rollback()
    stale = outcome.changed_at is not None or outcome.changed_by is not None
    if stale:
        message = stale_message(outcome)
    else:
        message = outcome.message or _("Not saved.")
        form.errors = flat_errors(outcome.errors)
    return case_page(
        case_ref,
        status=409 if stale or not form.errors else 422,
        forms=[form],
        banner=message,
        stale=stale,
        open_form=form.action,
    )


@bp.post("/cases/<case_id>/actions/<action>")
@staff_page()
def case_action(case_id: str, action: str) -> Response:
    if action != "assign" and action not in TRANSITIONS:
        raise PageError(404, _("There is no such action."))
    # The table's roles, checked before anything is read from the form: a forged POST
    # of a desk-only action by a technician is refused outright.
    if action != "assign" and g.staff.role not in TRANSITIONS[action].staff_roles:
        raise PageError(403, _("Your role may not do this."))
    version = _version()
    fields = fields_of(OTHER_OPERATIONS.get(action) or TRANSITIONS[action].body)
    form = Form(action, fields, values=request.form.copy())
    outcome = act(case_id, action, collect(fields, request.form), version)
    if not outcome.ok:
        return _refused(case_id, form, outcome)
    return redirect_to(CASE_PAGE, case_id=outcome.case.id)


@bp.post("/cases/<case_id>/follow-up")
@staff_page()
def follow_up(case_id: str) -> Response:
    version = _version()
    case = case_or_404(case_id, for_update=True)
    fields = fields_of(SurveyAnswerSchema)
    form = Form("follow_up", fields, values=request.form.copy())
    if case.version != version:
        event = last_change(case)
        outcome = Outcome(
            False,
            case,
            changed_by=event.actor_name if event else None,
            changed_at=event.created_at if event else None,
        )
        return _refused(case_id, form, outcome)
    survey = current_survey(db.session(), case)
    if survey is None:
        return _refused(case_id, form, Outcome(False, case, _("This case has no survey yet.")))
    try:
        answers = SurveyAnswerSchema().load(collect(fields, request.form))
    except ma.ValidationError as error:
        return _refused(
            case_id,
            form,
            Outcome(False, case, _("Some fields need attention."), errors=error.messages),
        )
    try:
        record_answer(
            db.session(), survey, answers, AnswerChannel.phone, workspace_actor(), utcnow()
        )
    except SurveyClosed:
        return _refused(
            case_id, form, Outcome(False, case, _("The follow-up was already recorded."))
        )
    commit()
    return redirect_to(CASE_PAGE, case_id=case.id)


@bp.post("/cases/<case_id>/tracking/clear-flag")
@staff_page()
def clear_tracking_flag(case_id: str) -> Response:
    """The desk has dealt with the carrier's problem: the flag goes (timeline: who)."""
    if g.staff.role not in ANY_STAFF:
        raise PageError(403, _("Your role may not do this."))
    version = _version()
    case = case_or_404(case_id, for_update=True)
    flagged = [s for s in case.shipments if s.tracking_flag]
    if case.version != version or not flagged:
        db.rollback()
        return case_page(
            case_id,
            status=409,
            banner=_("Nothing was cleared: the case changed meanwhile. Reload the page."),
            stale=True,
        )
    for shipment in flagged:
        clear_flag(db.session(), case, shipment, utcnow(), workspace_actor())
    commit()
    return redirect_to(CASE_PAGE, case_id=case.id)


def tracking_hint(number: str, carrier: str | None, carrier_name: str | None):
    """(carriers the number is, what is wrong with it) in the page's language; nothing
    wrong yet while a plausible number is still too short."""
    try:
        tracking = resolve_tracking(number, carrier, carrier_name)
    except TrackingNumberError as error:
        found = detect_carriers(number)
        failed = check_digit_failures(number)
        normalised = normalise(number)
        if failed and not found:
            names = ", ".join(c.name for c in failed)
            return [], _(
                "The check digit is wrong for a %(carrier)s number: a digit was probably mistyped.",
                carrier=names,
            )
        if error.field == "carrier" and len(found) > 1:
            names = ", ".join(c.name for c in found)
            return found, _(
                "This number fits several carriers (%(names)s): choose one.", names=names
            )
        if error.field == "carrier":
            return [], _("No carrier recognised from this number: choose the carrier, or name it.")
        if carrier and carrier.lower() in CARRIERS and normalised.isalnum():
            name = CARRIERS[carrier.lower()].name
            return [], _("Not a valid %(carrier)s tracking number.", carrier=name)
        if normalised.isalnum() and len(normalised) < MIN_LENGTH:
            return [], None
        return [], _(
            "Letters and digits only, %(low)d to %(high)d of them.", low=MIN_LENGTH, high=MAX_LENGTH
        )
    return ([CARRIERS[tracking.carrier_code]] if tracking.carrier_code else []), None


@bp.get("/tracking-check")
@staff_page()
def tracking_check() -> Response:
    """The ship form's hint as the number is typed (htmx swaps it under the input)."""
    number = request.args.get("tracking_number", "")[:100]
    found, problem = [], None
    if number.strip():
        found, problem = tracking_hint(
            number, request.args.get("carrier") or None, request.args.get("carrier_name") or None
        )
    return render("workspace/_tracking_hint.html", number=number, found=found, problem=problem)
