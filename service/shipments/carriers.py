"""Carrier registry, tracking-number detection and validation.

One registry (``CARRIERS``) holds the couriers known to the ``tracking_numbers``
library (UPS, FedEx, USPS, DHL, ...) plus the main Chinese carriers the library
lacks. The library's formats carry real check digits; the Chinese carriers do
not publish their formats, so theirs are the shapes seen on real labels and in
common detection tables (see ``service.shipments.chinese_carriers``). Pure-digit shapes of the
domestic carriers overlap, so detection reports every match and refuses to
guess between them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from tracking_numbers import DEFINITIONS
from tracking_numbers.definition import TrackingNumberDefinition

from service.shipments.carrier_types import Carrier, CarrierFormat
from service.shipments.chinese_carriers import (
    CHINESE_CARRIERS,
    CHINESE_FORMATS,
    s10_check_digit,
)

__all__ = [
    "CARRIERS",
    "MAX_LENGTH",
    "MIN_LENGTH",
    "Carrier",
    "Tracking",
    "TrackingNumberError",
    "check_digit_failures",
    "detect_carriers",
    "normalise",
    "resolve_tracking",
    "s10_check_digit",
    "tracking_url",
]

MIN_LENGTH = 8
# No real format is longer than 34 characters (FedEx/USPS IMpb); the cap keeps
# arbitrary text out of the regexes and the database.
MAX_LENGTH = 64

ErrorField = Literal["tracking_number", "carrier"]


@dataclass(frozen=True, slots=True)
class Tracking:
    carrier_code: str | None
    carrier_name: str
    tracking_number: str
    tracking_url: str | None


class TrackingNumberError(ValueError):
    """Invalid tracking input; ``field`` names the request field to blame."""

    def __init__(self, field: ErrorField, message: str) -> None:
        super().__init__(message)
        self.field: ErrorField = field
        self.message = message


# --- carriers from the tracking_numbers library -------------------------------

# CDL package ids are lowercase hex and the library's pattern is case-sensitive,
# so these carriers are matched, and linked, in lowercase.
_LOWERCASE_CODES = frozenset({"cdl"})


def _library_format(definition: TrackingNumberDefinition) -> CarrierFormat:
    def matches(number: str) -> bool:
        candidates = (number.lower(),) if definition.courier.code in _LOWERCASE_CODES else (number,)
        for candidate in candidates:
            found = definition.test(candidate)
            if found is not None and found.valid:
                return True
        return False

    return CarrierFormat(
        carrier_code=definition.courier.code,
        label=definition.product.name,
        matches=matches,
        has_check_digit=definition.checksum_validator is not None,
    )


def _library_carriers() -> dict[str, Carrier]:
    carriers: dict[str, Carrier] = {}
    for definition in DEFINITIONS:
        code = definition.courier.code
        # The library uses printf-style templates; ours use a named placeholder.
        template = definition.tracking_url_template
        template = template.replace("%s", "{number}") if template else None
        known = carriers.get(code)
        if known is None or (known.tracking_url_template is None and template):
            carriers[code] = Carrier(code, definition.courier.name, template)
    return carriers


def _build_registry() -> tuple[dict[str, Carrier], tuple[CarrierFormat, ...]]:
    carriers = _library_carriers()
    for carrier in CHINESE_CARRIERS:
        # Fail loudly if a library upgrade ever claims one of our codes.
        if carrier.code in carriers:
            raise RuntimeError(f"carrier code {carrier.code!r} is defined twice")
        carriers[carrier.code] = carrier
    formats = tuple(_library_format(d) for d in DEFINITIONS) + CHINESE_FORMATS
    unknown = {f.carrier_code for f in formats} - carriers.keys()
    if unknown:
        raise RuntimeError(f"formats for unregistered carriers: {sorted(unknown)}")
    return carriers, formats


CARRIERS: dict[str, Carrier]
CARRIERS, _FORMATS = _build_registry()
_ORDER = {code: index for index, code in enumerate(CARRIERS)}


# --- normalisation and detection ----------------------------------------------

# NFKC first: Chinese input methods often produce full-width letters, digits and
# spaces ("ＳＦ１２３"), which NFKC folds to ASCII.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
_ALPHANUMERIC = re.compile(r"[A-Z0-9]+")


def normalise(number: str) -> str:
    """Strip spaces and dashes and uppercase; does not validate."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", number)).upper()


@dataclass(frozen=True, slots=True)
class _Match:
    carrier: Carrier
    has_check_digit: bool
    fixed_prefix: int
    refined: bool

    def rank(self) -> tuple[bool, bool, int, int]:
        return (
            self.refined,
            not self.has_check_digit,
            -self.fixed_prefix,
            _ORDER[self.carrier.code],
        )


def _matches(number: str) -> list[_Match]:
    """Matching carriers, most specific first; ``number`` is already normalised."""
    hits = [f for f in _FORMATS if f.matches(number)]
    refined_codes = {f.refines for f in hits if f.refines}
    best: dict[str, _Match] = {}
    for fmt in hits:
        match = _Match(
            carrier=CARRIERS[fmt.carrier_code],
            has_check_digit=fmt.has_check_digit,
            fixed_prefix=fmt.fixed_prefix,
            refined=fmt.carrier_code in refined_codes,
        )
        known = best.get(fmt.carrier_code)
        if known is None or match.rank() < known.rank():
            best[fmt.carrier_code] = match
    return sorted(best.values(), key=_Match.rank)


def detect_carriers(number: str) -> list[Carrier]:
    """Every carrier whose format (and check digit, where defined) fits, most specific first."""
    normalised = normalise(number)
    if not _ALPHANUMERIC.fullmatch(normalised):
        return []
    return [match.carrier for match in _matches(normalised)]


def check_digit_failures(number: str) -> list[Carrier]:
    """Carriers whose format `number` has but whose check digit it fails: what a typo in
    a UPS or FedEx number looks like (the staff page says so as the number is typed)."""
    normalised = normalise(number)
    if not _ALPHANUMERIC.fullmatch(normalised):
        return []
    failed: dict[str, Carrier] = {}
    for definition in DEFINITIONS:
        code = definition.courier.code
        candidate = normalised.lower() if code in _LOWERCASE_CODES else normalised
        found = definition.test(candidate)
        if found is not None and not found.valid and not _is_valid_for(code, normalised):
            failed.setdefault(code, CARRIERS[code])
    return list(failed.values())


def _is_valid_for(code: str, number: str) -> bool:
    return any(f.matches(number) for f in _FORMATS if f.carrier_code == code)


def tracking_url(carrier_code: str, number: str) -> str | None:
    """Public tracking page for ``number``, or None if the carrier has none or is unknown."""
    carrier = CARRIERS.get(carrier_code.strip().lower())
    if carrier is None or carrier.tracking_url_template is None:
        return None
    value = normalise(number)
    if carrier.code in _LOWERCASE_CODES:
        value = value.lower()
    # str.replace, not str.format: third-party templates may contain braces.
    return carrier.tracking_url_template.replace("{number}", quote(value, safe=""))


# --- resolution ---------------------------------------------------------------


def _checked_number(tracking_number: object) -> str:
    if not isinstance(tracking_number, str):
        raise TrackingNumberError("tracking_number", "tracking number must be a string")
    number = normalise(tracking_number)
    if not number:
        raise TrackingNumberError("tracking_number", "tracking number is required")
    if not _ALPHANUMERIC.fullmatch(number):
        raise TrackingNumberError(
            "tracking_number",
            "tracking number may contain only letters and digits (spaces and dashes are ignored)",
        )
    if len(number) < MIN_LENGTH:
        raise TrackingNumberError(
            "tracking_number", f"tracking number is too short (at least {MIN_LENGTH} characters)"
        )
    if len(number) > MAX_LENGTH:
        raise TrackingNumberError(
            "tracking_number", f"tracking number is too long (at most {MAX_LENGTH} characters)"
        )
    return number


def _blank_to_none(value: object) -> str | None:
    # API clients send "" for "not given" as often as they omit the field.
    if value is None:
        return None
    if not isinstance(value, str):
        raise TrackingNumberError("carrier", "carrier and carrier_name must be strings")
    return value.strip() or None


def _known(carrier: Carrier, number: str) -> Tracking:
    return Tracking(carrier.code, carrier.name, number, tracking_url(carrier.code, number))


def _unknown(carrier_name: str, number: str) -> Tracking:
    return Tracking(None, carrier_name, number, None)


def resolve_tracking(
    tracking_number: str,
    carrier: str | None = None,
    carrier_name: str | None = None,
) -> Tracking:
    """Validate a tracking number and settle its carrier.

    ``carrier`` is a registry code (case-insensitive); ``carrier_name`` names a
    carrier we do not know. Raises TrackingNumberError with the field to blame.
    """
    number = _checked_number(tracking_number)
    code = _blank_to_none(carrier)
    name = _blank_to_none(carrier_name)

    if code is not None:
        known = CARRIERS.get(code.lower())
        if known is None:
            if name is None:
                raise TrackingNumberError(
                    "carrier",
                    "unknown carrier code; give carrier_name for a carrier we do not know",
                )
            return _unknown(name, number)
        if not _is_valid_for(known.code, number):
            raise TrackingNumberError(
                "tracking_number", f"not a valid {known.name} tracking number"
            )
        return _known(known, number)

    # A check digit alone does not settle a tie: a mod-10 check passes one in ten
    # arbitrary digit strings, so it cannot rule out a carrier whose format has
    # none (e.g. a FedEx 12-digit number is also a legacy SF 12-digit number).
    contenders = [match for match in _matches(number) if not match.refined]
    if len(contenders) == 1:
        return _known(contenders[0].carrier, number)
    if contenders:
        codes = ", ".join(match.carrier.code for match in contenders)
        raise TrackingNumberError(
            "carrier",
            f"tracking number fits several carriers ({codes}); give carrier to say which",
        )
    if name is not None:
        return _unknown(name, number)
    raise TrackingNumberError(
        "carrier", "carrier not recognised from the tracking number; give carrier or carrier_name"
    )
