"""What every tracking aggregator's adapter provides, and the shapes they share.

An adapter verifies a push (its signature scheme), parses it into a `TrackingUpdate`
(our normalised statuses, checkpoints with a stable dedupe key), answers it the way the
provider expects, and registers a tracking number with the provider. Everything the
provider sent is untrusted text: `clean` strips what a database refuses (NUL, unpaired
surrogates) and bounds the length; times that cannot be read become None.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from flask import Request, Response

#: Nested deeper than this, a push is refused before it is parsed (no provider nests
#: more than four levels).
MAX_DEPTH = 32


class Status(enum.StrEnum):
    pending = "pending"
    info_received = "info_received"
    in_transit = "in_transit"
    out_for_delivery = "out_for_delivery"
    available_for_pickup = "available_for_pickup"
    failed_attempt = "failed_attempt"
    delivered = "delivered"
    exception = "exception"
    returned = "returned"
    expired = "expired"


#: Statuses that flag the case for the desk, with the flag's name.
FLAGGING = {Status.exception: "exception", Status.returned: "returned", Status.expired: "expired"}


class BadPush(ValueError):
    """A push that verified but cannot be read (answered 400, nothing written)."""


class SubscribeError(Exception):
    """Registering a number failed; `permanent` ones are not retried."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Checkpoint:
    dedupe_key: str
    status: Status
    provider_status: str | None
    description: str
    location: str | None
    occurred_at: datetime | None


@dataclass(frozen=True)
class TrackingUpdate:
    tracking_number: str
    status: Status | None
    provider_status: str | None
    checkpoints: list[Checkpoint] = field(default_factory=list)
    #: The provider stopped tracking this number without a delivery (Kuaidi100 `abort`).
    aborted: bool = False
    #: The provider's words on the whole update (e.g. why it aborted).
    message: str | None = None

    @property
    def latest(self) -> Checkpoint | None:
        timed = [c for c in self.checkpoints if c.occurred_at is not None]
        if timed:
            return max(timed, key=lambda c: c.occurred_at)  # type: ignore[arg-type, return-value]
        return self.checkpoints[0] if self.checkpoints else None


@dataclass(frozen=True)
class Subscription:
    """What a subscription request needs to know about the shipment."""

    tracking_number: str
    carrier_code: str | None
    case_number: str
    callback_url: str


class Adapter(Protocol):
    name: str

    def verify(self, secret: str, request: Request) -> bool: ...

    def parse(self, request: Request) -> TrackingUpdate: ...

    def acknowledge(self) -> Response: ...

    def refuse(self, status: int, message: str) -> Response: ...

    def subscribe(
        self, base_url: str, api_key: str, secret: str, subscription: Subscription, timeout: float
    ) -> None: ...


def clean(value: Any, limit: int) -> str | None:
    """Provider text made safe to store: a string, no NUL or unpaired surrogate, at most
    `limit` characters, None when empty."""
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).replace("\x00", "")
    text = text.encode("utf-8", "replace").decode("utf-8").strip()
    # An unpaired surrogate encodes to "?" above; anything else is kept as written.
    return text[:limit] or None


def content_key(*parts: Any) -> str:
    """A dedupe key from a checkpoint's content, for providers that give no event id."""
    joined = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(joined.encode("utf-8", "replace")).hexdigest()


def aware(moment: datetime, zone: Any = UTC) -> datetime | None:
    try:
        moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def nesting(text: str) -> int:
    """How deep the JSON in `text` nests (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def loads(text: str) -> Any:
    """JSON from a push, refusing what is not JSON or is nested absurdly deep."""
    if nesting(text) > MAX_DEPTH:
        raise BadPush("The payload is nested too deeply.")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadPush("The payload is not JSON.") from exc


def mapping(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadPush(f"{what} is not an object.")
    return value
