"""The compact case of a list: what a list shows of each case, read by one Core SELECT
(no ORM instances, no items, quotes, shipments or the assignee's row), with the
caller's allowed actions only when asked for.

The full representation (service.cases.schemas.CaseSchema) is the single case's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import marshmallow as ma
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased, lazyload, raiseload, selectinload

from service.cases.lifecycle import allowed_actions, needs_relations
from service.cases.models import Case, CaseChannel, CaseItem, CaseKind, CasePriority, CaseStatus
from service.core.api import Schema
from service.core.auth import Actor
from service.customers.models import Customer
from service.sla.clocks import running_deadlines

#: What `?include=` may add to each summary.
INCLUDES = ("allowed_actions",)

# Its own alias: the filters' customer subqueries (search, e-mail, phone) name the
# customers table too, and must not be correlated to this join.
_customer = aliased(Customer, name="list_customer")

SUMMARY_COLUMNS = (
    Case.id,
    Case.storefront_id,
    Case.number,
    Case.kind,
    Case.status,
    Case.priority,
    Case.channel,
    Case.order_reference,
    Case.customer_id,
    _customer.name.label("customer_name"),
    Case.assignee_id,
    Case.escalated,
    Case.customer_replied,
    Case.version,
    Case.created_at,
    Case.updated_at,
    Case.next_due_at,
    # The clocks, to name the one that is due next.
    Case.first_response_due_at,
    Case.first_responded_at,
    Case.resolution_due_at,
    Case.resolution_paused_at,
    Case.completed_at,
    Case.followup_due_at,
    Case.followed_up_at,
)


def summary_statement(stmt: Select[Any]) -> Select[Any]:
    """`stmt` (service.cases.intake.cases_query) reading only the summary's columns."""
    return stmt.with_only_columns(*SUMMARY_COLUMNS).join_from(
        Case, _customer, _customer.id == Case.customer_id
    )


def summarize(
    session: Session, rows: list[Any], actor: Actor, now: datetime, with_actions: bool
) -> list[dict[str, Any]]:
    """The rows of `summary_statement` as summaries."""
    actions: dict[Any, list[str]] = {}
    if with_actions:
        actions = _allowed_actions(session, rows, actor, now)
    summaries = []
    for row in rows:
        deadlines = running_deadlines(row)
        clock = min(deadlines, key=deadlines.__getitem__) if deadlines else None
        summary = {
            **row._mapping,
            "customer": {"id": row.customer_id, "name": row.customer_name},
            "next_due": None
            if clock is None
            else {"clock": clock, "due_at": deadlines[clock], "overdue": deadlines[clock] < now},
        }
        if with_actions:
            summary["allowed_actions"] = actions[row.id]
        summaries.append(summary)
    return summaries


def _allowed_actions(
    session: Session, rows: list[Any], actor: Actor, now: datetime
) -> dict[Any, list[str]]:
    """Each row's allowed actions. Status, kind and actor decide them for most rows (the
    row is enough); only rows where a guard reads items or quotes (a repair being
    diagnosed, a quote pending) load those, all in one query."""
    deep = [row.id for row in rows if needs_relations(row.status, row.kind, actor)]
    actions = {row.id: allowed_actions(row, actor, now) for row in rows if row.id not in deep}
    if deep:
        cases = session.scalars(
            select(Case)
            .where(Case.id.in_(deep))
            .options(
                raiseload(Case.customer),
                raiseload(Case.assignee),
                raiseload(Case.shipments),
                raiseload(Case.events),
                selectinload(Case.items).options(lazyload(CaseItem.receipts)),
                selectinload(Case.quotes),
            )
        )
        actions.update({case.id: allowed_actions(case, actor, now) for case in cases})
    return actions


class CustomerRefSchema(Schema):
    id = ma.fields.UUID()
    name = ma.fields.String()


class NextDueSchema(Schema):
    clock = ma.fields.String(metadata={"description": "first_response, resolution or follow_up"})
    due_at = ma.fields.AwareDateTime()
    overdue = ma.fields.Boolean()


class CaseSummarySchema(Schema):
    """A case as lists show it; `GET /cases/{case_ref}` has the whole case."""

    id = ma.fields.UUID()
    number = ma.fields.String()
    storefront_id = ma.fields.UUID()
    kind = ma.fields.Enum(CaseKind, by_value=True)
    channel = ma.fields.Enum(CaseChannel, by_value=True)
    status = ma.fields.Enum(CaseStatus, by_value=True)
    priority = ma.fields.Enum(CasePriority, by_value=True)
    order_reference = ma.fields.String(allow_none=True)
    customer = ma.fields.Nested(CustomerRefSchema)
    assignee_id = ma.fields.UUID(allow_none=True)
    escalated = ma.fields.Boolean()
    customer_replied = ma.fields.Boolean()
    next_due = ma.fields.Nested(
        NextDueSchema,
        allow_none=True,
        metadata={"description": "The SLA clock due soonest of those still running (or null)."},
    )
    allowed_actions = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "With `include=allowed_actions` only: what the caller may do."},
    )
    version = ma.fields.Integer()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
