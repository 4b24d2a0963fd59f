"""Marshmallow fields for contact data, validated by the field libraries."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import marshmallow as ma
from flask import current_app

from service.core.contacts import normalise_email, normalise_phone


class Email(ma.fields.String):
    """An email address, validated and normalised (email-validator)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalise_email(text)
        except ValueError as exc:
            raise ma.ValidationError(f"Not a valid email address: {exc}") from exc


class Phone(ma.fields.String):
    """A phone number, stored as E.164; national numbers use DEFAULT_PHONE_REGION."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalise_phone(text, current_app.config["SETTINGS"].default_phone_region)
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from exc


class TimeZone(ma.fields.String):
    """An IANA time zone name such as `Asia/Shanghai`."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ma.ValidationError("Not an IANA time zone (e.g. Asia/Shanghai).") from exc
        return text
