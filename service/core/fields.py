"""Marshmallow fields and checks shared by every schema: safe text, safe datetimes,
contact data validated by the field libraries, time zones."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import marshmallow as ma
from flask import current_app

from service.core.contacts import normalise_email, normalise_phone

# ---------------------------------------------------------------------------
# Text: PostgreSQL refuses NUL in text, and no database can encode a lone surrogate
# (what `"\ud800"` decodes to in JSON). A well-formed pair decodes to one code point,
# so any surrogate left in a Python string is unpaired.

UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")
UNSAFE_TEXT_MESSAGE = "Contains a NUL character or an unpaired surrogate."


def unsafe_text(value: str) -> bool:
    return UNSAFE_TEXT.search(value) is not None


def unsafe_text_errors(data: Any) -> dict[Any, Any]:
    """The fields of `data` (a parsed body or query, at any depth) holding unsafe text,
    in marshmallow's error shape: `{"customer": {"name": [message]}}`."""
    if isinstance(data, Mapping):
        items: Any = ((key, data[key]) for key in data)
    elif isinstance(data, list | tuple):
        items = enumerate(data)
    else:
        return {}
    errors: dict[Any, Any] = {}
    for key, value in items:
        if isinstance(value, str):
            if unsafe_text(value):
                errors[key] = [UNSAFE_TEXT_MESSAGE]
        elif nested := unsafe_text_errors(value):
            errors[key] = nested
    return errors


# ---------------------------------------------------------------------------
# Datetimes: `0001-01-01T00:00:00+14:00` parses, but is before year 1 in UTC (and
# `9999-12-31T23:59:59-14:00` after 9999): converting, storing or showing it in a
# customer's zone overflows. Every datetime we accept lies well inside the range.

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
RANGE_MESSAGE = "Out of range: give a time between 1900-01-01 and 9000-01-01 (UTC)."


def in_range_utc(value: datetime) -> datetime:
    """`value` in UTC; ValueError when it has no zone or lies outside the range."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("Not an aware datetime.")
    try:
        utc = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(RANGE_MESSAGE) from exc
    if not EARLIEST <= utc < LATEST:
        raise ValueError(RANGE_MESSAGE)
    return utc


class DateTime(ma.fields.AwareDateTime):
    """An ISO 8601 datetime with a zone, returned in UTC and within a safe range.

    The base Schema refuses to load through any other datetime field, so no request
    schema can forget this.
    """

    def __init__(self, **kwargs: Any) -> None:
        metadata = kwargs.pop("metadata", {})
        if not kwargs.get("dump_only"):
            note = "With a zone; 1900-01-01 to 9000-01-01 (UTC)."
            metadata = {**metadata, "description": f"{metadata.get('description', '')} {note}"}
            metadata["description"] = metadata["description"].strip()
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            return in_range_utc(parsed)
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from exc


# ---------------------------------------------------------------------------
# Contact data and zones.


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


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    """An IANA zone name we can load. Checked against the known names first: ZoneInfo
    takes the name as a file path, so an odd one fails in odd ways (too long, a
    directory, a NUL)."""
    if name not in time_zone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


class TimeZone(ma.fields.String):
    """An IANA time zone name such as `Asia/Shanghai`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", ma.validate.Length(max=64))
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not is_time_zone(text):
            raise ma.ValidationError("Not an IANA time zone (e.g. Asia/Shanghai).")
        return text
