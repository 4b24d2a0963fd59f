from __future__ import annotations

import marshmallow as ma

from service.core.api import Schema
from service.shipments.models import Direction


class ShipmentSchema(Schema):
    id = ma.fields.UUID()
    direction = ma.fields.Enum(Direction, by_value=True)
    carrier_code = ma.fields.String(allow_none=True)
    carrier_name = ma.fields.String()
    tracking_number = ma.fields.String()
    tracking_url = ma.fields.String(allow_none=True)
    created_by_name = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    delivered_at = ma.fields.AwareDateTime(allow_none=True)
    tracking_provider = ma.fields.String(
        allow_none=True, metadata={"description": "The aggregator tracking it, if any"}
    )
    tracking_status = ma.fields.String(
        allow_none=True,
        metadata={"description": "The latest status the carrier reported (normalised)"},
    )
    tracking_updated_at = ma.fields.AwareDateTime(allow_none=True)
    tracking_flag = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "Why the desk should look: exception, returned, expired, "
            "aborted or stalled; null when all is well"
        },
    )
    tracking_flag_note = ma.fields.String(allow_none=True)
    subscription_status = ma.fields.String(
        allow_none=True, metadata={"description": "pending, subscribed or failed"}
    )
