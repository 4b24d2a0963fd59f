from __future__ import annotations

from typing import Any

import marshmallow as ma

from service.core.api import Schema
from service.core.db import utcnow
from service.quotes.models import DecisionChannel, LineKind, QuoteStatus


class QuoteLineSchema(Schema):
    item_id = ma.fields.UUID(attribute="case_item_id", allow_none=True)
    kind = ma.fields.Enum(LineKind, by_value=True)
    description = ma.fields.String()
    quantity = ma.fields.Integer()
    unit_price_minor = ma.fields.Integer()
    amount_minor = ma.fields.Integer(metadata={"description": "quantity x unit price"})
    charged_minor = ma.fields.Integer(metadata={"description": "0 when the warranty covers it"})
    waived_reason = ma.fields.String(allow_none=True)


class QuoteSchema(Schema):
    id = ma.fields.UUID()
    revision = ma.fields.Integer()
    status = ma.fields.Enum(QuoteStatus, by_value=True)
    expired = ma.fields.Method("_expired", metadata={"description": "Pending but past valid_until"})
    currency = ma.fields.String()
    lines = ma.fields.List(ma.fields.Nested(QuoteLineSchema))
    subtotal_minor = ma.fields.Integer()
    tax_rate_bp = ma.fields.Integer(metadata={"description": "Basis points (1300 = 13 %)"})
    tax_minor = ma.fields.Integer()
    total_minor = ma.fields.Integer()
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
