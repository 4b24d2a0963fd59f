"""Warranty and return-window eligibility, decided when a case opens and explained."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from service.cases.models import Case, CaseItem, CaseKind


def add_months(start: date, months: int) -> date:
    """`start` plus whole months, clamped to the month's last day (Jan 31 + 1 = Feb 28)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ItemEligibility:
    warranty_months: int
    warranty_until: date
    in_warranty: bool
    return_window_days: int
    return_until: date
    returnable: bool


def decide(
    purchase_date: date, opened_on: date, warranty_months: int, return_window_days: int
) -> ItemEligibility:
    warranty_until = add_months(purchase_date, warranty_months)
    return_until = purchase_date + timedelta(days=return_window_days)
    return ItemEligibility(
        warranty_months=warranty_months,
        warranty_until=warranty_until,
        in_warranty=opened_on <= warranty_until,
        return_window_days=return_window_days,
        return_until=return_until,
        returnable=opened_on <= return_until,
    )


def warranty_explanation(item: CaseItem) -> str:
    if item.in_warranty:
        return (
            f"In warranty until {item.warranty_until.isoformat()} ({item.warranty_months} months "
            f"from purchase on {item.purchase_date.isoformat()}): repairs are free of charge."
        )
    return (
        f"Warranty ended on {item.warranty_until.isoformat()} ({item.warranty_months} months "
        f"from purchase on {item.purchase_date.isoformat()}): repairs are quoted."
    )


def return_explanation(item: CaseItem) -> str:
    if item.returnable:
        return (
            f"Within the {item.return_window_days}-day return window, which ends on "
            f"{item.return_until.isoformat()}."
        )
    return (
        f"Outside the {item.return_window_days}-day return window, which ended on "
        f"{item.return_until.isoformat()}."
    )


def case_eligibility(case: Case) -> dict[str, object]:
    """Whether the case's request can be honoured as asked, and why."""
    items = case.items
    if case.kind == CaseKind.return_:
        eligible = all(item.returnable for item in items)
        why = (
            "Every item is within its return window."
            if eligible
            else "Some items are outside their return window; staff will review the request."
        )
    elif case.kind == CaseKind.exchange:
        eligible = all(item.returnable or item.in_warranty for item in items)
        why = (
            "Every item is within its return window or warranty."
            if eligible
            else "Some items are outside both return window and warranty; staff will review."
        )
    elif case.kind == CaseKind.repair:
        eligible = True
        why = (
            "Every item is in warranty: the repair is free of charge."
            if all(item.in_warranty for item in items)
            else "Some items are out of warranty: their repair will be quoted for approval."
        )
    else:
        eligible, why = True, "No item eligibility applies to this kind of case."
    return {"eligible": eligible, "explanation": why}
