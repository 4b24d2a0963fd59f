"""Changing a case's details after intake (`PATCH /cases/{id}`; the workspace may call
the same function): order reference, description, priority, and the items while
nothing has been received yet.

What the caller sent replaces what was there (items as a whole list, eligibility
decided again against the day the case was opened). A field that may not change now
raises `EditRefused` naming it; nothing is written. Each change is one timeline event,
`edit`, listing what changed (before and after; items by SKU).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service.cases.intake import item_for
from service.cases.lifecycle import record_event
from service.cases.models import Case, CaseStatus
from service.core.auth import Actor
from service.core.db import utcnow
from service.storefronts.models import Storefront

#: Fields a PATCH may carry.
EDITABLE = ("order_reference", "description", "priority", "items")
#: Items may change only until the goods arrive.
ITEMS_EDITABLE_IN = frozenset({CaseStatus.open, CaseStatus.awaiting_item})


class EditRefused(Exception):
    """A field that cannot change in the case's state: 409 naming `field`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _items_summary(items: list[Any]) -> list[str]:
    return [f"{item.sku} x{item.quantity}" for item in items]


def change_case(
    session: Session,
    case: Case,
    changes: dict[str, Any],
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    """Apply `changes` (loaded by `CaseChangeSchema`) to `case`, all or nothing."""
    now = now or utcnow()
    if "items" in changes:
        if case.status not in ITEMS_EDITABLE_IN or any(item.receipts for item in case.items):
            raise EditRefused(
                "items",
                f"Items can change only before the goods are received; the case is "
                f"{case.status.value}.",
            )
        if case.kind.needs_items and not changes["items"]:
            raise EditRefused("items", f"A {case.kind.value} case needs at least one item.")
    diff: dict[str, Any] = {}
    for name in ("order_reference", "description", "priority"):
        if name in changes and changes[name] != getattr(case, name):
            before, after = getattr(case, name), changes[name]
            diff[name] = {"from": _plain(before), "to": _plain(after)}
            setattr(case, name, after)
    if "items" in changes:
        storefront = session.get(Storefront, case.storefront_id)
        opened_on = case.created_at.date()
        before_items = _items_summary(case.items)
        case.items.clear()
        session.flush()  # the old items go before the new take their positions
        for position, item in enumerate(changes["items"]):
            case.items.append(item_for(storefront, item, position, opened_on))
        diff["items"] = {"from": before_items, "to": _items_summary(case.items)}
    if diff:
        record_event(session, case, "edit", actor, case.status, None, diff, now)
    return case


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)
