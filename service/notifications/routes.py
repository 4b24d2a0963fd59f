"""Notices over HTTP: their delivery status per case (API), the staff's decision on an
uncertain e-mail, and the SMS provider's inbound-message webhook that honours STOP /
START."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from flask import Blueprint as FlaskBlueprint
from flask import Response, current_app, g, request
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select

from service.cases.routes import STAFF_ONLY, case_or_404
from service.conversations.inbound import receive_sms
from service.core import db
from service.core.api import Blueprint, transaction
from service.core.auth import require_staff
from service.core.db import utcnow
from service.core.ratelimit import per_ip_limit
from service.notifications import uncertain
from service.notifications.consent import apply_sms_keyword
from service.notifications.models import Notification
from service.notifications.schemas import NotificationSchema

blp = Blueprint("notifications", __name__, url_prefix="/cases", description="Customer notices")
webhooks = FlaskBlueprint("sms_webhooks", __name__, url_prefix="/webhooks/sms")


@blp.route("/<string:case_ref>/notifications")
class NotificationViews(MethodView):
    @blp.auth_required
    @blp.response(200, NotificationSchema(many=True))
    def get(self, case_ref: str) -> list[Notification]:
        """Every notice of the case with its delivery status, attempts and errors"""
        case = case_or_404(case_ref)
        return list(
            db.session().scalars(
                select(Notification)
                .where(Notification.case_id == case.id)
                .order_by(Notification.created_at, Notification.channel)
            )
        )


DECISIONS = {"release": uncertain.release, "drop": uncertain.drop}


def _decision_view(name: str):
    decide = DECISIONS[name]

    @blp.auth_required
    @blp.alt_response(403, description=STAFF_ONLY)
    @blp.alt_response(409, description="The notice is not held as uncertain")
    @transaction
    @blp.response(200, NotificationSchema)
    def view(case_ref: str, notice_id: uuid.UUID) -> Notification:
        case = case_or_404(case_ref, for_update=True)
        require_staff()
        try:
            return decide(db.session(), case, notice_id, g.principal.actor, utcnow())
        except uncertain.NoticeNotFound:
            abort(404, message=f"No notice {notice_id} on case {case.number}.")
        except uncertain.NotUncertain as error:
            abort(409, message=str(error))

    view.__doc__ = {
        "release": "Send an uncertain e-mail again (staff; it may reach the customer twice)",
        "drop": "Never send an uncertain e-mail again (staff; the uncertain attempt stands)",
    }[name]
    view.__name__ = f"{name}_notice"
    return view


for _name in DECISIONS:
    blp.route(
        f"/<string:case_ref>/notifications/<uuid:notice_id>/{_name}",
        methods=["POST"],
        endpoint=f"{_name}_notice",
    )(_decision_view(_name))


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's X-Twilio-Signature: HMAC-SHA1 over the URL followed by every POST
    parameter name and value, sorted by name, base64-encoded."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@webhooks.post("/twilio")
@per_ip_limit("webhooks")
def twilio_inbound() -> Response:
    """An SMS the customer sent to our number. STOP-like words opt them out of SMS,
    START-like words opt them back in; anything else is the customer's reply
    (service/conversations/inbound.py: their open case, or the unmatched list)."""
    settings = current_app.config["SETTINGS"]
    params = request.form.to_dict()
    # Twilio signs the public URL it called, which a proxy may have rewritten.
    url = settings.public_base_url + request.full_path.rstrip("?")
    expected = twilio_signature(settings.twilio_auth_token or "", url, params)
    given = request.headers.get("X-Twilio-Signature", "")
    if not settings.twilio_auth_token or not hmac.compare_digest(expected, given):
        return Response("invalid signature", status=403, mimetype="text/plain")
    session = db.session()
    sender, body = params.get("From", ""), params.get("Body", "")
    if apply_sms_keyword(session, sender, body) is None:
        receive_sms(session, sender, body, params.get("MessageSid") or params.get("SmsSid", ""))
    session.commit()
    db.run_after_commit()
    return Response(
        '<?xml version="1.0" encoding="UTF-8"?><Response></Response>', mimetype="text/xml"
    )
