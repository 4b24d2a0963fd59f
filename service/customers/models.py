"""Customers: per storefront, created or updated from the customer sent with a case."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, IdMixin, TimestampMixin

LOCALES = ("en", "zh-CN")


class Customer(IdMixin, TimestampMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("storefront_id", "external_id"),
        Index("ix_customers_storefront_email", "storefront_id", "email"),
        Index("ix_customers_storefront_created", "storefront_id", "created_at", "id"),
        # `GET /cases?customer_email=` and `?customer_phone=`, for staff across storefronts
        # too (a storefront's lookups narrow by storefront_id afterwards: a few rows).
        Index("ix_customers_email", "email"),
        Index("ix_customers_phone", "phone"),
    )

    storefront_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE")
    )
    #: The storefront's own id for this customer.
    external_id: Mapped[str | None] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    #: E.164.
    phone: Mapped[str | None] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(10), default="en", server_default="en")
    #: IANA zone, for quiet hours and local times in notices.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    consent_email: Mapped[bool] = mapped_column(default=True, server_default=true())
    consent_sms: Mapped[bool] = mapped_column(default=True, server_default=true())
    #: When the customer replied STOP; their SMS consent stays off until START.
    sms_stopped_at: Mapped[datetime | None]
    #: When mail to `email` bounced (a DSN); no e-mail is sent until the address changes.
    email_bounced_at: Mapped[datetime | None]
    email_bounce_reason: Mapped[str | None] = mapped_column(String(300))
