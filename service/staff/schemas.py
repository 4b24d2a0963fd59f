from __future__ import annotations

import marshmallow as ma

from service.core.api import CursorArgsSchema, Schema
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
