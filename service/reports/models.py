"""The record of each scheduled report sent: one row per storefront and period, so
several workers (or a repeated tick) send it once."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, IdMixin, utcnow


class ReportDelivery(IdMixin, Base):
    __tablename__ = "report_deliveries"
    __table_args__ = (UniqueConstraint("storefront_id", "kind", "starts_on"),)

    storefront_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE")
    )
    #: daily, weekly or monthly.
    kind: Mapped[str] = mapped_column(String(16))
    #: The first local day of the period reported.
    starts_on: Mapped[date] = mapped_column(Date)
    #: How many supervisors it was sent to.
    recipients: Mapped[int] = mapped_column(default=0, server_default="0")
    #: When a worker claimed it (moved on when a stale claim is taken over).
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: None until every recipient's e-mail was handed to the backend.
    sent_at: Mapped[datetime | None]
