"""`flask staff ...`: the same service functions as the admin pages and the API
(service.staff.admin). A bad value exits non-zero naming the field; nothing is
written. Passwords and tokens are printed once."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import AppGroup
from marshmallow import ValidationError

from service.core import db
from service.core.auth import issue_staff_token
from service.staff import admin as staff_admin
from service.staff.models import StaffRole, StaffUser
from service.staff.service import staff_query
from service.storefronts.cli import refused, storefront_by_slug

staff_cli = AppGroup("staff", help="Staff users.")
ROLES = click.Choice([r.value for r in StaffRole])


def _person(email: str) -> StaffUser:
    user = staff_admin.staff_by_email(db.session(), email)
    if user is None:
        raise click.ClickException(f"no staff member {email}")
    return user


def _change(email: str, changes: dict[str, Any]) -> StaffUser:
    session = db.session()
    try:
        user = staff_admin.change_staff(session, _person(email), changes)
    except ValidationError as exc:
        raise refused(exc) from exc
    session.commit()
    return user


@staff_cli.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=ROLES, required=True)
@click.option("--storefront", help="Limit to one storefront (slug); default: all.")
@click.password_option(help="Prompted for when omitted.")
def staff_create(email: str, name: str, role: str, storefront: str | None, password: str) -> None:
    """Create a staff user."""
    session = db.session()
    storefront_id = storefront_by_slug(storefront).id if storefront else None
    try:
        user, _password = staff_admin.add_staff(session, email, name, role, password, storefront_id)
    except ValidationError as exc:
        raise refused(exc) from exc
    session.commit()
    click.echo(f"staff {user.email} ({user.role.value})")


@staff_cli.command("list")
@click.option("--role", type=ROLES, multiple=True)
@click.option("--inactive", is_flag=True, help="Deactivated staff only.")
def staff_list(role: tuple[str, ...], inactive: bool) -> None:
    """Staff: e-mail, name, role, storefront, state."""
    filters: dict[str, Any] = {"role": [StaffRole(r) for r in role]}
    if inactive:
        filters["active"] = False
    stmt = staff_query(None, filters).order_by(StaffUser.email)
    for user in db.session().scalars(stmt):
        state = "active" if user.active else "deactivated"
        click.echo(
            f"{user.email}\t{user.name}\t{user.role.value}\t{user.storefront_id or 'all'}\t{state}"
        )


@staff_cli.command("set")
@click.argument("email")
@click.option("--name")
@click.option("--role", type=ROLES)
@click.option("--storefront", help="Bind to this storefront (slug).")
@click.option("--all-storefronts", is_flag=True, help="Unbind: work every storefront.")
def staff_set(
    email: str, name: str | None, role: str | None, storefront: str | None, all_storefronts: bool
) -> None:
    """Change a staff member's name, role or storefront binding."""
    if storefront and all_storefronts:
        raise click.UsageError("--storefront and --all-storefronts exclude each other")
    changes: dict[str, Any] = {k: v for k, v in (("name", name), ("role", role)) if v}
    if storefront:
        changes["storefront_id"] = storefront_by_slug(storefront).id
    if all_storefronts:
        changes["storefront_id"] = None
    if not changes:
        raise click.UsageError("nothing to change")
    user = _change(email, changes)
    click.echo(f"staff {user.email} ({user.role.value}, {user.storefront_id or 'all'})")


@staff_cli.command("deactivate")
@click.argument("email")
def staff_deactivate(email: str) -> None:
    """Deactivate: sign-in refused, sessions ended, personal tokens revoked."""
    _change(email, {"active": False})
    click.echo(f"deactivated {email}")


@staff_cli.command("reactivate")
@click.argument("email")
def staff_reactivate(email: str) -> None:
    """Let a deactivated staff member sign in again (their old tokens stay revoked)."""
    _change(email, {"active": True})
    click.echo(f"reactivated {email}")


@staff_cli.command("reset-password")
@click.argument("email")
def staff_reset_password(email: str) -> None:
    """Set a generated password (printed once) and end the person's sessions."""
    session = db.session()
    password = staff_admin.reset_password(session, _person(email))
    session.commit()
    click.echo(password)


@staff_cli.command("revoke-tokens")
@click.argument("email")
def staff_revoke_tokens(email: str) -> None:
    """Revoke every personal API token of a staff member."""
    session = db.session()
    count = staff_admin.revoke_tokens(session, _person(email))
    session.commit()
    click.echo(f"revoked {count} tokens of {email}")


@staff_cli.command("token")
@click.argument("email")
def staff_token(email: str) -> None:
    """Issue a personal API token for a staff member. The token is shown once."""
    session = db.session()
    user = _person(email)
    if not user.active:
        raise click.ClickException(f"{email} is deactivated: reactivate first")
    token = issue_staff_token(session, user)
    session.commit()
    click.echo(token)
