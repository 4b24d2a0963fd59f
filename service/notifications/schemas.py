from __future__ import annotations

import marshmallow as ma

from service.core.api import Schema
from service.notifications.models import Channel, NoticeStatus


class NotificationSchema(Schema):
    id = ma.fields.UUID()
    channel = ma.fields.Enum(Channel, by_value=True)
    template = ma.fields.String(metadata={"description": "The event the notice reports"})
    locale = ma.fields.String()
    recipient = ma.fields.String(allow_none=True)
    status = ma.fields.Enum(
        NoticeStatus,
        by_value=True,
        metadata={
            "description": "`uncertain`: an e-mail that may have reached the mail server, "
            "held for staff to release or drop (EMAIL_UNCERTAIN_POLICY=hold)"
        },
    )
    attempts = ma.fields.Integer()
    last_error = ma.fields.String(
        allow_none=True, metadata={"description": "Last failure, or why it was suppressed"}
    )
    provider_message_id = ma.fields.String(allow_none=True)
    scheduled_for = ma.fields.AwareDateTime()
    sent_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
