"""Cases over the API: intake, reading, the lifecycle actions, dispatch, shipments,
the contact log and the timeline.

Each action of the transition table gets its own endpoint
`POST /cases/{case}/actions/{action}` with its own body schema; all need `If-Match`.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import abort

from service.cases import action_schemas as bodies
from service.cases import examples
from service.cases.dispatch import assign
from service.cases.edits import EditRefused, change_case
from service.cases.errors import ActionDataError, ActionRefused
from service.cases.intake import cases_query, get_case, open_case
from service.cases.lifecycle import allowed_actions, perform, report_inbound_shipment
from service.cases.listing import case_page
from service.cases.models import Case
from service.cases.schemas import (
    CaseChangeSchema,
    CaseCreateSchema,
    CaseEventSchema,
    CaseQueryArgsSchema,
    CaseSchema,
)
from service.cases.summaries import CaseSummarySchema, summarize, summary_statement
from service.cases.transitions import TRANSITIONS, Transition
from service.contact_log.schemas import ContactSchema
from service.contact_log.service import case_contacts, log_contact
from service.core import db
from service.core.api import API_PREFIX, Blueprint, created, field_errors, transaction
from service.core.auth import require_staff
from service.core.db import utcnow
from service.core.pagination import page_schema
from service.quotes.schemas import QuoteSchema
from service.shipments.models import Shipment
from service.shipments.schemas import ShipmentSchema
from service.storefronts.models import Storefront

blp = Blueprint("cases", __name__, url_prefix="/cases", description="After-sales cases")

CaseSummaryPageSchema = page_schema(CaseSummarySchema)
#: The customer's history shows whole cases (their resolution archive).
CasePageSchema = page_schema(CaseSchema)
STAFF_ONLY = "Only service staff may do this"


def case_or_404(ref: str, for_update: bool = False) -> Case:
    case = get_case(db.session(), g.principal.scope, ref, for_update=for_update)
    if case is None:
        abort(404, message=f"No case {ref}.")
    return case


def case_etag(case: Case) -> dict[str, Any]:
    return {"id": str(case.id), "version": case.version}


def locked_case(ref: str) -> Case:
    """The case, locked for this transaction, after checking the caller's If-Match."""
    case = case_or_404(ref, for_update=True)
    blp.check_etag(case_etag(case))
    return case


def abort_for(error: ActionRefused | ActionDataError, case: Case) -> None:
    if isinstance(error, ActionDataError):
        abort(422, message=error.message, errors=field_errors(error.field, error.message))
    abort(
        error.status_code,
        message=error.message,
        details={
            "current_status": case.status.value,
            "allowed_actions": allowed_actions(case, g.principal.actor),
        },
    )


def _storefront_for_new_case(data: dict[str, Any]) -> Storefront:
    principal = g.principal
    if principal.storefront is not None:
        if "storefront_id" in data:
            message = "Storefronts open cases for themselves; omit storefront_id."
            abort(422, message=message, errors=field_errors("storefront_id", message))
        return principal.storefront
    storefront_id = data.get("storefront_id") or principal.scope
    storefront = db.session().get(Storefront, storefront_id) if storefront_id else None
    if storefront is None or principal.scope not in (None, storefront.id):
        message = "Name the storefront the case belongs to."
        abort(422, message=message, errors=field_errors("storefront_id", message))
    return storefront


@blp.route("")
class CaseViews(MethodView):
    @blp.auth_required
    @blp.arguments(CaseQueryArgsSchema, location="query")
    @blp.response(200, CaseSummaryPageSchema, example=examples.CASE_PAGE)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List cases, newest first (or due soonest, or least recently changed)

        Each case is a summary; `GET /cases/{case_ref}` has the whole case.
        """
        region = current_app.config["SETTINGS"].default_phone_region
        stmt = summary_statement(cases_query(g.principal.scope, args, phone_region=region))
        session = db.session()
        page = case_page(session, stmt, args["sort"], args["limit"], args["cursor"])
        with_actions = "allowed_actions" in args["include"]
        page["items"] = summarize(session, page["items"], g.principal.actor, utcnow(), with_actions)
        return page

    @blp.auth_required
    @blp.arguments(CaseCreateSchema, example=examples.CREATE_CASE)
    @transaction(idempotent=True)
    @blp.response(201, CaseSchema, example=examples.CASE)
    def post(self, data: dict[str, Any]) -> Case:
        """Open a case

        Eligibility (warranty, return window) is decided and explained in the
        response; the first-response clock starts now. Staff name the storefront.
        """
        storefront = _storefront_for_new_case(data)
        case = open_case(db.session(), storefront, data, g.principal.actor)
        created(f"{API_PREFIX}/cases/{case.id}", case_etag(case))
        return case


@blp.route("/<string:case_ref>")
class CaseByIdViews(MethodView):
    @blp.auth_required
    @blp.etag
    @blp.response(200, CaseSchema, example=examples.CASE)
    def get(self, case_ref: str) -> Case:
        """Get a case by id or case number"""
        case = case_or_404(case_ref)
        blp.set_etag(case_etag(case))
        return case

    @blp.auth_required
    @blp.alt_response(409, description="A field that cannot change now (named in `errors`)")
    @blp.etag
    @blp.arguments(CaseChangeSchema, example=examples.UPDATE_CASE)
    @transaction
    @blp.response(200, CaseSchema, example=examples.CASE)
    def patch(self, data: dict[str, Any], case_ref: str) -> Case:
        """Change a case's details

        Order reference, description and priority at any time; the items (the whole
        list) only before the goods are received. Needs `If-Match`. The change is a
        timeline event (`edit`) listing what changed.
        """
        case = locked_case(case_ref)
        try:
            change_case(db.session(), case, data, g.principal.actor)
        except EditRefused as refused:
            abort(
                409,
                message=refused.message,
                errors=field_errors(refused.field, refused.message),
                details={"current_status": case.status.value},
            )
        blp.set_etag(case_etag(case))
        return case


def _action_view(transition: Transition) -> Any:
    def view(data: dict[str, Any], case_ref: str) -> Case:
        case = locked_case(case_ref)
        try:
            perform(db.session(), case, transition.action, data, g.principal.actor)
        except (ActionRefused, ActionDataError) as error:
            abort_for(error, case)
        blp.set_etag(case_etag(case))
        return case

    view.__name__ = f"action_{transition.action}"
    view.__doc__ = (
        f"{transition.summary}\n\n"
        f"From {', '.join(sorted(s.value for s in transition.sources))} to "
        f"{transition.target.value}; for {', '.join(sorted(k.value for k in transition.kinds))} "
        f"cases; by {', '.join(sorted(a.value for a in transition.actors))}. "
        "409 with `current_status` and `allowed_actions` when not possible now."
    )
    decorated = blp.response(200, CaseSchema)(view)
    decorated = transaction(decorated)
    decorated = blp.arguments(transition.body)(decorated)
    decorated = blp.etag(decorated)
    decorated = blp.auth_required(decorated)
    for code, description in (
        (403, "The caller may not do this action"),
        (409, "Not possible in the case's current state"),
        (412, "If-Match does not match the case's current ETag"),
        (428, "If-Match is required"),
    ):
        decorated = blp.alt_response(code, description=description)(decorated)
    return decorated


for _transition in TRANSITIONS.values():
    blp.route(
        f"/<string:case_ref>/actions/{_transition.action}",
        methods=["POST"],
        endpoint=f"action_{_transition.action}",
    )(_action_view(_transition))


@blp.route("/<string:case_ref>/assignment", methods=["POST"])
@blp.doc(operationId="assignCase")
@blp.auth_required
@blp.alt_response(403, description=STAFF_ONLY)
@blp.etag
@blp.arguments(bodies.AssignmentSchema)
@transaction
@blp.response(200, CaseSchema)
def assign_case(data: dict[str, Any], case_ref: str) -> Case:
    """Dispatch: assign, set priority, escalate (staff)"""
    case = locked_case(case_ref)
    require_staff()
    try:
        assign(db.session(), case, data, g.principal.actor)
    except ActionDataError as error:
        abort_for(error, case)
    blp.set_etag(case_etag(case))
    return case


@blp.route("/<string:case_ref>/timeline")
class TimelineViews(MethodView):
    @blp.auth_required
    @blp.response(200, CaseEventSchema(many=True))
    def get(self, case_ref: str) -> list[Any]:
        """The case's timeline, oldest first (internal notes for staff only)"""
        case = case_or_404(case_ref)
        staff = g.principal.staff is not None
        return [event for event in case.events if staff or not event.internal]


@blp.route("/<string:case_ref>/quotes")
class QuoteViews(MethodView):
    @blp.auth_required
    @blp.response(200, QuoteSchema(many=True))
    def get(self, case_ref: str) -> list[Any]:
        """Every quote of the case, the current one last"""
        return case_or_404(case_ref).quotes


@blp.route("/<string:case_ref>/shipments")
class ShipmentViews(MethodView):
    @blp.auth_required
    @blp.response(200, ShipmentSchema(many=True))
    def get(self, case_ref: str) -> list[Shipment]:
        """The case's shipments, inbound and outbound"""
        return case_or_404(case_ref).shipments

    @blp.auth_required
    @blp.arguments(bodies.TrackingSchema)
    @transaction(idempotent=True)
    @blp.response(201, ShipmentSchema)
    def post(self, data: dict[str, Any], case_ref: str) -> Shipment:
        """Report the customer's inbound shipment (the item on its way to us)"""
        case = case_or_404(case_ref, for_update=True)
        try:
            shipment = report_inbound_shipment(db.session(), case, data, g.principal.actor)
        except (ActionRefused, ActionDataError) as error:
            abort_for(error, case)
        # Shipments are read in the case's list of them.
        created(f"{API_PREFIX}/cases/{case.id}/shipments")
        return shipment


@blp.route("/<string:case_ref>/contacts")
class ContactViews(MethodView):
    @blp.auth_required
    @blp.alt_response(403, description=STAFF_ONLY)
    @blp.response(200, ContactSchema(many=True))
    def get(self, case_ref: str) -> list[Any]:
        """The contact log of the case (staff)"""
        case = case_or_404(case_ref)
        require_staff()
        return case_contacts(db.session(), case)

    @blp.auth_required
    @blp.alt_response(403, description=STAFF_ONLY)
    @blp.arguments(bodies.ContactInSchema)
    @transaction(idempotent=True)
    @blp.response(201, ContactSchema)
    def post(self, data: dict[str, Any], case_ref: str) -> Any:
        """Log a call, message or visit (staff); the first outbound one is the first response"""
        case = case_or_404(case_ref, for_update=True)
        require_staff()
        created(f"{API_PREFIX}/cases/{case.id}/contacts")
        return log_contact(db.session(), case, data, g.principal.actor)
