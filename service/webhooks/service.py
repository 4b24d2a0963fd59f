"""Webhook endpoints and their delivery log: the functions the API, the workspace and
the CLI share. They take a session and flush; the caller commits. A bad value raises
marshmallow's ValidationError naming the field; nothing is written.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.core.config import Settings
from service.core.db import utcnow
from service.webhooks import handoff, ssrf
from service.webhooks.delivery import allow_http
from service.webhooks.events import EVENT_TYPES, emit_test
from service.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from service.webhooks.signing import new_secret

EDITABLE = ("url", "description", "event_types", "enabled")


def check_url(url: str, settings: Settings) -> None:
    try:
        ssrf.check_url(url, settings.webhook_allow_loopback, allow_http(settings))
    except ssrf.AddressRefused as exc:
        raise ValidationError({"url": [str(exc)]}) from exc


def _check(changes: dict[str, Any], settings: Settings) -> None:
    unknown = [t for t in changes.get("event_types") or [] if t not in EVENT_TYPES]
    if unknown:
        raise ValidationError({"event_types": [f"Unknown event types: {', '.join(unknown)}."]})
    if "url" in changes:
        check_url(changes["url"], settings)


def create_endpoint(
    session: Session, storefront_id: uuid.UUID, data: dict[str, Any], settings: Settings
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (returned here only)."""
    _check(data, settings)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        id=uuid.uuid4(),
        storefront_id=storefront_id,
        url=data["url"],
        description=data.get("description"),
        event_types=sorted(set(data.get("event_types") or [])),
        enabled=data.get("enabled", True),
        secret=secret,
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def change_endpoint(
    session: Session, endpoint: WebhookEndpoint, changes: dict[str, Any], settings: Settings
) -> WebhookEndpoint:
    _check(changes, settings)
    for name in EDITABLE:
        if name in changes:
            value = changes[name]
            setattr(endpoint, name, sorted(set(value or [])) if name == "event_types" else value)
    if changes.get("enabled"):
        # Back on: the failure run starts afresh; the held deliveries go out in order.
        endpoint.disabled_reason, endpoint.failing_since = None, None
        session.flush()
        held = session.scalars(
            select(WebhookDelivery.id).where(
                WebhookDelivery.endpoint_id == endpoint.id,
                WebhookDelivery.status == DeliveryStatus.pending,
            )
        ).all()
        handoff.after_commit(held)
    session.flush()
    return endpoint


def rotate_secret(
    session: Session,
    endpoint: WebhookEndpoint,
    settings: Settings,
    overlap_hours: int | None = None,
    now: datetime | None = None,
) -> str:
    """A new secret; the current one keeps signing beside it for the overlap."""
    now = now or utcnow()
    hours = settings.webhook_rotation_overlap_hours if overlap_hours is None else overlap_hours
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret if hours > 0 else None
    endpoint.previous_secret_expires_at = now + timedelta(hours=hours) if hours > 0 else None
    endpoint.secret = secret
    session.flush()
    return secret


def storefront_endpoints(session: Session, storefront_id: uuid.UUID) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.storefront_id == storefront_id)
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
    )


def delete_endpoint(session: Session, endpoint: WebhookEndpoint) -> None:
    session.delete(endpoint)
    session.flush()


def attempts_of(session: Session, delivery_ids: list[uuid.UUID]) -> dict[uuid.UUID, list]:
    rows = session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(delivery_ids))
        .order_by(WebhookAttempt.attempted_at)
    )
    found: dict[uuid.UUID, list] = {i: [] for i in delivery_ids}
    for row in rows:
        found[row.delivery_id].append(row)
    return found


def redeliver(session: Session, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the delivery's event again, as a new delivery (same `webhook-id`). It is not
    ordered behind its case's other events: the person asking for it decides."""
    again = WebhookDelivery(
        id=uuid.uuid4(),
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        next_attempt_at=utcnow(),
    )
    handoff.hand_over([again])
    session.add(again)
    session.flush()
    return again


def recover(session: Session, endpoint: WebhookEndpoint, since: datetime) -> int:
    """Send every delivery of `endpoint` that failed since `since` again, from a fresh
    retry schedule, in its case's order. Returns how many."""
    ids = session.scalars(
        select(WebhookDelivery.id).where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.status == DeliveryStatus.failed,
            WebhookDelivery.created_at >= since,
        )
    ).all()
    if ids:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids))
            .values(
                status=DeliveryStatus.pending,
                attempts=0,
                next_attempt_at=utcnow(),
                queued_at=None,
                finished_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        handoff.after_commit(ids)
    return len(ids)


def send_test(session: Session, endpoint: WebhookEndpoint) -> WebhookDelivery:
    return emit_test(session, endpoint)
