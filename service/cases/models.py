"""Cases and the items they cover."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.core.db import Base, IdMixin, TimestampMixin, str_enum, utcnow
from service.customers.models import Customer
from service.links import new_link_key
from service.staff.models import StaffUser

if TYPE_CHECKING:
    from service.quotes.models import Quote
    from service.shipments.models import Shipment


class CaseKind(enum.StrEnum):
    #: Fix the item and send it back.
    repair = "repair"
    #: Take the item back and refund.
    return_ = "return"
    #: Send a replacement.
    exchange = "exchange"
    #: A grievance to resolve; may concern no item.
    complaint = "complaint"
    #: A question; may concern no item.
    inquiry = "inquiry"

    @property
    def needs_items(self) -> bool:
        return self in (CaseKind.repair, CaseKind.return_, CaseKind.exchange)


class CaseChannel(enum.StrEnum):
    web = "web"
    phone = "phone"
    chat = "chat"
    email = "email"
    api = "api"


class CasePriority(enum.StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class CaseStatus(enum.StrEnum):
    #: Accepted, not yet acted on.
    open = "open"
    #: Waiting for the customer to send the item.
    awaiting_item = "awaiting_item"
    #: The item is at the service desk.
    received = "received"
    #: A technician is finding the fault.
    diagnosing = "diagnosing"
    #: A quote waits for the customer's decision.
    quote_pending = "quote_pending"
    #: Being repaired.
    repairing = "repairing"
    #: Repaired, replaced or declined; waiting to ship back.
    ready_to_ship = "ready_to_ship"
    #: On its way back to the customer.
    shipped = "shipped"
    #: Back with the customer.
    delivered = "delivered"
    #: Money returned.
    refunded = "refunded"
    #: A complaint or inquiry answered.
    resolved = "resolved"
    #: Done, followed up.
    closed = "closed"
    #: Stopped before completion.
    cancelled = "cancelled"


class Case(IdMixin, TimestampMixin, Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("storefront_id", "number"),
        # The list endpoint's keyset order, per tenant.
        Index("ix_cases_storefront_created", "storefront_id", "created_at", "id"),
        Index("ix_cases_storefront_order", "storefront_id", "order_reference"),
        # Staff look cases up by number across storefronts.
        Index("ix_cases_number", "number"),
        # The queue's keyset orders across storefronts: due soonest, newest.
        Index("ix_cases_next_due", "next_due_at", "id"),
        Index("ix_cases_created", "created_at", "id"),
        # Every list filter the queue and integrations use is the leading part of an
        # index that ends in the list's order (..., created_at, id), so a page is one
        # index range whatever the table's size (bench/lists.py). Per tenant and, for
        # staff, across storefronts.
        Index("ix_cases_storefront_status_created", "storefront_id", "status", "created_at", "id"),
        Index("ix_cases_status_created", "status", "created_at", "id"),
        Index("ix_cases_assignee_created", "assignee_id", "created_at", "id"),
        Index("ix_cases_storefront_next_due", "storefront_id", "next_due_at", "id"),
        # Incremental sync: `updated_after` and `sort=updated_at`.
        Index("ix_cases_storefront_updated", "storefront_id", "updated_at", "id"),
        Index("ix_cases_updated", "updated_at", "id"),
        # The cases with a clock still running (the desk's backlog, a small share of a
        # long history), newest first: `overdue` and `due_before` read only these.
        Index(
            "ix_cases_storefront_running_created",
            "storefront_id",
            "created_at",
            "id",
            postgresql_where=text("next_due_at IS NOT NULL"),
            sqlite_where=text("next_due_at IS NOT NULL"),
        ),
        Index(
            "ix_cases_running_created",
            "created_at",
            "id",
            postgresql_where=text("next_due_at IS NOT NULL"),
            sqlite_where=text("next_due_at IS NOT NULL"),
        ),
        # Reports: the cases completed in a period, for all storefronts or one (opened:
        # ix_cases_created), and the follow-up clock.
        Index("ix_cases_completed_at", "completed_at"),
        Index("ix_cases_storefront_completed", "storefront_id", "completed_at"),
        Index("ix_cases_followup_due", "followup_due_at"),
    )

    storefront_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE")
    )
    #: Human case number (e.g. RMA-000042); unique, since case prefixes are.
    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[CaseKind] = mapped_column(str_enum(CaseKind, "case_kind"))
    channel: Mapped[CaseChannel] = mapped_column(str_enum(CaseChannel, "case_channel"))
    status: Mapped[CaseStatus] = mapped_column(
        str_enum(CaseStatus, "case_status"), default=CaseStatus.open
    )
    priority: Mapped[CasePriority] = mapped_column(
        str_enum(CasePriority, "case_priority"), default=CasePriority.normal
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    order_reference: Mapped[str | None] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text)
    #: Carried by every customer link; rotating it revokes all links of the case.
    link_key: Mapped[str] = mapped_column(String(32), default=new_link_key)
    #: Bumped on every change; the ETag, and the guard against lost updates.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # SLA clocks (service/sla/clocks.py keeps them).
    first_response_due_at: Mapped[datetime]
    first_responded_at: Mapped[datetime | None]
    #: Moves later by every pause (the time spent waiting on the customer).
    resolution_due_at: Mapped[datetime | None]
    #: Set while the case waits on the customer (awaiting_item, quote_pending).
    resolution_paused_at: Mapped[datetime | None]
    #: Reached delivered, refunded or resolved (or was cancelled): the resolution clock stops.
    completed_at: Mapped[datetime | None]
    #: The follow-up must reach the customer within 3 days of completion.
    followup_due_at: Mapped[datetime | None]
    followed_up_at: Mapped[datetime | None]
    #: The earliest deadline of a clock still running (None: none runs), kept by
    #: service.sla.clocks at every flush; the queue sorts on it.
    next_due_at: Mapped[datetime | None]
    #: The technician or agent the case is dispatched to (派单).
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    #: Raised to a supervisor: the desk could not answer it alone.
    escalated: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: The customer wrote and staff have not answered yet (service/conversations/).
    customer_replied: Mapped[bool] = mapped_column(default=False, server_default=false())

    # The resolution archive: what was wrong and what was done, for the customer's history.
    problem_found: Mapped[str | None] = mapped_column(Text)
    cause: Mapped[str | None] = mapped_column(Text)
    fix: Mapped[str | None] = mapped_column(Text)
    refund_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    refund_currency: Mapped[str | None] = mapped_column(String(3))

    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)
    assignee: Mapped[StaffUser | None] = relationship(lazy="joined")
    items: Mapped[list[CaseItem]] = relationship(
        back_populates="case",
        order_by="CaseItem.position",
        lazy="selectin",
        cascade="all, delete-orphan",
    )
    quotes: Mapped[list[Quote]] = relationship(
        order_by="Quote.revision", lazy="selectin", cascade="all, delete-orphan"
    )
    shipments: Mapped[list[Shipment]] = relationship(
        order_by="Shipment.created_at", lazy="selectin", cascade="all, delete-orphan"
    )
    events: Mapped[list[CaseEvent]] = relationship(
        order_by="CaseEvent.sequence", lazy="select", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class CaseItem(IdMixin, Base):
    """One item of the order the case covers, with the eligibility decided at intake."""

    __tablename__ = "case_items"
    __table_args__ = (
        # `GET /cases?serial_number=` and `?sku=`.
        Index("ix_case_items_serial_number", "serial_number"),
        Index("ix_case_items_sku", "sku"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    #: Order of the items as sent.
    position: Mapped[int]
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    serial_number: Mapped[str | None] = mapped_column(String(64))
    purchase_date: Mapped[date]
    quantity: Mapped[int] = mapped_column(default=1)
    #: The warranty length applied (the storefront's, or the item's override).
    warranty_months: Mapped[int]
    warranty_until: Mapped[date]
    in_warranty: Mapped[bool]
    return_window_days: Mapped[int]
    return_until: Mapped[date]
    returnable: Mapped[bool]

    case: Mapped[Case] = relationship(back_populates="items")

    #: Every arrival of the item, oldest first (a reopened case receives it again).
    #: Joined to the items' own query: most items have one receipt or none, and a
    #: case read then costs one query fewer than with a selectin load of its own.
    receipts: Mapped[list[ItemReceipt]] = relationship(
        back_populates="item",
        order_by="ItemReceipt.received_at",
        lazy="joined",
        cascade="all, delete-orphan",
    )

    @property
    def receipt(self) -> ItemReceipt | None:
        """The latest arrival."""
        return self.receipts[-1] if self.receipts else None


class ItemCondition(enum.StrEnum):
    #: Matches the customer's description.
    as_described = "as_described"
    #: Arrived damaged (in transit or otherwise).
    damaged = "damaged"
    #: Parts or accessories missing.
    missing_parts = "missing_parts"
    #: Not what the customer described (other item, other fault).
    not_as_described = "not_as_described"


class ItemReceipt(IdMixin, Base):
    """The goods-in register (来货登记): one row per item and arrival."""

    __tablename__ = "item_receipts"

    case_item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case_items.id", ondelete="CASCADE"), index=True
    )
    condition: Mapped[ItemCondition] = mapped_column(str_enum(ItemCondition, "item_condition"))
    accessories: Mapped[list[str]] = mapped_column(JSON, default=list)
    serial_number_seen: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    received_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    received_by_name: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime]

    item: Mapped[CaseItem] = relationship(back_populates="receipts")


class CaseEvent(IdMixin, Base):
    """One line of a case's timeline: who did what, when, and the status before and after.

    Replaying the status-changing events from the first explains the current status.
    """

    __tablename__ = "case_events"
    __table_args__ = (
        UniqueConstraint("case_id", "sequence"),
        # Reports count the reopens of a period.
        Index("ix_case_events_action_created", "action", "created_at"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    #: 1, 2, 3... per case, in the order the changes were committed.
    sequence: Mapped[int]
    #: The action (`receive`, `ship`...) or a non-status event (`assign`, `contact`...).
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[CaseStatus | None] = mapped_column(str_enum(CaseStatus, "case_status"))
    to_status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus, "case_status"))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None]
    actor_name: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    #: Staff-only notes are never shown to the customer.
    internal: Mapped[bool] = mapped_column(default=False, server_default=false())
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
