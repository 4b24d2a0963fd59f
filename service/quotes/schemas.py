from __future__ import annotations

from typing import Any

import marshmallow as ma

from service.core.api import Schema
from service.core.db import utcnow
from service.quotes.models import DecisionChannel, LineKind, QuoteStatus

#: Money is integer minor units in 64 bits: a quote holds at most 100 lines of at most
#: 1,000 x 100,000,000 minor units, so totals reach 10**13 before tax.
MONEY = {"format": "int64"}


def money(description: str = "") -> ma.fields.Integer:
    note = "Integer minor units (64-bit)."
    return ma.fields.Integer(metadata={**MONEY, "description": f"{description} {note}".strip()})


class QuoteLineSchema(Schema):
    item_id = ma.fields.UUID(attribute="case_item_id", allow_none=True)
    kind = ma.fields.Enum(LineKind, by_value=True)
    description = ma.fields.String()
    quantity = ma.fields.Integer()
    unit_price_minor = money()
    amount_minor = money("quantity x unit price.")
    charged_minor = money("0 when the warranty covers it.")
    waived_reason = ma.fields.String(allow_none=True)


class QuoteSchema(Schema):
    id = ma.fields.UUID()
    revision = ma.fields.Integer()
    status = ma.fields.Enum(QuoteStatus, by_value=True)
    expired = ma.fields.Method("_expired", metadata={"description": "Pending but past valid_until"})
    currency = ma.fields.String()
    lines = ma.fields.List(ma.fields.Nested(QuoteLineSchema))
    subtotal_minor = money("Up to 10**13.")
    tax_rate_bp = ma.fields.Integer(metadata={"description": "Basis points (1300 = 13 %)"})
    tax_minor = money()
    total_minor = money()
    valid_until = ma.fields.AwareDateTime()
    note = ma.fields.String(allow_none=True)
    created_by_name = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    decided_at = ma.fields.AwareDateTime(allow_none=True)
    decided_by_name = ma.fields.String(allow_none=True)
    decided_via = ma.fields.Enum(DecisionChannel, by_value=True, allow_none=True)
    decision_note = ma.fields.String(allow_none=True)

    def _expired(self, quote: Any) -> bool:
        return quote.expired(utcnow())
