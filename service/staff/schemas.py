from __future__ import annotations

import marshmallow as ma

from service.core.api import Schema
from service.core.pagination import CursorArgsSchema
from service.staff.models import StaffRole


class StaffSchema(Schema):
    id = ma.fields.UUID()
    name = ma.fields.String()
    email = ma.fields.String()
    role = ma.fields.Enum(StaffRole, by_value=True)
    storefront_id = ma.fields.UUID(
        allow_none=True, metadata={"description": "Bound to this storefront; null: all."}
    )
    active = ma.fields.Boolean()
    created_at = ma.fields.AwareDateTime()


class MeSchema(StaffSchema):
    locale = ma.fields.String(
        allow_none=True, metadata={"description": "Workspace language; null: the browser's."}
    )


class StaffQueryArgsSchema(CursorArgsSchema):
    role = ma.fields.List(ma.fields.Enum(StaffRole, by_value=True))
    active = ma.fields.Boolean(metadata={"description": "Only active (or deactivated) staff."})
    storefront_id = ma.fields.UUID(
        metadata={"description": "Staff who may work this storefront's cases."}
    )


class StaffCreateSchema(Schema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(max=320))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    role = ma.fields.Enum(StaffRole, by_value=True, required=True)
    password = ma.fields.String(
        required=True,
        load_only=True,
        validate=ma.validate.Length(min=10, max=200),
        metadata={"description": "At least 10 characters; stored only as a hash."},
    )
    storefront_id = ma.fields.UUID(
        allow_none=True, load_default=None, metadata={"description": "Bind to it; null: all."}
    )


class StaffUpdateSchema(Schema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    role = ma.fields.Enum(StaffRole, by_value=True)
    storefront_id = ma.fields.UUID(allow_none=True, metadata={"description": "null: unbind."})
    active = ma.fields.Boolean(
        metadata={"description": "false: sign-in refused, sessions ended, personal tokens revoked."}
    )
