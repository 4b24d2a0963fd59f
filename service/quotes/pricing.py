"""Quote arithmetic, exact: integer minor units end to end, never floats."""

from __future__ import annotations

from dataclasses import dataclass

from babel.numbers import list_currencies


def is_currency(code: str) -> bool:
    return code in _CURRENCIES


_CURRENCIES = frozenset(list_currencies())


@dataclass(frozen=True)
class PricedLine:
    amount_minor: int
    charged_minor: int
    waived_reason: str | None


def price_line(quantity: int, unit_price_minor: int, waived_reason: str | None) -> PricedLine:
    """A line's amount, and what the customer pays: nothing when the warranty covers it."""
    amount = quantity * unit_price_minor
    return PricedLine(amount, 0 if waived_reason else amount, waived_reason)


def tax_minor(subtotal_minor: int, rate_bp: int) -> int:
    """Tax on `subtotal_minor` at `rate_bp` basis points, rounded half up to a minor unit."""
    return (subtotal_minor * rate_bp + 5_000) // 10_000
