from __future__ import annotations

import marshmallow as ma

from service.core.api import Schema
from service.tracking.adapters import Status


class ShipmentEventSchema(Schema):
    id = ma.fields.UUID()
    shipment_id = ma.fields.UUID()
    provider = ma.fields.String(metadata={"description": "`kuaidi100` or `aftership`"})
    status = ma.fields.String(
        metadata={"description": "Normalised: " + ", ".join(s.value for s in Status)}
    )
    provider_status = ma.fields.String(allow_none=True)
    description = ma.fields.String()
    location = ma.fields.String(allow_none=True)
    occurred_at = ma.fields.AwareDateTime(
        allow_none=True, metadata={"description": "The carrier's time of the checkpoint"}
    )
    received_at = ma.fields.AwareDateTime()


class TrackingFlagSchema(Schema):
    reason = ma.fields.String(
        attribute="tracking_flag",
        metadata={"description": "exception, returned, expired, aborted or stalled"},
    )
    note = ma.fields.String(attribute="tracking_flag_note", allow_none=True)
    since = ma.fields.AwareDateTime(attribute="tracking_flagged_at")
    shipment_id = ma.fields.UUID(attribute="id")
    tracking_number = ma.fields.String()
