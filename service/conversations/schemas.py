from __future__ import annotations

import marshmallow as ma

from service.contact_log.models import ContactDirection
from service.conversations.models import MessageKind
from service.conversations.outbound import PLACEHOLDERS
from service.core.api import Schema
from service.core.pagination import CursorArgsSchema
from service.customers.models import LOCALES

_PLACEHOLDER_DOC = "Placeholders: " + ", ".join(f"`{{{k}}}` {v}" for k, v in PLACEHOLDERS.items())


class MessageInSchema(Schema):
    channels = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(("email", "sms"))),
        validate=ma.validate.Length(min=1, max=2),
        load_default=lambda: ["email"],
        metadata={"description": "How to send it: email, sms or both (default email)."},
    )
    body = ma.fields.String(
        validate=ma.validate.Length(max=5000),
        metadata={"description": f"The text, unless `macro_id` is given. {_PLACEHOLDER_DOC}."},
    )
    macro_id = ma.fields.UUID(metadata={"description": "A saved reply of the storefront."})
    internal = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "An internal note: never sent, never shown to the customer."},
    )

    @ma.validates_schema
    def _one_source(self, data: dict, **_kwargs: object) -> None:
        if "body" in data and "macro_id" in data:
            raise ma.ValidationError("Give a body or a macro_id, not both.", "macro_id")
        if "body" not in data and "macro_id" not in data:
            raise ma.ValidationError("Write a message or choose a saved reply.", "body")


class DeliverySchema(Schema):
    channel = ma.fields.String(attribute="channel.value")
    status = ma.fields.String(attribute="status.value")
    recipient = ma.fields.String(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    sent_at = ma.fields.AwareDateTime(allow_none=True)


class MessageSchema(Schema):
    id = ma.fields.UUID()
    case_id = ma.fields.UUID(allow_none=True)
    kind = ma.fields.Enum(MessageKind, by_value=True)
    direction = ma.fields.Enum(ContactDirection, by_value=True)
    channels = ma.fields.List(ma.fields.String())
    address = ma.fields.String(allow_none=True)
    subject = ma.fields.String(allow_none=True)
    body = ma.fields.String(metadata={"description": "Quoted history and signature stripped."})
    original = ma.fields.String(
        allow_none=True, metadata={"description": "The message as received (raw MIME, SMS)."}
    )
    matched_by = ma.fields.String(allow_none=True)
    author_name = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    deliveries = ma.fields.List(ma.fields.Nested(DeliverySchema), dump_default=list)


class MacroSchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    storefront_id = ma.fields.UUID(
        metadata={"description": "Staff who see every storefront name it; others omit it."}
    )
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    bodies = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.OneOf(LOCALES)),
        values=ma.fields.String(validate=ma.validate.Length(min=1, max=5000)),
        required=True,
        validate=ma.validate.Length(min=1),
        metadata={"description": f"One text per locale (en, zh-CN). {_PLACEHOLDER_DOC}."},
    )
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)


class MacroUpdateSchema(Schema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=100))
    bodies = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.OneOf(LOCALES)),
        values=ma.fields.String(validate=ma.validate.Length(min=1, max=5000)),
        validate=ma.validate.Length(min=1),
    )


class MacroQueryArgsSchema(Schema):
    storefront_id = ma.fields.UUID()


class UnmatchedQueryArgsSchema(CursorArgsSchema):
    pass


class AssignSchema(Schema):
    case_id = ma.fields.String(required=True, metadata={"description": "The case's id or number."})
