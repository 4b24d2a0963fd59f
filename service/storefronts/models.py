"""Storefronts (the tenants) and their API keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.core.db import Base, IdMixin, TimestampMixin


class Storefront(IdMixin, TimestampMixin, Base):
    __tablename__ = "storefronts"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    #: Case numbers read `<case_prefix>-000123`. Unique across storefronts, so a case
    #: number names one case whoever looks it up (`keys.available_prefix` derives one).
    case_prefix: Mapped[str] = mapped_column(String(12), unique=True, server_default="RMA")
    #: On SQLite, the last case number issued (bumped in the creating transaction). On
    #: PostgreSQL the storefront's own sequence issues them (`case_number_sequence`).
    case_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Warranty from the purchase date, unless an item overrides it.
    warranty_months: Mapped[int] = mapped_column(default=12, server_default="12")
    #: No-reason return window from the purchase date.
    return_window_days: Mapped[int] = mapped_column(default=7, server_default="7")
    #: Every new case must get a first answer within this many hours.
    first_response_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    #: Resolution targets per case kind, in hours (missing kinds use the default).
    resolution_hours: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    #: Survey invitation delay after completion (capped so it lands within 3 days).
    survey_delay_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    #: No SMS from this hour to `quiet_end_hour`, in the customer's time zone.
    quiet_start_hour: Mapped[int] = mapped_column(default=21, server_default="21")
    quiet_end_hour: Mapped[int] = mapped_column(default=8, server_default="8")
    #: IANA zone whose midnights bound the report days (and whose 08:00 sends them).
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    #: Tax added to quotes, in basis points (1300 = 13 %).
    tax_rate_bp: Mapped[int] = mapped_column(default=0, server_default="0")
    #: The storefront's own API budgets per key, requests per minute (None: the
    #: RATE_LIMIT_KEY_*_PER_MINUTE settings); see service.core.ratelimit.
    rate_limit_read_per_minute: Mapped[int | None]
    rate_limit_write_per_minute: Mapped[int | None]

    api_keys: Mapped[list[ApiKey]] = relationship(back_populates="storefront")


class ApiKey(IdMixin, TimestampMixin, Base):
    """A storefront's key. Only its SHA-256 is stored; the key is shown once at creation."""

    __tablename__ = "api_keys"

    storefront_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE"), index=True
    )
    #: The public, non-secret start of the key, used to name it (e.g. when revoking).
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None]
    #: When the key last authenticated a request, to the minute (see keys.note_use).
    last_used_at: Mapped[datetime | None]

    storefront: Mapped[Storefront] = relationship(back_populates="api_keys")


def case_number_sequence(storefront_id: uuid.UUID) -> str:
    """The PostgreSQL sequence issuing a storefront's case numbers.

    `nextval` takes no lock that lasts: with the counter column, each create of a
    storefront held its row lock until commit, so a storefront's creations queued one
    behind the other for the whole of each. The price: a create that fails after taking
    its number leaves a gap (numbers stay unique and increasing). A trigger makes the
    sequence with the storefront's row, however the row is inserted, and drops it with
    the row (migrations/versions/..._case_number_sequences.py).
    """
    return f"case_seq_{storefront_id.hex}"
