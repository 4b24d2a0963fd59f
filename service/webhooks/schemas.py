"""API bodies of webhook endpoints, their delivery log, and the event feed."""

from __future__ import annotations

import marshmallow as ma

from service.core.api import Schema
from service.core.fields import DateTime
from service.core.pagination import CursorArgsSchema
from service.webhooks.events import CATALOG, EVENT_TYPES

CATALOG_TEXT = "; ".join(f"`{name}`: {meaning}" for name, meaning in CATALOG.items())


class WebhookEndpointSchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    url = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=2000),
        metadata={
            "description": "Where events are POSTed: https (plain http only in development); "
            "refused if it resolves to a private, loopback, link-local or reserved address.",
            "example": "https://shop.example/hooks/aftersales",
        },
    )
    description = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=500)
    )
    event_types = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(EVENT_TYPES)),
        load_default=list,
        validate=ma.validate.Length(max=len(EVENT_TYPES)),
        metadata={"description": f"Types received; empty: all. {CATALOG_TEXT}"},
    )
    enabled = ma.fields.Boolean(load_default=True)
    disabled_reason = ma.fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Why the service disabled it (410, failing for days)."},
    )
    failing_since = ma.fields.AwareDateTime(dump_only=True, allow_none=True)
    previous_secret_expires_at = ma.fields.AwareDateTime(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Until then the previous secret signs beside the new one."},
    )
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)


class WebhookEndpointChangeSchema(Schema):
    """Only the fields given change."""

    url = ma.fields.String(validate=ma.validate.Length(min=1, max=2000))
    description = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=500))
    event_types = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(EVENT_TYPES)),
        validate=ma.validate.Length(max=len(EVENT_TYPES)),
    )
    enabled = ma.fields.Boolean()


class WebhookEndpointCreatedSchema(WebhookEndpointSchema):
    secret = ma.fields.String(
        metadata={
            "description": "The signing secret (`whsec_...`): in this response only.",
            "example": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        }
    )


class WebhookEndpointListSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(WebhookEndpointSchema), required=True)


class WebhookRotateSchema(Schema):
    overlap_hours = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Range(min=0, max=24 * 30),
        metadata={
            "description": "How long the old secret keeps signing (default: the "
            "WEBHOOK_ROTATION_OVERLAP_HOURS setting); 0 ends it now."
        },
    )


class WebhookSecretSchema(Schema):
    secret = ma.fields.String(metadata={"description": "The new secret: shown once."})
    previous_secret_expires_at = ma.fields.AwareDateTime(allow_none=True)


class WebhookAttemptSchema(Schema):
    attempted_at = ma.fields.AwareDateTime()
    status_code = ma.fields.Integer(allow_none=True)
    latency_ms = ma.fields.Integer()
    error = ma.fields.String(allow_none=True)
    response_body = ma.fields.String(
        allow_none=True, metadata={"description": "The first 2 KB of the response."}
    )


class WebhookDeliverySchema(Schema):
    id = ma.fields.UUID()
    event_id = ma.fields.UUID()
    event_type = ma.fields.String(attribute="event.type")
    message_id = ma.fields.String(
        attribute="event.message_id", metadata={"description": "The `webhook-id` header."}
    )
    case_id = ma.fields.UUID(attribute="event.case_id", allow_none=True)
    sequence = ma.fields.Integer(attribute="event.sequence", allow_none=True)
    status = ma.fields.String(
        metadata={"description": "pending, sending, succeeded or failed (given up)."}
    )
    attempts = ma.fields.Integer()
    next_attempt_at = ma.fields.AwareDateTime()
    last_status_code = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    finished_at = ma.fields.AwareDateTime(allow_none=True)
    attempt_log = ma.fields.List(ma.fields.Nested(WebhookAttemptSchema))


class WebhookDeliveryArgsSchema(CursorArgsSchema):
    status = ma.fields.String(
        load_default=None, validate=ma.validate.OneOf(["pending", "sending", "succeeded", "failed"])
    )


class WebhookRecoverSchema(Schema):
    since = DateTime(
        required=True, metadata={"description": "Every delivery failed since then is re-sent."}
    )


class WebhookRecoveredSchema(Schema):
    recovered = ma.fields.Integer()


class WebhookEventSchema(Schema):
    id = ma.fields.UUID()
    message_id = ma.fields.String(metadata={"description": "The `webhook-id` it is sent with."})
    type = ma.fields.String(metadata={"description": CATALOG_TEXT})
    case_id = ma.fields.UUID(allow_none=True)
    sequence = ma.fields.Integer(
        allow_none=True, metadata={"description": "Per case: 1, 2, 3... (drop older ones)."}
    )
    created_at = ma.fields.AwareDateTime()
    payload = ma.fields.Dict(
        metadata={
            "description": "The body webhooks carry: {type, timestamp, data}.",
            "example": {
                "type": "case.status_changed",
                "timestamp": "2026-12-02T08:00:00Z",
                "data": {
                    "case_id": "0b7e4c1e-7f57-4f43-9a4e-3f5d3bde0c1a",
                    "number": "MS-000042",
                    "status": "received",
                    "previous_status": "awaiting_item",
                    "version": 3,
                    "sequence": 2,
                },
            },
        }
    )


class WebhookEventArgsSchema(CursorArgsSchema):
    case_id = ma.fields.UUID(load_default=None)
    type = ma.fields.String(load_default=None, validate=ma.validate.OneOf(EVENT_TYPES))
