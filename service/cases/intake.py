"""Opening a case: numbering, customer, items and their eligibility, first-response clock."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, func, select, update
from sqlalchemy import case as sa_case
from sqlalchemy.orm import Session

from service.cases.eligibility import decide
from service.cases.lifecycle import record_event
from service.cases.listing import search_clause
from service.cases.models import Case, CaseChannel, CaseItem, CasePriority, CaseStatus
from service.core.auth import Actor
from service.core.db import in_lookup, utcnow
from service.customers.models import Customer
from service.customers.service import upsert_customer
from service.shipments.models import Shipment
from service.sla.clocks import any_running_late
from service.storefronts.models import Storefront, case_number_sequence


def next_case_number(session: Session, storefront: Storefront) -> str:
    """Allocate the storefront's next case number: from its sequence on PostgreSQL (no
    lock held until commit, see `case_number_sequence`); on SQLite, where writers queue
    anyway, by bumping its counter column in this transaction."""
    if session.get_bind().dialect.name == "postgresql":
        seq = session.scalar(select(func.nextval(case_number_sequence(storefront.id))))
    else:
        seq = session.execute(
            update(Storefront)
            .where(Storefront.id == storefront.id)
            .values(case_seq=Storefront.case_seq + 1)
            .returning(Storefront.case_seq)
            .execution_options(synchronize_session=False)
        ).scalar_one()
    return f"{storefront.case_prefix}-{seq:06d}"


def open_case(
    session: Session,
    storefront: Storefront,
    data: dict[str, Any],
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    """Open a case: number, customer, items with eligibility, and the `open` event."""
    now = now or utcnow()
    # Numbering first: its row lock serialises intake per storefront, which also makes
    # the customer's match-or-create below safe from concurrent duplicates.
    number = next_case_number(session, storefront)
    customer = upsert_customer(session, storefront.id, data["customer"])
    case = Case(
        id=uuid.uuid4(),
        storefront_id=storefront.id,
        number=number,
        kind=data["kind"],
        channel=data.get("channel", CaseChannel.api),
        priority=data.get("priority", CasePriority.normal),
        customer=customer,
        order_reference=data.get("order_reference"),
        description=data["description"],
        first_response_due_at=now + timedelta(hours=storefront.first_response_hours),
        # A new case has none of these: saying so spares the response three SELECTs.
        quotes=[],
        shipments=[],
        created_at=now,
        updated_at=now,
    )
    for position, item in enumerate(data.get("items", [])):
        case.items.append(item_for(storefront, item, position, now.date()))
    session.add(case)
    record_event(session, case, "open", actor, CaseStatus.open, None, {}, now, notify=True)
    return case


def item_for(
    storefront: Storefront, data: dict[str, Any], position: int, opened_on: date
) -> CaseItem:
    """An item as sent, with its eligibility decided on the day the case was opened."""
    eligibility = decide(
        purchase_date=data["purchase_date"],
        opened_on=opened_on,
        warranty_months=data.get("warranty_months", storefront.warranty_months),
        return_window_days=storefront.return_window_days,
    )
    return CaseItem(
        receipts=[],
        position=position,
        sku=data["sku"],
        name=data["name"],
        serial_number=data.get("serial_number"),
        purchase_date=data["purchase_date"],
        quantity=data.get("quantity", 1),
        warranty_months=eligibility.warranty_months,
        warranty_until=eligibility.warranty_until,
        in_warranty=eligibility.in_warranty,
        return_window_days=eligibility.return_window_days,
        return_until=eligibility.return_until,
        returnable=eligibility.returnable,
    )


def parse_case_ref(ref: str) -> uuid.UUID | str:
    try:
        return uuid.UUID(ref)
    except ValueError:
        return ref.strip().upper()


def get_case(
    session: Session, scope: uuid.UUID | None, ref: str, for_update: bool = False
) -> Case | None:
    """A case by id or case number within `scope` (a storefront id, or None for all).

    Cases outside the scope are not found: another storefront's case is a 404.
    With `for_update` the row stays locked until commit, so racing actions queue.
    """
    key = parse_case_ref(ref)
    column = Case.id if isinstance(key, uuid.UUID) else Case.number
    stmt = select(Case).where(column == key)
    if scope is not None:
        stmt = stmt.where(Case.storefront_id == scope)
    if for_update:
        stmt = stmt.with_for_update(of=Case)
    if scope is None and not isinstance(key, uuid.UUID):
        # Prefixes are unique, so a number names one case. Only cases numbered before
        # the prefixes were made unique can share one: the storefront that still has
        # the prefix owns the number (the others' old cases stay reachable by id, and
        # by number within their storefront).
        owner = Case.number.startswith(Storefront.case_prefix + "-", autoescape=False)
        stmt = stmt.join(Storefront, Storefront.id == Case.storefront_id).order_by(
            sa_case((owner, 0), else_=1), Case.created_at
        )
    return session.scalars(stmt).first()


def cases_query(
    scope: uuid.UUID | None,
    filters: dict[str, Any],
    now: datetime | None = None,
    phone_region: str = "US",
) -> Select[Any]:
    """Cases within `scope` (a storefront id, or None for all) matching `filters` (the
    API's query arguments; the workspace's queue passes the same). Page it with
    service.cases.listing.case_page."""
    stmt = select(Case)
    if scope is not None:
        stmt = stmt.where(Case.storefront_id == scope)
    if filters.get("status"):
        stmt = stmt.where(Case.status.in_(filters["status"]))
    if filters.get("kind"):
        stmt = stmt.where(Case.kind.in_(filters["kind"]))
    if filters.get("channel"):
        stmt = stmt.where(Case.channel.in_(filters["channel"]))
    if "storefront_id" in filters:
        stmt = stmt.where(Case.storefront_id == filters["storefront_id"])
    if "assignee_id" in filters:
        stmt = stmt.where(Case.assignee_id == filters["assignee_id"])
    if filters.get("unassigned"):
        stmt = stmt.where(Case.assignee_id.is_(None))
    if "escalated" in filters:
        stmt = stmt.where(Case.escalated == filters["escalated"])
    if filters.get("q"):
        stmt = stmt.where(search_clause(filters["q"], phone_region))
    if "customer_id" in filters:
        stmt = stmt.where(Case.customer_id == filters["customer_id"])
    if "order_reference" in filters:
        stmt = stmt.where(Case.order_reference == filters["order_reference"])
    if "created_after" in filters:
        stmt = stmt.where(Case.created_at >= filters["created_after"])
    if "created_before" in filters:
        stmt = stmt.where(Case.created_at < filters["created_before"])
    if "overdue" in filters:
        at = now or utcnow()
        stmt = stmt.where(_late(at) if filters["overdue"] else ~any_running_late(at))
    if "customer_replied" in filters:
        stmt = stmt.where(Case.customer_replied.is_(filters["customer_replied"]))
    if "tracking_flagged" in filters:
        flagged = exists().where(Shipment.case_id == Case.id, Shipment.tracking_flag.is_not(None))
        stmt = stmt.where(flagged if filters["tracking_flagged"] else ~flagged)
    if "due_before" in filters:
        # A clock still running whose deadline falls before the given time.
        stmt = stmt.where(_late(filters["due_before"]))
    if "updated_after" in filters:
        stmt = stmt.where(Case.updated_at > filters["updated_after"])
    if "serial_number" in filters:
        stmt = stmt.where(_with_item(CaseItem.serial_number == filters["serial_number"]))
    if "sku" in filters:
        stmt = stmt.where(_with_item(CaseItem.sku == filters["sku"]))
    if "customer_email" in filters:
        stmt = stmt.where(_of_customer(scope, Customer.email == filters["customer_email"]))
    if "customer_phone" in filters:
        stmt = stmt.where(_of_customer(scope, Customer.phone == filters["customer_phone"]))
    return stmt


def _late(now: datetime) -> Any:
    """A running clock past due. `next_due_at < now` says the same (it is the earliest
    running deadline) and is what an index can seek; the exact test stays beside it."""
    return and_(Case.next_due_at < now, any_running_late(now))


def _with_item(condition: Any) -> Any:
    return in_lookup(Case.id, select(CaseItem.case_id).where(condition))


def _of_customer(scope: uuid.UUID | None, condition: Any) -> Any:
    customers = select(Customer.id).where(condition)
    if scope is not None:
        customers = customers.where(Customer.storefront_id == scope)
    return in_lookup(Case.customer_id, customers)
