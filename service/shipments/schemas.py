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
