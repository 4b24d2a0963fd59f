"""API bodies of storefront administration: keys (the storefront's settings schemas
are in service.storefronts.settings, next to the rules they carry)."""

from __future__ import annotations

import marshmallow as ma

from service.core.api import Schema


class KeySchema(Schema):
    prefix = ma.fields.String(metadata={"description": "The public start of the key; names it."})
    label = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    last_used_at = ma.fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "Last authenticated request, to the minute; null: never."},
    )
    revoked_at = ma.fields.AwareDateTime(allow_none=True)


class KeyListSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(KeySchema), required=True)


class KeyCreateSchema(Schema):
    label = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=200)
    )


class KeyCreatedSchema(KeySchema):
    key = ma.fields.String(
        metadata={"description": "The key itself: shown in this response only, never again."}
    )
