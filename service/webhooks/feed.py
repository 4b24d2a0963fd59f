"""`GET /api/v1/events`: the events of the caller's storefront, oldest first, by cursor.

A webhook consumer reconciles from it: keep the last `next_cursor` (or an event's
position) and ask for what came after, so an event missed while the receiver was
down is found here. The rows are the ones the webhooks carry, with the same ids.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import and_, or_, select

from service.core import db
from service.core.api import Blueprint
from service.core.pagination import decode_cursor, encode_cursor, page_schema
from service.webhooks.models import WebhookEvent
from service.webhooks.routes import storefront_scope
from service.webhooks.schemas import WebhookEventArgsSchema, WebhookEventSchema

blp = Blueprint(
    "events",
    __name__,
    url_prefix="/events",
    description="The event feed: every webhook event of the storefront, oldest first.",
)

WebhookEventPageSchema = page_schema(WebhookEventSchema)


@blp.route("")
class EventFeed(MethodView):
    @blp.auth_required
    @blp.alt_response(403, description="Staff other than administrators of this storefront")
    @blp.arguments(WebhookEventArgsSchema, location="query")
    @blp.response(200, WebhookEventPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Events in the order they happened (per case: by `sequence`); page on with
        `cursor`: the last page's `next_cursor` is kept to resume from later"""
        stmt = select(WebhookEvent).where(WebhookEvent.storefront_id == storefront_scope())
        if args["case_id"]:
            stmt = stmt.where(WebhookEvent.case_id == args["case_id"])
        if args["type"]:
            stmt = stmt.where(WebhookEvent.type == args["type"])
        if args["cursor"]:
            created_at, row_id = decode_cursor(args["cursor"])
            stmt = stmt.where(
                or_(
                    WebhookEvent.created_at > created_at,
                    and_(WebhookEvent.created_at == created_at, WebhookEvent.id > row_id),
                )
            )
        rows = list(
            db.session().scalars(
                stmt.order_by(WebhookEvent.created_at, WebhookEvent.id).limit(args["limit"])
            )
        )
        # Oldest first, the end is never final: the last row's position resumes later.
        last = rows[-1] if rows else None
        cursor = encode_cursor(last.created_at, last.id) if last else args["cursor"]
        return {"items": rows, "next_cursor": cursor}
