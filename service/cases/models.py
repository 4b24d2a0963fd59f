"""Cases and the items they cover."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.customers.models import Customer
from service.db import Base, IdMixin, TimestampMixin


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as VARCHAR (no native enum), so adding a member never needs an ALTER TYPE.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=20,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


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
    )

    storefront_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE")
    )
    #: Human case number, unique per storefront (e.g. RMA-000042).
    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[CaseKind] = mapped_column(_enum(CaseKind, "case_kind"))
    channel: Mapped[CaseChannel] = mapped_column(_enum(CaseChannel, "case_channel"))
    status: Mapped[CaseStatus] = mapped_column(
        _enum(CaseStatus, "case_status"), default=CaseStatus.open, index=True
    )
    priority: Mapped[CasePriority] = mapped_column(
        _enum(CasePriority, "case_priority"), default=CasePriority.normal
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    order_reference: Mapped[str | None] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text)
    #: Bumped on every change; the ETag, and the guard against lost updates.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    first_response_due_at: Mapped[datetime]
    first_responded_at: Mapped[datetime | None]

    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)
    items: Mapped[list[CaseItem]] = relationship(
        back_populates="case",
        order_by="CaseItem.position",
        lazy="selectin",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}


class CaseItem(IdMixin, Base):
    """One item of the order the case covers, with the eligibility decided at intake."""

    __tablename__ = "case_items"

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
