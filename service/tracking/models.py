"""Carrier tracking: each storefront's account with a tracking aggregator, and the
checkpoints the aggregator pushed for a shipment."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, IdMixin, TimestampMixin, utcnow


def new_callback_token() -> str:
    return secrets.token_urlsafe(24)


class TrackingAccount(IdMixin, TimestampMixin, Base):
    """A storefront's credentials with one aggregator. Per storefront, because each
    tenant has its own contract (and bill) with the aggregator; the callback URL carries
    `callback_token`, which names the account (the signature then proves the sender)."""

    __tablename__ = "tracking_accounts"

    storefront_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE"), unique=True
    )
    provider: Mapped[str] = mapped_column(String(20))
    #: Kuaidi100's authorisation `key`, or AfterShip's `as-api-key`.
    api_key: Mapped[str] = mapped_column(String(200))
    #: Kuaidi100's `salt` (we choose it and send it with each subscription), or the
    #: AfterShip webhook secret (AfterShip's dashboard shows it).
    secret: Mapped[str] = mapped_column(String(200))
    callback_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_callback_token)
    enabled: Mapped[bool] = mapped_column(default=True, server_default=true())


class ShipmentEvent(IdMixin, Base):
    """One checkpoint of a shipment, as the provider reported it. `dedupe_key` is the
    provider's event id or a hash of the checkpoint's content: a replayed push adds
    nothing."""

    __tablename__ = "shipment_events"
    __table_args__ = (UniqueConstraint("shipment_id", "dedupe_key"),)

    shipment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shipments.id", ondelete="CASCADE"), index=True
    )
    dedupe_key: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(20))
    #: Normalised (service.tracking.adapters.Status), and as the provider said it.
    status: Mapped[str] = mapped_column(String(32))
    provider_status: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(200))
    #: The carrier's time of the checkpoint (None when it gave none we could read).
    occurred_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
