"""Repair quotes: lines in integer minor units, totals computed by the server."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.core.db import Base, IdMixin, str_enum, utcnow


class QuoteStatus(enum.StrEnum):
    #: Waiting for the customer's decision (unless past valid_until).
    pending = "pending"
    approved = "approved"
    declined = "declined"
    #: Replaced by a newer quote; can no longer be decided.
    superseded = "superseded"


class LineKind(enum.StrEnum):
    part = "part"
    labour = "labour"
    shipping = "shipping"
    other = "other"


class DecisionChannel(enum.StrEnum):
    #: The customer on their signed link.
    customer_link = "customer_link"
    #: The storefront through the API.
    storefront = "storefront"
    #: Staff, on the customer's word over the phone.
    staff_phone = "staff_phone"


class Quote(IdMixin, Base):
    __tablename__ = "quotes"

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    #: 1 for the first quote of a case, 2 for the one that superseded it, ...
    revision: Mapped[int]
    status: Mapped[QuoteStatus] = mapped_column(str_enum(QuoteStatus, "quote_status"))
    currency: Mapped[str] = mapped_column(String(3))
    # Money is 64-bit: 22 lines at the largest unit price already pass 2**31.
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)
    tax_rate_bp: Mapped[int]
    tax_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    valid_until: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)
    created_by_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_name: Mapped[str | None] = mapped_column(String(200))
    decided_via: Mapped[DecisionChannel | None] = mapped_column(
        str_enum(DecisionChannel, "decision_channel")
    )
    decision_note: Mapped[str | None] = mapped_column(Text)

    lines: Mapped[list[QuoteLine]] = relationship(
        order_by="QuoteLine.position", lazy="selectin", cascade="all, delete-orphan"
    )

    def expired(self, now: datetime) -> bool:
        return self.status == QuoteStatus.pending and now >= self.valid_until


class QuoteLine(IdMixin, Base):
    __tablename__ = "quote_lines"

    quote_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("quotes.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    #: The case item the line concerns (None: the case as a whole).
    case_item_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("case_items.id", ondelete="SET NULL")
    )
    kind: Mapped[LineKind] = mapped_column(str_enum(LineKind, "quote_line_kind"))
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int]
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    #: quantity x unit price, before warranty.
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    #: What the customer pays for the line: 0 when the warranty covers it.
    charged_minor: Mapped[int] = mapped_column(BigInteger)
    #: Why the line is free, shown to the customer.
    waived_reason: Mapped[str | None] = mapped_column(String(300))
