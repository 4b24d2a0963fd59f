"""Outgoing webhooks: a storefront's endpoints, the events (the feed), one delivery per
event and endpoint, and every attempt of a delivery (the delivery log)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.core.db import Base, IdMixin, TimestampMixin, str_enum, utcnow


class WebhookEndpoint(IdMixin, TimestampMixin, Base):
    __tablename__ = "webhook_endpoints"

    storefront_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(500))
    #: The event types it receives; empty: every type.
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    #: Why it was disabled by the service (410, failing for days); None if by a person.
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    #: `whsec_<base64>`; kept in clear because every delivery is signed with it.
    secret: Mapped[str] = mapped_column(String(100))
    #: The secret before the last rotation, signing beside the new one until it expires.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[datetime | None]
    #: The first failure since the last success (None: not failing).
    failing_since: Mapped[datetime | None]
    #: Bumped on every change; the ETag.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class WebhookEvent(IdMixin, Base):
    """One event, as the feed serves it and every endpoint receives it."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("case_id", "sequence"),
        # The feed's keyset order, per storefront.
        Index("ix_webhook_events_storefront_created", "storefront_id", "created_at", "id"),
    )

    storefront_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE")
    )
    #: None for test events.
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    #: 1, 2, 3... per case: receivers drop an event older than one they have applied.
    sequence: Mapped[int | None]
    #: The whole body sent: {type, timestamp, data}.
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def message_id(self) -> str:
        """The `webhook-id` header: the same on every retry and redelivery."""
        return f"msg_{self.id.hex}"


class DeliveryStatus(enum.StrEnum):
    #: Waiting for its turn (due at `next_attempt_at`, or behind an earlier event).
    pending = "pending"
    #: A worker holds it until `lease_until`.
    sending = "sending"
    succeeded = "succeeded"
    #: Given up (retries exhausted, endpoint gone or disabled).
    failed = "failed"


#: A delivery in one of these holds back the later events of its case (same endpoint).
OPEN_STATUSES = (DeliveryStatus.pending, DeliveryStatus.sending)


class WebhookDelivery(IdMixin, TimestampMixin, Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The sweeper: what is due.
        Index("ix_webhook_deliveries_status_due", "status", "next_attempt_at"),
        # Ordering: the earlier open deliveries of a case to an endpoint.
        Index("ix_webhook_deliveries_endpoint_case", "endpoint_id", "case_id", "sequence"),
        # The log's keyset order per endpoint, and recovery since T.
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at", "id"),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True
    )
    #: Copied from the event, for the ordering query (None: a test event, unordered).
    case_id: Mapped[uuid.UUID | None]
    sequence: Mapped[int | None]
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "webhook_delivery_status"), default=DeliveryStatus.pending
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When it was last handed to RQ (the sweeper leaves it alone for a lease).
    queued_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    finished_at: Mapped[datetime | None]

    event: Mapped[WebhookEvent] = relationship(lazy="joined")
    endpoint: Mapped[WebhookEndpoint] = relationship(lazy="joined")


class WebhookAttempt(IdMixin, Base):
    __tablename__ = "webhook_attempts"

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: None: no HTTP answer (refused, timed out, address refused).
    status_code: Mapped[int | None]
    latency_ms: Mapped[int]
    error: Mapped[str | None] = mapped_column(String(500))
    #: The first 2 KB of the response body.
    response_body: Mapped[str | None] = mapped_column(Text)
