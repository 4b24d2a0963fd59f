"""Tracking over HTTP: the aggregators' push webhooks (one blueprint, so per-IP limits
can be put on it as a whole) and the API's list of a case's checkpoints.

A push is answered without reading its content until the signature verified: the
path's token names the storefront's account, whose secret the signature must match
(401 and nothing written otherwise). A push that verifies but cannot be read is 400;
a number we do not know is acknowledged (the provider would only push it again).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Blueprint as FlaskBlueprint
from flask import Response, abort, g, request
from flask.views import MethodView
from flask_smorest import abort as api_abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from service.cases.routes import STAFF_ONLY, case_etag, case_or_404, locked_case
from service.cases.schemas import CaseSchema
from service.cases.transitions import ANY_STAFF
from service.core import db
from service.core.api import Blueprint, transaction
from service.core.auth import require_staff
from service.core.db import utcnow
from service.core.ratelimit import per_ip_limit
from service.shipments.models import Shipment
from service.tracking.adapters import BadPush
from service.tracking.models import ShipmentEvent, TrackingAccount
from service.tracking.providers import ADAPTERS, WEBHOOK_PREFIX
from service.tracking.schemas import ShipmentEventSchema
from service.tracking.updates import apply_update, clear_flag

log = logging.getLogger(__name__)
#: What `secrets.token_urlsafe` makes; anything else names no account.
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")

webhooks = FlaskBlueprint("tracking_webhooks", __name__, url_prefix=WEBHOOK_PREFIX)
blp = Blueprint("tracking", __name__, url_prefix="/cases", description="Carrier tracking")


@webhooks.post("/<string:provider>/<string:token>")
@per_ip_limit("webhooks")
def push(provider: str, token: str) -> Response:
    """A tracking update pushed by an aggregator for one of the storefront's parcels."""
    adapter = ADAPTERS.get(provider)
    if adapter is None or not TOKEN.fullmatch(token):
        abort(404)
    session = db.session()
    account = session.scalar(
        select(TrackingAccount).where(
            TrackingAccount.callback_token == token, TrackingAccount.provider == provider
        )
    )
    if account is None or not account.enabled:
        return adapter.refuse(404, "unknown callback")
    if not adapter.verify(account.secret, request):
        return adapter.refuse(401, "invalid signature")
    try:
        update = adapter.parse(request)
    except BadPush as exc:
        return adapter.refuse(400, str(exc))
    try:
        outcome = apply_update(session, account, update, utcnow())
        session.commit()
    except (IntegrityError, OperationalError):
        # A concurrent push for the same parcel, or the database away: the provider
        # pushes again, and the replay finds what the winner stored.
        db.rollback()
        log.warning("tracking push from %s not stored; the provider will retry", provider)
        return adapter.refuse(503, "try again")
    db.run_after_commit()
    if outcome.shipment is not None:
        log.info(
            "tracking push %s: %d new checkpoints%s",
            provider,
            outcome.new_checkpoints,
            ", delivered" if outcome.delivered else "",
        )
    return adapter.acknowledge()


@blp.route("/<string:case_ref>/tracking")
class TrackingViews(MethodView):
    @blp.auth_required
    @blp.response(200, ShipmentEventSchema(many=True))
    def get(self, case_ref: str) -> list[Any]:
        """The carrier checkpoints of the case's shipments, newest first"""
        case = case_or_404(case_ref)
        return list(
            db.session().scalars(
                select(ShipmentEvent)
                .join(Shipment, Shipment.id == ShipmentEvent.shipment_id)
                .where(Shipment.case_id == case.id)
                .order_by(
                    ShipmentEvent.occurred_at.desc().nulls_last(),
                    ShipmentEvent.received_at.desc(),
                )
            )
        )


@blp.route("/<string:case_ref>/tracking/clear-flag", methods=["POST"])
@blp.auth_required
@blp.alt_response(403, description=STAFF_ONLY)
@blp.alt_response(409, description="Carrier tracking has not flagged the case")
@blp.alt_response(412, description="If-Match does not match the case's current ETag")
@blp.alt_response(428, description="If-Match is required")
@blp.etag
@transaction
@blp.response(200, CaseSchema)
def clear_tracking_flag(case_ref: str) -> Any:
    """Clear the tracking flag: the desk has dealt with the carrier's problem (staff)"""
    case = locked_case(case_ref)
    if require_staff().role not in ANY_STAFF:
        api_abort(403, message="A QA reviewer may not change a case.")
    flagged = [s for s in case.shipments if s.tracking_flag]
    if not flagged:
        api_abort(409, message=f"Case {case.number} has no tracking flag.")
    for shipment in flagged:
        clear_flag(db.session(), case, shipment, utcnow(), g.principal.actor)
    blp.set_etag(case_etag(case))
    return case
