"""AfterShip tracking webhooks.

Subscribing: `POST <base>/trackings` (base e.g. https://api.aftership.com/tracking/2024-07)
with header `as-api-key` and a JSON body `{"tracking_number", "slug", "order_number"}`;
201 on creation, 400 with `meta.code` 4003 when the tracking already exists (a success
for us). The webhook URL is set once per AfterShip account, in its dashboard.

Pushing: AfterShip posts JSON `{"event": "tracking_update", "event_id", "ts", "msg":
{tracking}}` with header `aftership-hmac-sha256` = base64(HMAC-SHA256(webhook secret,
raw body)). `msg.tag` is Pending, InfoReceived, InTransit, OutForDelivery,
AttemptFail, AvailableForPickup, Delivered, Exception or Expired; `msg.checkpoints`
lists every checkpoint so far (`checkpoint_time` ISO 8601, `message`, `location`,
`tag`, `subtag`). Any 2xx acknowledges it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

import requests
from flask import Request, Response

from service.tracking.adapters import (
    BadPush,
    Checkpoint,
    Status,
    SubscribeError,
    Subscription,
    TrackingUpdate,
    aware,
    clean,
    content_key,
    loads,
    mapping,
)

TAGS = {
    "Pending": Status.pending,
    "InfoReceived": Status.info_received,
    "InTransit": Status.in_transit,
    "OutForDelivery": Status.out_for_delivery,
    "AttemptFail": Status.failed_attempt,
    "AvailableForPickup": Status.available_for_pickup,
    "Delivered": Status.delivered,
    "Exception": Status.exception,
    "Expired": Status.expired,
}

#: Our carrier codes (service.shipments) to AfterShip courier slugs; others are left
#: to AfterShip's detection.
SLUGS = {
    "sf_express": "sf-express",
    "jd_logistics": "jd",
    "ems": "china-ems",
    "zto": "zto-express",
    "yto": "yto",
    "sto": "sto",
    "yunda": "yunda",
    "dhl": "dhl",
    "ups": "ups",
    "fedex": "fedex",
    "usps": "usps",
    "amazon": "amazon",
    "ontrac": "ontrac",
}

SIGNATURE_HEADER = "aftership-hmac-sha256"


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _time(value: Any) -> datetime | None:
    text = clean(value, 40)
    if text is None:
        return None
    try:
        return aware(datetime.fromisoformat(text))
    except ValueError:
        return None


class AfterShip:
    name = "aftership"

    def verify(self, secret: str, request: Request) -> bool:
        given = request.headers.get(SIGNATURE_HEADER)
        if not secret or not given:
            return False
        return hmac.compare_digest(signature(secret, request.get_data()), given.strip())

    def parse(self, request: Request) -> TrackingUpdate:
        body = mapping(loads(request.get_data().decode("utf-8", "replace")), "body")
        msg = mapping(body.get("msg"), "msg")
        number = clean(msg.get("tracking_number"), 64)
        if number is None:
            raise BadPush("msg.tracking_number is missing.")
        tag = clean(msg.get("tag"), 64)
        raw = msg.get("checkpoints") or []
        if not isinstance(raw, list):
            raise BadPush("msg.checkpoints is not a list.")
        checkpoints = [self._checkpoint(entry) for entry in raw if isinstance(entry, dict)]
        return TrackingUpdate(
            tracking_number=number,
            status=TAGS.get(tag or ""),
            provider_status=tag,
            checkpoints=checkpoints,
            message=clean(msg.get("subtag_message"), 500),
        )

    def _checkpoint(self, entry: dict[str, Any]) -> Checkpoint:
        raw_time = clean(entry.get("checkpoint_time"), 40)
        description = clean(entry.get("message"), 2000) or ""
        location = clean(entry.get("location"), 200) or clean(entry.get("city"), 200)
        tag = clean(entry.get("tag"), 64)
        return Checkpoint(
            dedupe_key=content_key(raw_time, tag, description, location),
            status=TAGS.get(tag or "", Status.in_transit),
            provider_status=clean(entry.get("subtag"), 64) or tag,
            description=description,
            location=location,
            occurred_at=_time(raw_time),
        )

    def acknowledge(self) -> Response:
        return Response(json.dumps({"ok": True}), status=200, mimetype="application/json")

    def refuse(self, status: int, message: str) -> Response:
        body = json.dumps({"ok": False, "message": message})
        return Response(body, status=status, mimetype="application/json")

    def subscribe(
        self, base_url: str, api_key: str, secret: str, subscription: Subscription, timeout: float
    ) -> None:
        body: dict[str, Any] = {
            "tracking_number": subscription.tracking_number,
            "order_number": subscription.case_number,
        }
        if slug := SLUGS.get(subscription.carrier_code or ""):
            body["slug"] = slug
        try:
            response = requests.post(
                base_url.rstrip("/") + "/trackings",
                json=body,
                headers={"as-api-key": api_key},
                timeout=timeout,
                allow_redirects=False,
            )
            answer = response.json() if response.content else {}
        except (requests.RequestException, ValueError) as exc:
            raise SubscribeError(f"AfterShip unreachable or unreadable: {exc}") from exc
        meta = answer.get("meta") if isinstance(answer, dict) else None
        code = meta.get("code") if isinstance(meta, dict) else None
        if response.status_code in (200, 201) or code == 4003:  # 4003: already tracked
            return
        message = meta.get("message", "") if isinstance(meta, dict) else ""
        raise SubscribeError(
            f"AfterShip HTTP {response.status_code} (meta.code {code}): {message}"[:500],
            # A malformed request stays malformed; auth, limits and outages may pass.
            permanent=response.status_code in (400, 422),
        )
