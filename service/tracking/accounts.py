"""A storefront's tracking account: set, shown (never its secrets), disabled, and its
callback token renewed. Used by `flask tracking ...` (service.tracking.cli)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.storefronts.models import Storefront
from service.tracking.models import TrackingAccount, new_callback_token
from service.tracking.providers import ADAPTERS


class AccountError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Configured:
    account: TrackingAccount
    #: The secret when we generated it (a Kuaidi100 salt), shown once; else None.
    generated_secret: str | None


def account_of(session: Session, storefront: Storefront) -> TrackingAccount | None:
    return session.scalar(
        select(TrackingAccount).where(TrackingAccount.storefront_id == storefront.id)
    )


def _text(field: str, value: str | None, required: bool) -> str | None:
    if value is None:
        if required:
            raise AccountError(field, "Required.")
        return None
    value = value.strip()
    if not value or len(value) > 200 or not value.isprintable():
        raise AccountError(field, "1 to 200 printable characters.")
    return value


def configure(
    session: Session,
    storefront: Storefront,
    provider: str | None = None,
    api_key: str | None = None,
    secret: str | None = None,
    enabled: bool | None = None,
) -> Configured:
    """Create or change the storefront's account; flushes. A Kuaidi100 salt is
    generated when none is given (we send it with every subscription); an AfterShip
    webhook secret must be given (AfterShip generates it)."""
    account = account_of(session, storefront)
    if provider is not None and provider not in ADAPTERS:
        raise AccountError("provider", f"One of {', '.join(sorted(ADAPTERS))}.")
    api_key = _text("api_key", api_key, required=account is None)
    secret = _text("secret", secret, required=False)
    chosen = provider or (account.provider if account else None)
    if chosen is None:
        raise AccountError("provider", "Required.")
    generated = None
    if secret is None and (account is None or account.provider != chosen):
        if chosen != "kuaidi100":
            raise AccountError("secret", "Required: the webhook secret AfterShip shows.")
        secret = generated = secrets.token_hex(16)
    if account is None:
        account = TrackingAccount(storefront_id=storefront.id, provider=chosen, api_key=api_key)
        session.add(account)
    account.provider = chosen
    if api_key is not None:
        account.api_key = api_key
    if secret is not None:
        account.secret = secret
    if enabled is not None:
        account.enabled = enabled
    session.flush()
    return Configured(account, generated)


def renew_callback_token(session: Session, account: TrackingAccount) -> None:
    """A new callback URL (the old one stops working at once): after the URL leaked."""
    account.callback_token = new_callback_token()
    session.flush()
