"""Reaching any status of the lifecycle through the API, by the shortest path in the
transition table, with a valid body for every action."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

from service.cases.lifecycle import TRANSITIONS
from service.cases.models import CaseKind, CaseStatus

UPS_NUMBER = "1Z5R89390357567127"


def body_for(action: str, case: dict[str, Any], technician_id: str) -> dict[str, Any]:
    """A valid body for `action` on `case` (the case as the API returns it)."""
    valid_until = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    bodies: dict[str, dict[str, Any]] = {
        "request_item": {"shipping_instructions": "Send it to Service Centre, 1 Main St."},
        "receive": {
            "items": [
                {"item_id": item["id"], "condition": "as_described", "accessories": ["charger"]}
                for item in case["items"]
            ]
        },
        "diagnose": {"technician_id": technician_id},
        "send_quote": {
            "currency": "CNY",
            "valid_until": valid_until,
            "lines": [{"kind": "part", "description": "Screen", "unit_price_minor": 45000}],
        },
        "finish_repair": {"problem_found": "Loose cable", "cause": "Drop", "fix": "Reseated"},
        "replace": {"replacement_sku": "TAB-10", "replacement_serial_number": "SN999"},
        "refund": {"amount_minor": 129900, "currency": "CNY"},
        "ship": {"tracking_number": UPS_NUMBER},
        "resolve": {"resolution": "Explained the settings."},
        "cancel": {"reason": "Customer changed their mind."},
        "reopen": {"reason": "The fault came back."},
    }
    return bodies.get(action, {})


def path_to(kind: CaseKind, status: CaseStatus) -> list[str]:
    """The shortest list of actions from `open` to `status` for a case of `kind`."""
    queue: deque[tuple[CaseStatus, list[str]]] = deque([(CaseStatus.open, [])])
    seen = {CaseStatus.open}
    while queue:
        current, path = queue.popleft()
        if current == status:
            return path
        for transition in TRANSITIONS.values():
            reachable = kind in transition.kinds and current in transition.sources
            if reachable and transition.target not in seen:
                seen.add(transition.target)
                queue.append((transition.target, [*path, transition.action]))
    raise LookupError(f"{status} is unreachable for {kind}")


def items_for(kind: CaseKind) -> list[dict[str, Any]]:
    if not kind.needs_items:
        return []
    return [{"sku": "TAB-10", "name": "Tablet 10", "purchase_date": "2026-09-01"}]
