"""The two shapes the carrier registry is built from: a carrier, and one of its
tracking-number formats."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Carrier:
    code: str
    name: str
    tracking_url_template: str | None


@dataclass(frozen=True, slots=True)
class CarrierFormat:
    """One tracking-number format of a carrier, and how to recognise it."""

    carrier_code: str
    label: str
    matches: Callable[[str], bool]
    has_check_digit: bool
    # Leading characters the format pins down; only used to order overlapping
    # pure-digit matches (STO's "77" is more telling than ZTO's "7").
    fixed_prefix: int = 0
    # Code of a generic carrier this format is a special case of: a China Post
    # S10 number is also a valid generic S10 number, but EMS is the better answer.
    refines: str | None = None
