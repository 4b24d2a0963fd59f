"""One attempt of one delivery: claim it, send it signed, record what happened.

Order per case per endpoint: a delivery is claimed only when no earlier event of its
case to the same endpoint is still open (pending or being sent). Other cases are not
held back. When a delivery ends (succeeded or given up) the next one of its case is
queued at once.

A claim is a lease with a fencing number (the attempt count): a worker that dies
mid-attempt leaves the row `sending` until `lease_until`, after which the sweeper
queues it again, and the dead attempt's result, should it ever arrive, is ignored.
The same `webhook-id` is sent on every attempt, so a receiver that got the dead
attempt's request drops the repeat.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from requests_hardened import Config, HTTPSession
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from service.core.config import Settings
from service.webhooks import signing, ssrf
from service.webhooks.models import (
    OPEN_STATUSES,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

#: The first bytes of a response kept in the log.
RESPONSE_KEPT = 2048
#: The longest wait a receiver's Retry-After can ask for, in seconds.
RETRY_AFTER_CAP = 86400


@dataclass
class Outcome:
    status_code: int | None
    latency_ms: int
    body: str | None = None
    error: str | None = None
    retry_after: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def schedule(settings: Settings) -> list[int]:
    return [int(part) for part in settings.webhook_retry_schedule.split(",")]


def _earlier_open() -> Any:
    """SQL: an earlier delivery of the same case to the same endpoint is still open."""
    earlier = aliased(WebhookDelivery)
    return exists().where(
        earlier.endpoint_id == WebhookDelivery.endpoint_id,
        earlier.case_id == WebhookDelivery.case_id,
        earlier.sequence < WebhookDelivery.sequence,
        earlier.status.in_(OPEN_STATUSES),
    )


def _claimable(now: datetime) -> Any:
    return and_(
        or_(
            and_(
                WebhookDelivery.status == DeliveryStatus.pending,
                WebhookDelivery.next_attempt_at <= now,
            ),
            and_(
                WebhookDelivery.status == DeliveryStatus.sending, WebhookDelivery.lease_until < now
            ),
        ),
        or_(WebhookDelivery.case_id.is_(None), ~_earlier_open()),
    )


def claim(
    session: Session, delivery_id: uuid.UUID, now: datetime, lease: timedelta
) -> WebhookDelivery | None:
    """Take delivery `delivery_id` for one attempt (commits), or None: not due, done,
    held by a live worker, behind an earlier event of its case, or its endpoint off."""
    enabled = select(WebhookEndpoint.enabled).where(
        WebhookEndpoint.id == WebhookDelivery.endpoint_id
    )
    won = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, _claimable(now), enabled.scalar_subquery())
        .values(
            status=DeliveryStatus.sending,
            attempts=WebhookDelivery.attempts + 1,
            lease_until=now + lease,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if won != 1:
        return None
    delivery = session.get(WebhookDelivery, delivery_id)
    session.expunge_all()  # detached, with its event and endpoint loaded
    return delivery


def due_ids(session: Session, now: datetime, requeue_after: timedelta, limit: int = 500) -> list:
    """Deliveries to queue: due and not queued within a lease (a lost job), or held by
    a dead worker; each the earliest open one of its case for its endpoint."""
    rows = session.scalars(
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookEndpoint.enabled,
            _claimable(now),
            or_(
                WebhookDelivery.queued_at.is_(None),
                WebhookDelivery.queued_at < now - requeue_after,
                WebhookDelivery.status == DeliveryStatus.sending,
            ),
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    )
    return list(rows)


def live_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


def body_of(delivery: WebhookDelivery) -> str:
    # Stored once; the same bytes on every attempt.
    return json.dumps(delivery.event.payload, separators=(",", ":"), ensure_ascii=False)


def http_session(settings: Settings) -> HTTPSession:
    timeout = settings.webhook_timeout_seconds
    return HTTPSession(
        Config(
            ip_filter_enable=True,
            ip_filter_allow_loopback_ips=settings.webhook_allow_loopback,
            never_redirect=True,
            default_timeout=(timeout, timeout),
            user_agent_override="Aftersales-Webhooks/1",
        )
    )


def allow_http(settings: Settings) -> bool:
    return settings.app_env == "development"


def attempt(delivery: WebhookDelivery, settings: Settings, http: HTTPSession) -> Outcome:
    """Send the delivery once (no database work here)."""
    endpoint, now = delivery.endpoint, datetime.now(UTC)
    started = time.monotonic()
    try:
        # Again at every attempt: the name may resolve elsewhere since registration.
        ssrf.check_url(endpoint.url, settings.webhook_allow_loopback, allow_http(settings))
        body = body_of(delivery)
        headers = signing.headers(live_secrets(endpoint, now), delivery.event.message_id, now, body)
        with http.post(
            endpoint.url, data=body.encode(), headers=headers, stream=True, allow_redirects=False
        ) as response:
            kept = response.raw.read(RESPONSE_KEPT, decode_content=True) or b""
            latency = int((time.monotonic() - started) * 1000)
            return Outcome(
                response.status_code,
                latency,
                kept.decode("utf-8", "replace"),
                retry_after=_retry_after(response.headers.get("Retry-After"), now),
            )
    except ssrf.AddressRefused as exc:
        error = f"refused: {exc}"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    return Outcome(None, int((time.monotonic() - started) * 1000), error=error)


def _retry_after(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - now).total_seconds(), 0.0)


def retry_delay(settings: Settings, attempts: int, outcome: Outcome) -> float | None:
    """Seconds until the next attempt after `attempts` failed ones; None: give up."""
    steps = schedule(settings)
    if attempts > len(steps):
        return None
    delay = steps[attempts - 1] * random.uniform(0.9, 1.1)  # jitter, not secrecy
    if outcome.retry_after is not None:
        # The receiver's wish, within reason.
        delay = max(delay, min(outcome.retry_after, RETRY_AFTER_CAP))
    return delay


@dataclass
class Finished:
    status: DeliveryStatus | None
    #: The endpoint was disabled by this attempt (410, or failing too long).
    disabled: str | None = None
    #: The next open delivery of the case, to queue now.
    next_id: uuid.UUID | None = None


def finish(
    session: Session,
    delivery: WebhookDelivery,
    outcome: Outcome,
    settings: Settings,
    now: datetime,
) -> Finished:
    """Record the attempt and its consequence; flushes, the caller commits. Nothing if
    the lease was lost (another worker took the delivery over)."""
    row = session.scalars(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery.id,
            WebhookDelivery.status == DeliveryStatus.sending,
            WebhookDelivery.attempts == delivery.attempts,
        )
        .with_for_update(of=WebhookDelivery)
    ).first()
    if row is None:
        return Finished(None)
    session.add(
        WebhookAttempt(
            delivery_id=row.id,
            attempted_at=now,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            error=outcome.error,
            response_body=outcome.body,
        )
    )
    row.last_status_code, row.last_error, row.lease_until = outcome.status_code, outcome.error, None
    disabled = None
    if outcome.succeeded:
        row.status, row.finished_at = DeliveryStatus.succeeded, now
        _set_failing_since(session, row.endpoint_id, None)
    elif outcome.status_code == 410:
        row.status, row.finished_at = DeliveryStatus.failed, now
        disabled = "The endpoint answered 410 Gone."
    else:
        delay = retry_delay(settings, row.attempts, outcome)
        if delay is None:
            row.status, row.finished_at = DeliveryStatus.failed, now
        else:
            row.status, row.queued_at = DeliveryStatus.pending, None
            row.next_attempt_at = now + timedelta(seconds=delay)
        since = _set_failing_since(session, row.endpoint_id, now)
        if now - since >= timedelta(hours=settings.webhook_disable_after_hours):
            disabled = f"Every delivery failed for {settings.webhook_disable_after_hours} hours."
    if disabled and not _disable(session, row.endpoint_id, disabled, now):
        disabled = None  # someone else disabled it first
    session.flush()
    next_id = None
    if row.status not in OPEN_STATUSES and row.case_id is not None:
        next_id = session.scalar(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.endpoint_id == row.endpoint_id,
                WebhookDelivery.case_id == row.case_id,
                WebhookDelivery.sequence > row.sequence,
                WebhookDelivery.status.in_(OPEN_STATUSES),
            )
            .order_by(WebhookDelivery.sequence)
            .limit(1)
        )
    return Finished(row.status, disabled, next_id)


def _set_failing_since(session: Session, endpoint_id: uuid.UUID, now: datetime | None) -> datetime:
    """Clear (None) or start the endpoint's run of failures; returns when it started."""
    column = WebhookEndpoint.failing_since
    if now is None:
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id, column.is_not(None))
            .values(failing_since=None)
            .execution_options(synchronize_session=False)
        )
        return now  # type: ignore[return-value]
    session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, column.is_(None))
        .values(failing_since=now)
        .execution_options(synchronize_session=False)
    )
    return session.scalar(select(column).where(WebhookEndpoint.id == endpoint_id)) or now


def _disable(session: Session, endpoint_id: uuid.UUID, reason: str, now: datetime) -> bool:
    """Disable an enabled endpoint; true if this call did (so its admins hear once)."""
    return (
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.enabled)
            .values(
                enabled=False,
                disabled_reason=reason,
                version=WebhookEndpoint.version + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
