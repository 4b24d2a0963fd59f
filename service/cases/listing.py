"""Listing cases: free-text search and the two orders of a list, each with keyset
pages. `cases_query` (service.cases.intake) builds the filtered statement; the API's
`GET /cases` and the workspace's queue both page it here.

- `newest`: `created_at` descending, then id (service.core.pagination.keyset_page).
- `due`: the earliest deadline of a clock still running first (`Case.next_due_at`,
  kept at every flush by service.sla.clocks), cases with no clock running last, then id.
- `updated_at`: the least recently changed first, then id (incremental sync: a case
  changed while a client pages moves behind its cursor, so it is read again, not missed).

Every order is a keyset on (column, id) bound by one row comparison, which the
indexes of service.cases.models seek (see service.core.pagination.keyset_page).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
import uuid
from datetime import datetime
from typing import Any

from flask_smorest import abort
from sqlalchemy import Select, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from service.cases.models import Case, CaseItem
from service.core.contacts import normalise_email, normalise_phone
from service.core.fields import in_range_utc
from service.core.pagination import keyset_page
from service.customers.models import Customer

SORTS = ("newest", "due", "updated_at")
_DIGITS = re.compile(r"\d+")


def _phone_forms(text: str, region: str) -> set[str]:
    """E.164 readings of `text`: as written (national numbers in `region`), and as an
    international number typed without its `+`."""
    digits = "".join(_DIGITS.findall(text))
    if len(digits) < 6 or re.search(r"[^\d\s()+.\-]", text):
        return set()
    found = set()
    for candidate in (text, f"+{digits}"):
        with contextlib.suppress(ValueError):
            found.add(normalise_phone(candidate, region))
    return found


def search_clause(text: str, default_region: str) -> Any:
    """Cases matching `text`: case number (or its digits alone), order reference,
    serial number, customer name (part of it), e-mail, or phone in any format."""
    text = text.strip()
    upper = text.upper()
    # Uncorrelated IN (subquery)s: each is evaluated once, not once per case.
    customers = [func.lower(Customer.name).contains(text.lower(), autoescape=True)]
    terms: list[Any] = [
        Case.number == upper,
        Case.order_reference == text,
        Case.id.in_(select(CaseItem.case_id).where(func.upper(CaseItem.serial_number) == upper)),
    ]
    if text.isascii() and text.isdigit() and len(text) <= 6:
        # "42" finds RMA-000042 in every storefront.
        terms.append(Case.number.endswith(f"-{int(text):06d}"))
    if "@" in text:
        with contextlib.suppress(ValueError):
            customers.append(Customer.email == normalise_email(text))
    if phones := _phone_forms(text, default_region):
        customers.append(Customer.phone.in_(phones))
    terms.append(Case.customer_id.in_(select(Customer.id).where(or_(*customers))))
    return or_(*terms)


def _encode(due: datetime | None, row_id: uuid.UUID) -> str:
    raw = json.dumps([due.isoformat() if due else None, str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime | None, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        due, row_id = json.loads(raw)
        return (in_range_utc(datetime.fromisoformat(due)) if due is not None else None), uuid.UUID(
            row_id
        )
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, RecursionError):
        abort(422, message="Invalid cursor.", errors={"query": {"cursor": ["Invalid cursor."]}})


def rows_of(session: Session, stmt: Select[Any]) -> list[Any]:
    """Instances for `select(Case)`, Core rows for a select of columns (summaries)."""
    descriptions = stmt.column_descriptions
    if len(descriptions) == 1 and descriptions[0]["expr"] is Case:
        return list(session.scalars(stmt))
    return list(session.execute(stmt))


def due_soonest_page(
    session: Session, stmt: Select[Any], limit: int, cursor: str | None
) -> dict[str, Any]:
    """One page of `stmt`, the earliest running deadline first; no deadline last.

    Read in two runs, each in the order of the index on (next_due_at, id): the cases
    with a deadline, then (if the page is not full) those without. One `ORDER BY ...
    NULLS LAST` would be one query, but SQLite cannot walk an index for it and would
    sort every matching case for each page.
    """
    due = Case.next_due_at
    after, row_id = _decode(cursor) if cursor else (None, None)
    rows: list[Any] = []
    if not cursor or after is not None:
        dated = stmt.where(due.is_not(None))
        if after is not None:
            bound = (literal(after, type_=due.type), literal(row_id, type_=Case.id.type))
            dated = dated.where(tuple_(due, Case.id) > tuple_(*bound))
        rows = rows_of(session, dated.order_by(due, Case.id).limit(limit + 1))
    if len(rows) <= limit:
        undated = stmt.where(due.is_(None))
        if after is None and row_id is not None:
            undated = undated.where(Case.id > row_id)
        rows += rows_of(session, undated.order_by(Case.id).limit(limit + 1 - len(rows)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = _encode(rows[-1].next_due_at, rows[-1].id) if has_more else None
    return {"items": rows, "next_cursor": next_cursor}


def case_page(
    session: Session, stmt: Select[Any], sort: str, limit: int, cursor: str | None
) -> dict[str, Any]:
    if sort == "due":
        return due_soonest_page(session, stmt, limit, cursor)
    if sort == "updated_at":
        return keyset_page(
            session, stmt, Case, limit, cursor, key=Case.updated_at, descending=False
        )
    return keyset_page(session, stmt, Case, limit, cursor)
