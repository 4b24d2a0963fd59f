"""Examples in the spec for the main case operations (`openapi/openapi.json`): a
real create request and the answer it got, so an integrator sees every field filled."""

from __future__ import annotations

from typing import Any

CREATE_CASE: dict[str, Any] = {
    "kind": "repair",
    "channel": "web",
    "customer": {
        "external_id": "cust-1",
        "name": "Li Wei",
        "email": "li.wei@example.com",
        "phone": "+8613800138000",
        "locale": "zh-CN",
        "time_zone": "Asia/Shanghai",
    },
    "order_reference": "ORD-1001",
    "description": "The screen flickers after ten minutes.",
    "items": [
        {
            "sku": "TAB-10",
            "name": "Tablet 10",
            "serial_number": "SN123",
            "purchase_date": "2026-09-01",
        }
    ],
}

CASE: dict[str, Any] = {
    "allowed_actions": ["cancel"],
    "assignee": None,
    "channel": "web",
    "created_at": "2026-12-02T06:34:10+00:00",
    "current_quote": None,
    "customer": {
        "consent_email": True,
        "consent_sms": True,
        "created_at": "2026-12-02T06:34:10+00:00",
        "email": "li.wei@example.com",
        "email_bounce_reason": None,
        "email_bounced_at": None,
        "external_id": "cust-1",
        "id": "0b8e7c6d-5a4f-4e3d-9c2b-1a0f9e8d7c6b",
        "locale": "zh-CN",
        "name": "Li Wei",
        "phone": "+8613800138000",
        "time_zone": "Asia/Shanghai",
        "updated_at": "2026-12-02T06:34:10+00:00",
    },
    "customer_replied": False,
    "description": "The screen flickers after ten minutes.",
    "eligibility": {
        "eligible": True,
        "explanation": "Every item is in warranty: the repair is free of charge.",
    },
    "escalated": False,
    "first_responded_at": None,
    "first_response_due_at": "2026-12-03T06:34:10+00:00",
    "first_response_overdue": False,
    "id": "6f1c2b9e-3d4a-4e5f-8a7b-1c2d3e4f5a6b",
    "items": [
        {
            "id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            "name": "Tablet 10",
            "purchase_date": "2026-09-01",
            "quantity": 1,
            "receipt": None,
            "return_window": {
                "days": 7,
                "eligible": False,
                "explanation": "Outside the 7-day return window, which ended on 2026-09-08.",
                "until": "2026-09-08",
            },
            "serial_number": "SN123",
            "sku": "TAB-10",
            "warranty": {
                "covered": True,
                "explanation": "In warranty until 2027-09-01 (12 months from "
                "purchase on 2026-09-01): repairs are free of "
                "charge.",
                "months": 12,
                "until": "2027-09-01",
            },
        }
    ],
    "kind": "repair",
    "number": "RMA-000123",
    "order_reference": "ORD-1001",
    "priority": "normal",
    "resolution": {
        "cause": None,
        "fix": None,
        "problem_found": None,
        "refund_amount_minor": None,
        "refund_currency": None,
    },
    "shipments": [],
    "sla": {
        "first_response": {
            "breached": False,
            "due_at": "2026-12-03T06:34:10+00:00",
            "met_at": None,
            "paused": False,
        },
        "follow_up": {"breached": False, "due_at": None, "met_at": None, "paused": False},
        "resolution": {
            "breached": False,
            "due_at": "2026-12-12T06:34:10+00:00",
            "met_at": None,
            "paused": False,
        },
    },
    "status": "open",
    "updated_at": "2026-12-02T06:34:10+00:00",
    "version": 1,
}

UPDATE_CASE: dict[str, Any] = {"order_reference": "ORD-1002", "priority": "high"}

#: A list row: the summary of the case above (`include=allowed_actions` adds its actions).
CASE_SUMMARY: dict[str, Any] = {
    key: CASE[key]
    for key in (
        "id",
        "number",
        "storefront_id",
        "kind",
        "channel",
        "status",
        "priority",
        "order_reference",
        "customer",
        "assignee_id",
        "escalated",
        "customer_replied",
        "version",
        "created_at",
        "updated_at",
    )
    if key in CASE
} | {
    "next_due": {"clock": "first_response", "due_at": "2026-12-03T06:34:10+00:00", "overdue": False}
}

CASE_PAGE: dict[str, Any] = {"items": [CASE_SUMMARY], "next_cursor": None}
