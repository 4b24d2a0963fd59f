"""Conversations over HTTP: messages on a case, saved replies, the unmatched inbound
list (staff), and the inbound-mail webhook (a shared-secret HMAC, no API key)."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

from flask import Blueprint as FlaskBlueprint
from flask import current_app, g, jsonify, request
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service.cases.intake import get_case
from service.cases.routes import case_or_404
from service.conversations.inbound import assign_unmatched, receive_email
from service.conversations.models import Macro, Message, MessageKind
from service.conversations.outbound import (
    MessageError,
    case_messages,
    deliveries,
    save_macro,
    write_message,
)
from service.conversations.schemas import (
    AssignSchema,
    MacroQueryArgsSchema,
    MacroSchema,
    MacroUpdateSchema,
    MessageInSchema,
    MessageSchema,
    UnmatchedQueryArgsSchema,
)
from service.core import db
from service.core.api import API_PREFIX, Blueprint, created, field_errors, transaction
from service.core.auth import require_staff
from service.core.pagination import keyset_page, page_schema
from service.core.ratelimit import per_ip_limit
from service.staff.models import StaffRole, StaffUser

blp = Blueprint("conversations", __name__, url_prefix="", description="Messages with the customer")
webhooks = FlaskBlueprint("mail_webhooks", __name__, url_prefix="/webhooks/mail")

DESK_ROLES = (StaffRole.agent, StaffRole.supervisor, StaffRole.admin)
SIGNATURE_HEADER = "X-Inbound-Signature"


def _with_deliveries(message: Message) -> Message:
    message.deliveries = deliveries(db.session(), message)  # type: ignore[attr-defined]
    return message


def _refuse(error: MessageError) -> None:
    abort(422, message=error.message, errors=field_errors(error.field, error.message))


@blp.route("/cases/<string:case_ref>/messages")
class CaseMessageViews(MethodView):
    @blp.auth_required
    @blp.alt_response(403, description="Only service staff may do this")
    @blp.response(200, MessageSchema(many=True))
    def get(self, case_ref: str) -> list[Message]:
        """The conversation of the case, oldest first, internal notes included (staff)"""
        case = case_or_404(case_ref)
        require_staff()
        return [_with_deliveries(m) for m in case_messages(db.session(), case)]

    @blp.auth_required
    @blp.alt_response(403, description="Only service staff may do this")
    @blp.arguments(MessageInSchema)
    @transaction(idempotent=True)
    @blp.response(201, MessageSchema)
    def post(self, data: dict[str, Any], case_ref: str) -> Message:
        """Write to the customer (e-mail, SMS or both) or add an internal note (staff)

        Sent through the notice outbox (consent, quiet hours, retries), in the
        customer's language; the first one meets the first-response clock and every one
        clears the case's `customer_replied` flag.
        """
        case = case_or_404(case_ref, for_update=True)
        require_staff()
        try:
            message = write_message(db.session(), case, data, g.principal.actor)
        except MessageError as error:
            _refuse(error)
        created(f"{API_PREFIX}/cases/{case.id}/messages")
        return _with_deliveries(message)


def _desk_staff() -> StaffUser:
    staff = require_staff()
    if staff.role not in DESK_ROLES:
        abort(403, message="Only desk staff (agents, supervisors, admins) may do this.")
    return staff


def _macro_or_404(macro_id: uuid.UUID) -> Macro:
    # Looked up before the role check: another storefront's saved reply is a 404.
    macro = db.session().get(Macro, macro_id)
    if macro is None or g.principal.scope not in (None, macro.storefront_id):
        abort(404, message=f"No saved reply {macro_id}.")
    return macro


@blp.route("/macros")
class MacroViews(MethodView):
    @blp.auth_required
    @blp.arguments(MacroQueryArgsSchema, location="query")
    @blp.response(200, MacroSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[Macro]:
        """Saved replies, by name (desk staff)"""
        _desk_staff()
        stmt = select(Macro).order_by(Macro.name)
        scope = g.principal.scope or args.get("storefront_id")
        if scope is not None:
            stmt = stmt.where(Macro.storefront_id == scope)
        return list(db.session().scalars(stmt))

    @blp.auth_required
    @blp.arguments(MacroSchema)
    @transaction(idempotent=True)
    @blp.response(201, MacroSchema)
    def post(self, data: dict[str, Any]) -> Macro:
        """Save a reply for a storefront (desk staff)"""
        _desk_staff()
        scope = g.principal.scope
        storefront_id = scope or data.get("storefront_id")
        if storefront_id is None or (scope and data.get("storefront_id") not in (None, scope)):
            message = "Name the storefront the saved reply belongs to."
            abort(422, message=message, errors=field_errors("storefront_id", message))
        try:
            return save_macro(db.session(), None, storefront_id, data)
        except MessageError as error:
            _refuse(error)


@blp.route("/macros/<uuid:macro_id>")
class MacroByIdViews(MethodView):
    @blp.auth_required
    @blp.response(200, MacroSchema)
    def get(self, macro_id: uuid.UUID) -> Macro:
        """A saved reply (desk staff)"""
        macro = _macro_or_404(macro_id)
        _desk_staff()
        return macro

    @blp.auth_required
    @blp.arguments(MacroUpdateSchema)
    @transaction
    @blp.response(200, MacroSchema)
    def patch(self, data: dict[str, Any], macro_id: uuid.UUID) -> Macro:
        """Rename or rewrite a saved reply (desk staff)"""
        macro = _macro_or_404(macro_id)
        _desk_staff()
        try:
            return save_macro(db.session(), macro, macro.storefront_id, data)
        except MessageError as error:
            _refuse(error)

    @blp.auth_required
    @transaction
    @blp.response(204)
    def delete(self, macro_id: uuid.UUID) -> None:
        """Delete a saved reply (desk staff)"""
        macro = _macro_or_404(macro_id)
        _desk_staff()
        db.session().delete(macro)


@blp.route("/inbound/unmatched")
class UnmatchedViews(MethodView):
    @blp.doc(operationId="listUnmatchedMessages")
    @blp.auth_required
    @blp.arguments(UnmatchedQueryArgsSchema, location="query")
    @blp.response(200, page_schema(MessageSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Customer messages no case could be found for, newest first (staff)"""
        require_staff()
        stmt = select(Message).where(Message.case_id.is_(None), Message.kind == MessageKind.reply)
        if g.principal.scope is not None:
            stmt = stmt.where(Message.storefront_id == g.principal.scope)
        return keyset_page(db.session(), stmt, Message, args["limit"], args["cursor"])


@blp.route("/inbound/unmatched/<uuid:message_id>/assign")
class AssignViews(MethodView):
    @blp.doc(operationId="assignUnmatchedMessage")
    @blp.auth_required
    @blp.arguments(AssignSchema)
    @transaction
    @blp.response(200, MessageSchema)
    def post(self, data: dict[str, Any], message_id: uuid.UUID) -> Message:
        """Put an unmatched message on a case; it then counts as the customer's reply"""
        session = db.session()
        message = session.get(Message, message_id, with_for_update=True)
        scope = g.principal.scope
        if (
            message is None
            or message.case_id is not None
            or message.kind != MessageKind.reply
            or scope not in (None, message.storefront_id)
        ):
            abort(404, message=f"No unmatched message {message_id}.")
        require_staff()
        case = get_case(session, scope, data["case_id"], for_update=True)
        if case is None:
            message_text = f"No case {data['case_id']}."
            abort(422, message=message_text, errors=field_errors("case_id", message_text))
        return assign_unmatched(session, message, case)


def inbound_signature(secret: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the raw request body with INBOUND_MAIL_SECRET."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@webhooks.post("/inbound")
@per_ip_limit("webhooks")
def mail_inbound() -> Any:
    """A raw MIME message (`message/rfc822` body), as a provider's inbound route posts it,
    signed with the shared secret. 200 for anything taken or deliberately dropped (a
    provider must not retry those); 401 unsigned or wrongly signed, nothing stored."""
    secret = current_app.config["SETTINGS"].inbound_mail_secret
    raw = request.get_data(cache=False)
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not secret or not hmac.compare_digest(inbound_signature(secret, raw), given):
        return jsonify(code=401, status="Unauthorized", message="invalid signature", errors={}), 401
    if not raw.strip():
        return jsonify(code=400, status="Bad Request", message="empty message", errors={}), 400
    session = db.session()
    try:
        outcome = receive_email(session, raw)
        session.commit()
    except IntegrityError:
        db.rollback()
        return jsonify(result="duplicate")
    db.run_after_commit()
    return jsonify(
        result=outcome.result,
        message_id=str(outcome.message_id) if outcome.message_id else None,
        case_id=str(outcome.case_id) if outcome.case_id else None,
    )
