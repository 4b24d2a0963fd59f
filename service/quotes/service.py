"""Writing quotes: each new quote supersedes the last; warranty lines cost nothing."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from service.cases.errors import ActionDataError
from service.quotes.models import Quote, QuoteLine, QuoteStatus
from service.quotes.pricing import price_line, tax_minor
from service.storefronts.models import Storefront

if TYPE_CHECKING:
    from service.cases.models import Case
    from service.core.auth import Actor


def current_quote(case: Case) -> Quote | None:
    """The latest quote: the only one that can still be decided."""
    return case.quotes[-1] if case.quotes else None


def create_quote(
    session: Session, case: Case, data: dict[str, Any], actor: Actor, now: datetime
) -> Quote:
    items = {item.id: item for item in case.items}
    only_item = case.items[0] if len(case.items) == 1 else None
    lines = []
    for position, line in enumerate(data["lines"]):
        if "item_id" in line:
            item = items.get(line["item_id"])
            if item is None:
                raise ActionDataError(f"lines.{position}.item_id", "Not an item of this case.")
        else:
            item = only_item
        waived = (
            f"In warranty until {item.warranty_until.isoformat()}: free of charge."
            if item is not None and item.in_warranty
            else None
        )
        priced = price_line(line["quantity"], line["unit_price_minor"], waived)
        lines.append(
            QuoteLine(
                position=position,
                case_item_id=item.id if item is not None else None,
                kind=line["kind"],
                description=line["description"],
                quantity=line["quantity"],
                unit_price_minor=line["unit_price_minor"],
                amount_minor=priced.amount_minor,
                charged_minor=priced.charged_minor,
                waived_reason=priced.waived_reason,
            )
        )

    previous = current_quote(case)
    if previous is not None and previous.status == QuoteStatus.pending:
        previous.status = QuoteStatus.superseded

    rate = session.get(Storefront, case.storefront_id).tax_rate_bp
    subtotal = sum(line.charged_minor for line in lines)
    tax = tax_minor(subtotal, rate)
    quote = Quote(
        case_id=case.id,
        revision=(previous.revision + 1) if previous else 1,
        status=QuoteStatus.pending,
        currency=data["currency"],
        subtotal_minor=subtotal,
        tax_rate_bp=rate,
        tax_minor=tax,
        total_minor=subtotal + tax,
        valid_until=data["valid_until"],
        note=data.get("note"),
        created_by_name=actor.name,
        created_at=now,
        lines=lines,
    )
    case.quotes.append(quote)
    session.flush()
    return quote
