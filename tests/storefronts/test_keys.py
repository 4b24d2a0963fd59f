from __future__ import annotations

import io
import uuid

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


def _attachment_id(client, tenant, case: dict) -> uuid.UUID:
    """A real photo on the case: the attachment routes' URLs lead to a real file."""
    from tests.attachments.files import photo

    response = client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        data={"file": (io.BytesIO(photo()), "photo.jpg")},
        content_type="multipart/form-data",
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.get_json()
    return uuid.UUID(response.get_json()["id"])


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
def test_every_api_route_needs_a_valid_key(app, client, open_case, tenant, headers):
    case = open_case()
    # Real ids, put in by each rule's own converters: the URLs lead to a real case.
    values = {"case_ref": case["id"], "customer_id": uuid.UUID(case["customer"]["id"])}
    values["attachment_id"] = _attachment_id(client, tenant, case)
    absent = uuid.UUID(int=0)  # for the other ids: authentication answers before lookup
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs"):
            continue
        _domain, url = rule.build({name: values.get(name, absent) for name in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, json={}, headers=headers)
            assert response.status_code == 401, f"{method} {url}"
            assert response.get_json()["code"] == 401
            # The control: a valid key gets past authentication on the same URL.
            allowed = client.open(url, method=method, json={}, headers=tenant.headers)
            assert allowed.status_code != 401, f"{method} {url}"
            checked += 1
    assert checked >= 30


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


def test_a_staff_token_is_a_short_prefix_and_a_32_byte_secret_stored_as_a_hash(admin, db_session):
    import hashlib
    import re

    from service.staff.models import StaffToken

    assert re.fullmatch(r"ast_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", admin.token), admin.token
    stored = db_session.scalars(
        select(StaffToken).where(StaffToken.staff_user_id == admin.user.id)
    ).one()
    assert stored.prefix == admin.token[:12]
    assert stored.token_hash == hashlib.sha256(admin.token.encode()).hexdigest()


def test_a_deactivated_staff_members_token_gets_401(client, admin, db_session):
    assert client.get("/api/v1/cases", headers=admin.headers).status_code == 200
    admin.user.active = False
    db_session.commit()
    assert client.get("/api/v1/cases", headers=admin.headers).status_code == 401


def test_the_bearer_token_may_carry_surrounding_spaces(client, tenant):
    padded = {"Authorization": f"bearer   {tenant.key}  "}
    assert client.get("/api/v1/cases", headers=padded).status_code == 200


def test_a_revoked_staff_token_gets_401(client, admin, db_session):
    from service.core.db import utcnow
    from service.staff.models import StaffToken

    stored = db_session.scalars(
        select(StaffToken).where(StaffToken.staff_user_id == admin.user.id)
    ).one()
    stored.revoked_at = utcnow()
    db_session.commit()
    assert client.get("/api/v1/cases", headers=admin.headers).status_code == 401


@pytest.mark.parametrize("scheme", ["Basic", "Token"])
def test_a_valid_key_under_another_scheme_gets_401(client, tenant, scheme):
    response = client.get("/api/v1/cases", headers={"Authorization": f"{scheme} {tenant.key}"})
    assert response.status_code == 401


def test_an_unknown_staff_token_gets_401(client):
    response = client.get("/api/v1/cases", headers={"Authorization": "Bearer ast_0000_nope"})
    assert response.status_code == 401
    assert response.get_json()["code"] == 401


def test_the_401_and_the_admin_403_say_what_is_needed(client, technician, tenant):
    missing = client.get("/api/v1/cases")
    assert missing.status_code == 401
    assert missing.get_json()["message"] == (
        "A valid API key or staff token is required: Authorization: Bearer <token>."
    )
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="aftersales"'
    refused = client.get(f"/api/v1/storefronts/{tenant.storefront.id}", headers=technician.headers)
    assert refused.status_code == 403
    assert refused.get_json()["message"] == "Only administrators may do this."
