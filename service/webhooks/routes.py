"""Webhook endpoints and their delivery log over the API: a storefront's API key, or an
administrator bound to that storefront. The same service functions as the workspace
and the CLI (service.webhooks.service). Another storefront's endpoint is a 404.

Creating an endpoint does not honour `Idempotency-Key`, like issuing an API key: its
secret is in the first response only. Delete the unknown one if a response was lost.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import ValidationError
from sqlalchemy import select

from service.core import db
from service.core.api import Blueprint, refuse, transaction
from service.core.auth import require_admin
from service.core.pagination import keyset_page, page_schema
from service.webhooks import service
from service.webhooks.models import WebhookDelivery, WebhookEndpoint
from service.webhooks.schemas import (
    WebhookDeliveryArgsSchema,
    WebhookDeliverySchema,
    WebhookEndpointChangeSchema,
    WebhookEndpointCreatedSchema,
    WebhookEndpointListSchema,
    WebhookEndpointSchema,
    WebhookRecoveredSchema,
    WebhookRecoverSchema,
    WebhookRotateSchema,
    WebhookSecretSchema,
)

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/webhooks",
    description="Outgoing webhooks (Standard Webhooks): endpoints, secrets, the delivery log. "
    "Each event is POSTed as `{type, timestamp, data}` with `webhook-id` (the same on "
    "every retry), `webhook-timestamp` and `webhook-signature: v1,<base64>` headers.",
)

WebhookDeliveryPageSchema = page_schema(WebhookDeliverySchema)
FORBIDDEN = "Staff other than administrators of this storefront"


def storefront_scope() -> uuid.UUID:
    """The storefront whose webhooks the caller manages."""
    principal = g.principal
    if principal.staff is None:
        return principal.storefront.id
    require_admin()
    if principal.scope is None:
        abort(
            403,
            message="Webhooks belong to one storefront: use its API key, or manage them "
            "in the workspace or with `flask webhooks`.",
        )
    return principal.scope


def endpoint_or_404(endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = db.session().get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.storefront_id != storefront_scope():
        abort(404, message=f"No webhook endpoint {endpoint_id}.")
    return endpoint


def _settings() -> Any:
    return current_app.config["SETTINGS"]


def _validated(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except ValidationError as error:
        refuse(error)


@blp.route("/endpoints")
class EndpointsView(MethodView):
    @blp.auth_required
    @blp.alt_response(403, description=FORBIDDEN)
    @blp.response(200, WebhookEndpointListSchema)
    def get(self) -> dict[str, Any]:
        """The storefront's webhook endpoints"""
        return {"items": service.storefront_endpoints(db.session(), storefront_scope())}

    @blp.auth_required
    @blp.alt_response(403, description=FORBIDDEN)
    @blp.arguments(WebhookEndpointSchema)
    @transaction
    @blp.response(201, WebhookEndpointCreatedSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Register an endpoint; its secret is in this response only"""
        scope = storefront_scope()
        endpoint, secret = _validated(
            service.create_endpoint, db.session(), scope, data, _settings()
        )
        fields = WebhookEndpointSchema().fields
        return {name: getattr(endpoint, name) for name in fields} | {"secret": secret}


@blp.route("/endpoints/<uuid:endpoint_id>")
class EndpointView(MethodView):
    @blp.auth_required
    @blp.etag
    @blp.response(200, WebhookEndpointSchema)
    def get(self, endpoint_id: uuid.UUID) -> WebhookEndpoint:
        """One endpoint"""
        endpoint = endpoint_or_404(endpoint_id)
        blp.set_etag(WebhookEndpointSchema().dump(endpoint))
        return endpoint

    @blp.auth_required
    @blp.etag
    @blp.arguments(WebhookEndpointChangeSchema)
    @transaction
    @blp.response(200, WebhookEndpointSchema)
    def patch(self, data: dict[str, Any], endpoint_id: uuid.UUID) -> WebhookEndpoint:
        """Change the URL, event types, description, or enable/disable (If-Match)"""
        endpoint = endpoint_or_404(endpoint_id)
        blp.check_etag(WebhookEndpointSchema().dump(endpoint))
        _validated(service.change_endpoint, db.session(), endpoint, data, _settings())
        blp.set_etag(WebhookEndpointSchema().dump(endpoint))
        return endpoint

    @blp.auth_required
    @transaction
    @blp.response(204)
    def delete(self, endpoint_id: uuid.UUID) -> None:
        """Remove an endpoint and its delivery log"""
        service.delete_endpoint(db.session(), endpoint_or_404(endpoint_id))


@blp.route("/endpoints/<uuid:endpoint_id>/rotate-secret", methods=["POST"])
@blp.auth_required
@blp.arguments(WebhookRotateSchema)
@transaction
@blp.response(200, WebhookSecretSchema)
def rotate_endpoint_secret(data: dict[str, Any], endpoint_id: uuid.UUID) -> dict[str, Any]:
    """A new secret (shown once); the old one signs beside it for the overlap"""
    endpoint = endpoint_or_404(endpoint_id)
    secret = service.rotate_secret(db.session(), endpoint, _settings(), data["overlap_hours"])
    return {"secret": secret, "previous_secret_expires_at": endpoint.previous_secret_expires_at}


@blp.route("/endpoints/<uuid:endpoint_id>/test", methods=["POST"])
@blp.auth_required
@transaction(idempotent=True)
@blp.response(202, WebhookDeliverySchema)
def send_test_event(endpoint_id: uuid.UUID) -> WebhookDelivery:
    """Send a `webhook.test` event to the endpoint"""
    delivery = service.send_test(db.session(), endpoint_or_404(endpoint_id))
    delivery.attempt_log = []
    return delivery


@blp.route("/endpoints/<uuid:endpoint_id>/deliveries")
@blp.auth_required
@blp.arguments(WebhookDeliveryArgsSchema, location="query")
@blp.response(200, WebhookDeliveryPageSchema)
def list_deliveries(args: dict[str, Any], endpoint_id: uuid.UUID) -> dict[str, Any]:
    """The delivery log, newest first: every attempt with its time, status, latency and
    the first 2 KB of the response"""
    endpoint = endpoint_or_404(endpoint_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if args["status"]:
        stmt = stmt.where(WebhookDelivery.status == args["status"])
    page = keyset_page(db.session(), stmt, WebhookDelivery, args["limit"], args["cursor"])
    found = service.attempts_of(db.session(), [d.id for d in page["items"]])
    for delivery in page["items"]:
        delivery.attempt_log = found[delivery.id]
    return page


@blp.route("/endpoints/<uuid:endpoint_id>/recover", methods=["POST"])
@blp.auth_required
@blp.arguments(WebhookRecoverSchema)
@transaction
@blp.response(202, WebhookRecoveredSchema)
def recover_deliveries(data: dict[str, Any], endpoint_id: uuid.UUID) -> dict[str, int]:
    """Send again every delivery that failed since `since`, in each case's order"""
    endpoint = endpoint_or_404(endpoint_id)
    return {"recovered": service.recover(db.session(), endpoint, data["since"])}


@blp.route("/deliveries/<uuid:delivery_id>/redeliver", methods=["POST"])
@blp.auth_required
@transaction(idempotent=True)
@blp.response(202, WebhookDeliverySchema)
def redeliver(delivery_id: uuid.UUID) -> WebhookDelivery:
    """Send one delivery's event again (same `webhook-id`)"""
    delivery = db.session().get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint.storefront_id != storefront_scope():
        abort(404, message=f"No webhook delivery {delivery_id}.")
    again = service.redeliver(db.session(), delivery)
    again.attempt_log = []
    return again
