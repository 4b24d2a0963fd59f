"""Normalising contact details, shared by customers and staff."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email


def normalise_email(value: str) -> str:
    """The address as we store and match it; raises ValueError with a reason."""
    try:
        # Lower-cased whole: mailbox case-sensitivity is theoretical and breaks matching.
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc


def normalise_phone(value: str, default_region: str) -> str:
    """E.164 (`+8613800138000`); numbers without a country code use `default_region`."""
    try:
        number = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("Not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("Not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
