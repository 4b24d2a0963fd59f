"""The adapters by name, and where each provider is reached and calls us back."""

from __future__ import annotations

from flask import current_app

from service.tracking.adapters import Adapter
from service.tracking.aftership import AfterShip
from service.tracking.kuaidi100 import Kuaidi100
from service.tracking.models import TrackingAccount

ADAPTERS: dict[str, Adapter] = {adapter.name: adapter for adapter in (Kuaidi100(), AfterShip())}

#: The webhooks' path; the blueprint in service.tracking.routes serves it.
WEBHOOK_PREFIX = "/webhooks/tracking"


def base_url(provider: str) -> str:
    return getattr(current_app.config["SETTINGS"], f"{provider}_base_url")


def callback_url(account: TrackingAccount) -> str:
    """The push URL of `account`: the token names the storefront's account."""
    base = current_app.config["SETTINGS"].public_base_url.rstrip("/")
    return f"{base}{WEBHOOK_PREFIX}/{account.provider}/{account.callback_token}"
