"""The goods-in register (来货登记表): every arrival of an item (`ItemReceipt`, written
by the `receive` action), newest first, with its item and case.

`goods_in_page` filters by arrival time (UTC instants; the page turns its days into
them in its own time zone), storefront, who took the item in, and condition, and pages
by keyset on (received_at, id) so a busy day pages as fast as a quiet one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, contains_eager

from service.cases.models import Case, CaseItem, ItemCondition, ItemReceipt
from service.core.pagination import decode_cursor, encode_cursor


@dataclass(frozen=True)
class GoodsInFilters:
    received_from: datetime | None = None
    received_before: datetime | None = None
    storefront_id: uuid.UUID | None = None
    received_by_id: uuid.UUID | None = None
    condition: ItemCondition | None = None


@dataclass(frozen=True)
class GoodsInRow:
    receipt: ItemReceipt
    item: CaseItem
    case: Case


def goods_in_page(
    session: Session,
    scope: uuid.UUID | None,
    filters: GoodsInFilters,
    limit: int,
    cursor: str | None = None,
) -> dict[str, Any]:
    """One page of receipts visible within `scope` (a storefront id, or None for all),
    newest first: `{"items": [GoodsInRow...], "next_cursor": str | None}`. A bad cursor
    is a 422 naming `cursor` (as in the API)."""
    stmt = (
        select(ItemReceipt)
        .join(ItemReceipt.item)
        .join(CaseItem.case)
        .options(contains_eager(ItemReceipt.item).contains_eager(CaseItem.case))
    )
    storefront_ids = [s for s in (scope, filters.storefront_id) if s is not None]
    for storefront_id in storefront_ids:
        stmt = stmt.where(Case.storefront_id == storefront_id)
    if filters.received_from is not None:
        stmt = stmt.where(ItemReceipt.received_at >= filters.received_from)
    if filters.received_before is not None:
        stmt = stmt.where(ItemReceipt.received_at < filters.received_before)
    if filters.received_by_id is not None:
        stmt = stmt.where(ItemReceipt.received_by_id == filters.received_by_id)
    if filters.condition is not None:
        stmt = stmt.where(ItemReceipt.condition == filters.condition)
    if cursor:
        at, row_id = decode_cursor(cursor)
        stmt = stmt.where(
            or_(
                ItemReceipt.received_at < at,
                and_(ItemReceipt.received_at == at, ItemReceipt.id < row_id),
            )
        )
    stmt = stmt.order_by(ItemReceipt.received_at.desc(), ItemReceipt.id.desc()).limit(limit + 1)
    receipts = list(session.scalars(stmt).unique())
    has_more = len(receipts) > limit
    receipts = receipts[:limit]
    last = receipts[-1] if receipts else None
    return {
        "items": [GoodsInRow(r, r.item, r.item.case) for r in receipts],
        "next_cursor": encode_cursor(last.received_at, last.id) if has_more and last else None,
    }
