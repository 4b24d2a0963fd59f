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

    # --- carrier tracking (service/tracking/) -------------------------------------------
    #: The aggregator this shipment is registered with ("kuaidi100", "aftership").
    tracking_provider: Mapped[str | None] = mapped_column(String(20))
    #: The latest status the provider reported, normalised (service.tracking.adapters).
    tracking_status: Mapped[str | None] = mapped_column(String(32))
    #: When new tracking information last arrived (our clock): stalled detection.
    tracking_updated_at: Mapped[datetime | None]
    #: The carrier's time of the latest checkpoint: older pushes never win over it.
    last_checkpoint_at: Mapped[datetime | None]
    #: Why the desk should look (exception, returned, expired, aborted, stalled); None: fine.
    tracking_flag: Mapped[str | None] = mapped_column(String(20))
    tracking_flag_note: Mapped[str | None] = mapped_column(String(500))
    tracking_flagged_at: Mapped[datetime | None]
    #: Registering the number with the provider: pending (due at `subscription_due_at`),
    #: subscribed or failed; None when the storefront has no tracking account.
    subscription_status: Mapped[str | None] = mapped_column(String(16), index=True)
    subscription_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    subscription_due_at: Mapped[datetime | None]
    subscription_error: Mapped[str | None] = mapped_column(String(500))
