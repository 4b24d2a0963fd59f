"""The lifecycle as the product describes it, written out by hand, row by row: what the
transition table in service/cases/transitions.py must say. Deliberately not derived
from that table (nor from its helper sets), so a wrong edit there shows up here as a
difference instead of moving the expectation along with the code.

Each row: action, from statuses, to status, kinds, actors, staff roles.
"""

from __future__ import annotations

from typing import NamedTuple


class Row(NamedTuple):
    action: str
    sources: frozenset[str]
    target: str
    kinds: frozenset[str]
    actors: frozenset[str]
    staff_roles: frozenset[str]


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


ITEMS = "repair return exchange"
ALL = "repair return exchange complaint inquiry"
EVERYONE = "agent technician supervisor admin"
DESK = "agent supervisor admin"
WORKSHOP = "technician supervisor admin"

EXPECTED: list[Row] = [
    Row(
        action="request_item",
        sources=_set("open"),
        target="awaiting_item",
        kinds=_set(ITEMS),
        actors=_set("staff"),
        staff_roles=_set(DESK),
    ),
    Row(
        action="receive",
        sources=_set("open awaiting_item"),
        target="received",
        kinds=_set(ITEMS),
        actors=_set("staff"),
        staff_roles=_set(EVERYONE),
    ),
    Row(
        action="diagnose",
        sources=_set("received"),
        target="diagnosing",
        kinds=_set(ITEMS),
        actors=_set("staff"),
        staff_roles=_set(EVERYONE),
    ),
    Row(
        action="send_quote",
        sources=_set("diagnosing quote_pending"),
        target="quote_pending",
        kinds=_set("repair"),
        actors=_set("staff"),
        staff_roles=_set(WORKSHOP),
    ),
    Row(
        action="start_repair",
        sources=_set("diagnosing"),
        target="repairing",
        kinds=_set("repair"),
        actors=_set("staff"),
        staff_roles=_set(WORKSHOP),
    ),
    Row(
        action="approve_quote",
        sources=_set("quote_pending"),
        target="repairing",
        kinds=_set("repair"),
        actors=_set("customer storefront staff"),
        staff_roles=_set(DESK),
    ),
    Row(
        action="decline_quote",
        sources=_set("quote_pending"),
        target="ready_to_ship",
        kinds=_set("repair"),
        actors=_set("customer storefront staff"),
        staff_roles=_set(DESK),
    ),
    Row(
        action="finish_repair",
        sources=_set("repairing"),
        target="ready_to_ship",
        kinds=_set("repair"),
        actors=_set("staff"),
        staff_roles=_set(WORKSHOP),
    ),
    Row(
        action="replace",
        sources=_set("received diagnosing"),
        target="ready_to_ship",
        kinds=_set("exchange"),
        actors=_set("staff"),
        staff_roles=_set(WORKSHOP),
    ),
    Row(
        action="refund",
        sources=_set("received diagnosing"),
        target="refunded",
        kinds=_set("return"),
        actors=_set("staff"),
        staff_roles=_set(DESK),
    ),
    Row(
        action="ship",
        sources=_set("ready_to_ship"),
        target="shipped",
        kinds=_set("repair exchange"),
        actors=_set("staff"),
        staff_roles=_set(EVERYONE),
    ),
    Row(
        action="deliver",
        sources=_set("shipped"),
        target="delivered",
        kinds=_set("repair exchange"),
        actors=_set("staff storefront system"),
        staff_roles=_set(EVERYONE),
    ),
    Row(
        action="resolve",
        sources=_set("open"),
        target="resolved",
        kinds=_set("complaint inquiry"),
        actors=_set("staff"),
        staff_roles=_set(DESK),
    ),
    Row(
        action="close",
        sources=_set("delivered refunded resolved"),
        target="closed",
        kinds=_set(ALL),
        actors=_set("staff system"),
        staff_roles=_set(DESK),
    ),
    Row(
        action="cancel",
        sources=_set(
            "open awaiting_item received diagnosing quote_pending repairing ready_to_ship"
        ),
        target="cancelled",
        kinds=_set(ALL),
        actors=_set("staff storefront"),
        staff_roles=_set(DESK),
    ),
    Row(
        action="reopen",
        sources=_set("closed"),
        target="open",
        kinds=_set(ALL),
        actors=_set("staff"),
        staff_roles=_set("supervisor admin"),
    ),
]

#: action -> its row.
BY_ACTION: dict[str, Row] = {row.action: row for row in EXPECTED}
