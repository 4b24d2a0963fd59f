"""Enum values in words, in the page's language: one table per enum, so every page
says "Quote pending" (报价待确认) the same way. Templates call `word(value)`."""

from __future__ import annotations

import enum
from typing import Any

from flask import g, has_app_context
from flask_babel import lazy_gettext as _l

from service.cases.models import CaseChannel, CaseKind, CasePriority, CaseStatus, ItemCondition
from service.staff.models import StaffRole

S, K, C, P = CaseStatus, CaseKind, CaseChannel, CasePriority

WORDS: dict[enum.Enum, Any] = {
    S.open: _l("Open"),
    S.awaiting_item: _l("Awaiting item"),
    S.received: _l("Received"),
    S.diagnosing: _l("Diagnosing"),
    S.quote_pending: _l("Quote pending"),
    S.repairing: _l("Repairing"),
    S.ready_to_ship: _l("Ready to ship"),
    S.shipped: _l("Shipped"),
    S.delivered: _l("Delivered"),
    S.refunded: _l("Refunded"),
    S.resolved: _l("Resolved"),
    S.closed: _l("Closed"),
    S.cancelled: _l("Cancelled"),
    K.repair: _l("Repair"),
    K.return_: _l("Return"),
    K.exchange: _l("Exchange"),
    K.complaint: _l("Complaint"),
    K.inquiry: _l("Inquiry"),
    C.web: _l("Web"),
    C.phone: _l("Phone"),
    C.chat: _l("Chat"),
    C.email: _l("E-mail"),
    C.api: _l("Storefront (API)"),
    P.low: _l("Low"),
    P.normal: _l("Normal"),
    P.high: _l("High"),
    P.urgent: _l("Urgent"),
    StaffRole.agent: _l("Agent"),
    StaffRole.technician: _l("Technician"),
    StaffRole.supervisor: _l("Supervisor"),
    StaffRole.admin: _l("Administrator"),
    StaffRole.qa_reviewer: _l("QA reviewer"),
    ItemCondition.as_described: _l("As described"),
    ItemCondition.damaged: _l("Damaged"),
    ItemCondition.missing_parts: _l("Missing parts"),
    ItemCondition.not_as_described: _l("Not as described"),
}

#: The SLA clocks (service.sla.clocks.CLOCKS).
CLOCK_WORDS = {
    "first_response": _l("First response"),
    "resolution": _l("Resolution"),
    "follow_up": _l("Follow-up"),
}


def word(value: enum.Enum) -> str:
    """`value` in words; an enum member without a word shows its value. Translated once
    per request (a list page says "Open" fifty times)."""
    return word_cached(value, WORDS.get(value, value.value))


def clock_word(name: str) -> str:
    return word_cached(("clock", name), CLOCK_WORDS.get(name, name))


def word_cached(key: Any, label: Any) -> str:
    if not has_app_context():  # a job or a test building a report: nothing to cache in
        return str(label)
    cache = g.setdefault("_words", {})
    if key not in cache:
        cache[key] = str(label)
    return cache[key]
