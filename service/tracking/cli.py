"""`flask tracking ...`: a storefront's tracking aggregator account. Secrets are never
printed back, except a salt we generated (once)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from service.core import db
from service.storefronts.cli import storefront_by_slug
from service.tracking.accounts import AccountError, account_of, configure, renew_callback_token
from service.tracking.providers import ADAPTERS, callback_url

tracking_cli = AppGroup("tracking", help="Carrier tracking accounts (Kuaidi100, AfterShip).")


def _show(account) -> None:
    click.echo(f"provider: {account.provider}")
    click.echo(f"enabled: {account.enabled}")
    click.echo(f"callback url: {callback_url(account)}")


@tracking_cli.command("set")
@click.argument("slug")
@click.option("--provider", type=click.Choice(sorted(ADAPTERS)), default=None)
@click.option("--api-key", default=None, help="Kuaidi100 key, or AfterShip as-api-key.")
@click.option("--secret", default=None, help="Kuaidi100 salt, or AfterShip webhook secret.")
@click.option("--enable/--disable", "enabled", default=None)
def set_account(slug: str, provider, api_key, secret, enabled) -> None:
    """Set the storefront's tracking account (only the options given change)."""
    session = db.session()
    try:
        configured = configure(
            session, storefront_by_slug(slug), provider, api_key, secret, enabled
        )
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    session.commit()
    _show(configured.account)
    if configured.generated_secret:
        click.echo(f"salt (shown once): {configured.generated_secret}")


@tracking_cli.command("show")
@click.argument("slug")
def show_account(slug: str) -> None:
    """The storefront's provider and callback URL (secrets are not shown)."""
    account = account_of(db.session(), storefront_by_slug(slug))
    if account is None:
        raise click.ClickException(f"{slug} has no tracking account")
    _show(account)


@tracking_cli.command("renew-callback")
@click.argument("slug")
def renew_callback(slug: str) -> None:
    """A new callback URL; the old one stops working at once."""
    session = db.session()
    account = account_of(session, storefront_by_slug(slug))
    if account is None:
        raise click.ClickException(f"{slug} has no tracking account")
    renew_callback_token(session, account)
    session.commit()
    _show(account)
