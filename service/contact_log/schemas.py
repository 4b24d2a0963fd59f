from __future__ import annotations

import marshmallow as ma

from service.contact_log.models import ContactChannel, ContactDirection
from service.core.api import Schema


class ContactSchema(Schema):
    id = ma.fields.UUID()
    direction = ma.fields.Enum(ContactDirection, by_value=True)
    channel = ma.fields.Enum(ContactChannel, by_value=True)
    summary = ma.fields.String()
    outcome = ma.fields.String(allow_none=True)
    staff_name = ma.fields.String()
    occurred_at = ma.fields.AwareDateTime()
    created_at = ma.fields.AwareDateTime()
