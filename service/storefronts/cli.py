"""`flask storefronts ...` and `flask keys ...`: the same service functions as the admin
pages and the API (service.storefronts.settings, service.storefronts.keys). A bad value
exits non-zero naming the field; nothing is written. Keys are printed once."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import AppGroup
from marshmallow import ValidationError
from sqlalchemy import select

from service.core import db
from service.storefronts.keys import UnknownKeyError, issue_key, revoke_key, storefront_keys
from service.storefronts.models import Storefront
from service.storefronts.settings import FIELDS, add_storefront, change_settings

storefronts_cli = AppGroup("storefronts", help="Storefronts (tenants) and their settings.")
keys_cli = AppGroup("keys", help="Storefront API keys.")


def storefront_by_slug(slug: str) -> Storefront:
    storefront = db.session().scalars(select(Storefront).where(Storefront.slug == slug)).first()
    if storefront is None:
        raise click.ClickException(f"no storefront {slug!r}")
    return storefront


def refused(error: ValidationError) -> click.ClickException:
    """The field errors of `error` as one line per field."""
    messages = error.messages if isinstance(error.messages, dict) else {"": error.messages}
    lines = [f"{name}: {' '.join(map(str, problems))}" for name, problems in messages.items()]
    return click.ClickException("; ".join(lines))


def _resolution(values: tuple[str, ...]) -> dict[str, Any]:
    hours: dict[str, Any] = {}
    for value in values:
        kind, sep, number = value.partition("=")
        if not sep:
            raise click.BadParameter(f"{value!r}: use KIND=HOURS", param_hint="--resolution-hours")
        hours[kind.strip()] = number.strip()
    return hours


def _setting_options(command: Any) -> Any:
    """The options of every setting, unset by default (only those given change)."""
    for name in reversed([f for f in FIELDS if f not in ("name", "resolution_hours")]):
        command = click.option(f"--{name.replace('_', '-')}", name, default=None)(command)
    command = click.option(
        "--resolution-hours",
        multiple=True,
        metavar="KIND=HOURS",
        help="Resolution target per case kind (or `default`); replaces the whole table.",
    )(command)
    return command


def _changes(options: dict[str, Any]) -> dict[str, Any]:
    changes = {k: v for k, v in options.items() if v is not None and k != "resolution_hours"}
    if options.get("resolution_hours"):
        changes["resolution_hours"] = _resolution(options["resolution_hours"])
    return changes


@storefronts_cli.command("create")
@click.argument("name")
@click.option("--slug", help="Short unique name; derived from NAME if omitted.")
@_setting_options
def storefronts_create(name: str, slug: str | None, **options: Any) -> None:
    """Create a storefront (case prefix unique across storefronts; derived from NAME if
    omitted)."""
    session = db.session()
    try:
        storefront = add_storefront(session, name, slug, **_changes(options))
    except ValidationError as exc:
        raise refused(exc) from exc
    session.commit()
    click.echo(
        f"storefront {storefront.slug} ({storefront.id}), "
        f"case numbers {storefront.case_prefix}-000001..."
    )


@storefronts_cli.command("list")
def storefronts_list() -> None:
    for storefront in db.session().scalars(select(Storefront).order_by(Storefront.slug)):
        click.echo(
            f"{storefront.slug}\t{storefront.name}\t{storefront.case_prefix}\t{storefront.id}"
        )


@storefronts_cli.command("show")
@click.argument("slug")
def storefronts_show(slug: str) -> None:
    """Print the settings of the storefront SLUG."""
    storefront = storefront_by_slug(slug)
    for name in FIELDS:
        click.echo(f"{name}\t{getattr(storefront, name)}")


@storefronts_cli.command("set")
@click.argument("slug")
@click.option("--name")
@_setting_options
def storefronts_set(slug: str, name: str | None, **options: Any) -> None:
    """Change settings of the storefront SLUG (only the options given)."""
    session = db.session()
    changes = _changes(options)
    if name is not None:
        changes["name"] = name
    if not changes:
        raise click.UsageError("nothing to change: give one or more setting options")
    try:
        change_settings(session, storefront_by_slug(slug), changes)
    except ValidationError as exc:
        raise refused(exc) from exc
    session.commit()
    click.echo(f"storefront {slug}: {', '.join(sorted(changes))} changed")


@keys_cli.command("create")
@click.argument("storefront")
@click.option("--label", help="What the key is for.")
def keys_create(storefront: str, label: str | None) -> None:
    """Issue an API key for STOREFRONT (slug). The key is shown once."""
    session = db.session()
    api_key, plaintext = issue_key(session, storefront_by_slug(storefront), label)
    session.commit()
    click.echo(plaintext)
    click.echo(f"(prefix {api_key.prefix}; store the key now, it cannot be shown again)", err=True)


@keys_cli.command("list")
@click.argument("storefront")
def keys_list(storefront: str) -> None:
    """The keys of STOREFRONT (slug): prefix, label, created, last used, state."""
    for key in storefront_keys(db.session(), storefront_by_slug(storefront).id):
        used = key.last_used_at.isoformat() if key.last_used_at else "never"
        state = f"revoked {key.revoked_at.isoformat()}" if key.revoked_at else "active"
        click.echo(
            f"{key.prefix}\t{key.label or ''}\t{key.created_at.isoformat()}\t{used}\t{state}"
        )


@keys_cli.command("revoke")
@click.argument("prefix")
def keys_revoke(prefix: str) -> None:
    """Revoke the key whose prefix is PREFIX (e.g. ask_1a2b3c4d)."""
    session = db.session()
    try:
        revoke_key(session, prefix)
    except UnknownKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    session.commit()
    click.echo(f"revoked {prefix}")
