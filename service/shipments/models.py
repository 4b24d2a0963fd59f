"""Shipments of a case's goods, with the carrier and tracking number validated."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, IdMixin, str_enum, utcnow


class Direction(enum.StrEnum):
    #: From the customer to the service desk.
    inbound = "inbound"
    #: From the service desk back to the customer.
    outbound = "outbound"


class Shipment(IdMixin, Base):
    __tablename__ = "shipments"

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[Direction] = mapped_column(str_enum(Direction, "shipment_direction"))
    #: Our registry's code; None for a carrier we do not know (named explicitly).
    carrier_code: Mapped[str | None] = mapped_column(String(32))
    carrier_name: Mapped[str] = mapped_column(String(100))
    tracking_number: Mapped[str] = mapped_column(String(64), index=True)
    tracking_url: Mapped[str | None] = mapped_column(String(500))
    created_by_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
