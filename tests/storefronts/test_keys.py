from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from service.storefronts.keys import hash_key
from service.storefronts.models import ApiKey, Storefront


def _cli(app, *args, input=None):
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    return result


def test_keys_are_issued_by_cli_shown_once_and_stored_only_as_a_hash(app, client, db_session):
    assert (
        _cli(app, "storefronts", "create", "Acme Gadgets", "--case-prefix", "acme").exit_code == 0
    )
    result = _cli(app, "keys", "create", "acme-gadgets", "--label", "checkout")
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[0]
    assert key.startswith("ask_")
    stored = db_session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_key(key))).one()
    assert key not in {stored.prefix, stored.key_hash, stored.label}
    storefront = db_session.get(Storefront, stored.storefront_id)
    assert storefront.case_prefix == "ACME"

    ok = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {key}"})
    assert ok.status_code == 200


def test_a_revoked_key_gets_the_same_401_as_an_unknown_one(app, client, tenant, db_session):
    prefix = db_session.scalars(
        select(ApiKey.prefix).where(ApiKey.storefront_id == tenant.storefront.id)
    ).one()
    assert client.get("/api/v1/cases", headers=tenant.headers).status_code == 200
    result = _cli(app, "keys", "revoke", prefix)
    assert result.exit_code == 0, result.output

    revoked = client.get("/api/v1/cases", headers=tenant.headers)
    unknown = client.get("/api/v1/cases", headers={"Authorization": "Bearer ask_00000000_nope"})
    assert revoked.status_code == unknown.status_code == 401
    assert revoked.get_json() == unknown.get_json()
    assert revoked.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoking_an_unknown_prefix_fails(app):
    result = _cli(app, "keys", "revoke", "ask_nothere")
    assert result.exit_code != 0
    assert "no key" in result.output


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer wrong"},
    ],
    ids=["none", "empty bearer", "basic", "wrong key"],
)
def test_every_api_route_needs_a_valid_key(app, client, headers):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs"):
            continue
        url = re.sub(
            r"<uuid:\w+>",
            "00000000-0000-0000-0000-000000000000",
            rule.rule.replace("<case_ref>", "X"),
        )
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method, json={}, headers=headers)
            assert response.status_code == 401, f"{method} {url}"
            assert response.get_json()["code"] == 401


def test_staff_users_are_created_by_cli_with_a_hashed_password(app, client, db_session):
    from service.staff.accounts import check_login
    from service.staff.models import StaffUser

    result = _cli(
        app,
        "staff",
        "create",
        "Tech@Example.com",
        "--name",
        "Tess",
        "--role",
        "technician",
        "--password",
        "correct horse battery",
    )
    assert result.exit_code == 0, result.output
    user = db_session.scalars(select(StaffUser).where(StaffUser.email == "tech@example.com")).one()
    assert user.password_hash != "correct horse battery"
    assert check_login(db_session, "tech@example.com", "correct horse battery") == user
    assert check_login(db_session, "tech@example.com", "wrong password") is None
    token = _cli(app, "staff", "token", "TECH@example.com")
    assert token.exit_code == 0, token.output
    assert token.stdout.strip().startswith("ast_")
    assert (
        client.get(
            "/api/v1/cases", headers={"Authorization": f"Bearer {token.stdout.strip()}"}
        ).status_code
        == 200
    )
    short = _cli(
        app,
        "staff",
        "create",
        "b@example.com",
        "--name",
        "B",
        "--role",
        "agent",
        "--password",
        "short",
    )
    assert short.exit_code != 0
    assert "password" in short.output


def test_demo_seed_prints_the_key_once_and_the_key_works(app, client):
    first = _cli(app, "demo", "seed")
    assert first.exit_code == 0, first.output
    key = next(line.split()[-1] for line in first.output.splitlines() if "API key:" in line)
    assert (
        client.get("/api/v1/cases", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    )
    again = _cli(app, "demo", "seed")
    assert again.exit_code == 0
    assert key not in again.output
