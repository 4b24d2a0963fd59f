"""`flask webhooks ...`: a storefront's webhook endpoints from the command line, with
the same service functions as the API and the workspace (service.webhooks.service).
A bad value exits non-zero naming the field; nothing is written. Secrets are printed
once."""

from __future__ import annotations

import uuid
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup
from marshmallow import ValidationError

from service.core import db
from service.core.fields import in_range_utc
from service.storefronts.cli import refused, storefront_by_slug
from service.webhooks import service
from service.webhooks.events import EVENT_TYPES
from service.webhooks.models import WebhookEndpoint

webhooks_cli = AppGroup("webhooks", help="Outgoing webhook endpoints of a storefront.")


def endpoint_by_id(endpoint_id: str) -> WebhookEndpoint:
    try:
        endpoint = db.session().get(WebhookEndpoint, uuid.UUID(endpoint_id))
    except ValueError:
        endpoint = None
    if endpoint is None:
        raise click.ClickException(f"no webhook endpoint {endpoint_id!r}")
    return endpoint


def _commit() -> None:
    db.session().commit()
    db.run_after_commit()


@webhooks_cli.command("create")
@click.argument("storefront")
@click.argument("url")
@click.option("--event", "events", multiple=True, type=click.Choice(EVENT_TYPES))
@click.option("--description")
def webhooks_create(storefront: str, url: str, events: tuple[str, ...], description: str | None):
    """Register URL for STOREFRONT (slug); every event unless --event given. The secret
    is shown once."""
    data = {"url": url, "event_types": list(events), "description": description}
    try:
        endpoint, secret = service.create_endpoint(
            db.session(), storefront_by_slug(storefront).id, data, current_app.config["SETTINGS"]
        )
    except ValidationError as exc:
        raise refused(exc) from exc
    _commit()
    click.echo(secret)
    click.echo(f"(endpoint {endpoint.id}; store the secret now, it is not shown again)", err=True)


@webhooks_cli.command("list")
@click.argument("storefront")
def webhooks_list(storefront: str) -> None:
    """The endpoints of STOREFRONT: id, URL, state, event types."""
    for endpoint in service.storefront_endpoints(db.session(), storefront_by_slug(storefront).id):
        state = "enabled" if endpoint.enabled else f"disabled {endpoint.disabled_reason or ''}"
        types = ",".join(endpoint.event_types) or "all"
        click.echo(f"{endpoint.id}\t{endpoint.url}\t{state.strip()}\t{types}")


@webhooks_cli.command("rotate")
@click.argument("endpoint_id")
@click.option("--overlap-hours", type=click.IntRange(0, 24 * 30), default=None)
def webhooks_rotate(endpoint_id: str, overlap_hours: int | None) -> None:
    """A new secret for ENDPOINT_ID (shown once); the old one signs beside it a while."""
    endpoint = endpoint_by_id(endpoint_id)
    secret = service.rotate_secret(
        db.session(), endpoint, current_app.config["SETTINGS"], overlap_hours
    )
    _commit()
    click.echo(secret)


@webhooks_cli.command("enable")
@click.argument("endpoint_id")
def webhooks_enable(endpoint_id: str) -> None:
    _switch(endpoint_id, True)


@webhooks_cli.command("disable")
@click.argument("endpoint_id")
def webhooks_disable(endpoint_id: str) -> None:
    _switch(endpoint_id, False)


def _switch(endpoint_id: str, enabled: bool) -> None:
    endpoint = endpoint_by_id(endpoint_id)
    service.change_endpoint(
        db.session(), endpoint, {"enabled": enabled}, current_app.config["SETTINGS"]
    )
    _commit()
    click.echo(f"endpoint {endpoint.id} {'enabled' if enabled else 'disabled'}")


@webhooks_cli.command("test")
@click.argument("endpoint_id")
def webhooks_test(endpoint_id: str) -> None:
    """Send a webhook.test event to ENDPOINT_ID."""
    delivery = service.send_test(db.session(), endpoint_by_id(endpoint_id))
    _commit()
    click.echo(f"test delivery {delivery.id} queued")


@webhooks_cli.command("recover")
@click.argument("endpoint_id")
@click.option("--since", required=True, type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"]))
def webhooks_recover(endpoint_id: str, since: datetime) -> None:
    """Send again every delivery to ENDPOINT_ID that failed since --since (UTC if no zone)."""
    from datetime import UTC

    since = in_range_utc(since if since.tzinfo else since.replace(tzinfo=UTC))
    count = service.recover(db.session(), endpoint_by_id(endpoint_id), since)
    _commit()
    click.echo(f"{count} deliveries queued again")
