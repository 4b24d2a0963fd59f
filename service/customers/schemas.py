from __future__ import annotations

from typing import Any

import marshmallow as ma

from service.core.api import Schema
from service.core.fields import Email, Phone, TimeZone
from service.core.pagination import CursorArgsSchema
from service.customers.models import LOCALES


class CustomerInSchema(Schema):
    """The customer as the storefront knows them; matched on external_id, then email, then phone."""

    external_id = ma.fields.String(validate=ma.validate.Length(min=1, max=128))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    email = Email(validate=ma.validate.Length(max=320))
    phone = Phone(metadata={"description": "E.164, or national in the default region."})
    locale = ma.fields.String(validate=ma.validate.OneOf(LOCALES))
    time_zone = TimeZone(metadata={"description": "IANA zone, e.g. Asia/Shanghai."})
    consent_email = ma.fields.Boolean(metadata={"description": "Email notices allowed."})
    consent_sms = ma.fields.Boolean(metadata={"description": "SMS notices allowed."})

    @ma.validates_schema
    def _reachable(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data.get("email") and not data.get("phone"):
            raise ma.ValidationError("Give an email or a phone number.", "email")


class CustomerSchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    external_id = ma.fields.String(allow_none=True)
    name = ma.fields.String()
    email = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    locale = ma.fields.String()
    time_zone = ma.fields.String()
    consent_email = ma.fields.Boolean()
    consent_sms = ma.fields.Boolean()
    email_bounced_at = ma.fields.AwareDateTime(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Mail to `email` bounced; no e-mail goes out until it changes."},
    )
    email_bounce_reason = ma.fields.String(dump_only=True, allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class CustomerQueryArgsSchema(CursorArgsSchema):
    external_id = ma.fields.String()
    email = Email()


class CustomerUpdateSchema(Schema):
    """Fields a storefront may change; consents are the customer's notice preferences."""

    name = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    email = Email(validate=ma.validate.Length(max=320))
    phone = Phone()
    locale = ma.fields.String(validate=ma.validate.OneOf(LOCALES))
    time_zone = TimeZone()
    consent_email = ma.fields.Boolean()
    consent_sms = ma.fields.Boolean()
