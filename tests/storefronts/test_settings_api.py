"""Storefront settings and API keys over the API and the CLI: admins only, one
validation (a unique case prefix) for all, If-Match on changes, keys shown once,
revoked keys 401, `last_used_at` noted at most once a minute."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from service.core.db import utcnow
from service.storefronts.keys import note_use
from service.storefronts.models import ApiKey, Storefront


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def settings_path(tenant) -> str:
    return f"/api/v1/storefronts/{tenant.storefront.id}"


def test_an_admin_reads_and_changes_settings_with_if_match(client, admin, tenant, db_session):
    path = settings_path(tenant)
    current = client.get(path, headers=admin.headers)
    assert current.status_code == 200
    assert current.get_json()["case_prefix"] == "MS"
    body = {"warranty_months": 24, "resolution_hours": {"repair": 72}, "case_prefix": "mx"}
    assert client.patch(path, json=body, headers=admin.headers).status_code == 428
    changed = client.patch(
        path, json=body, headers={**admin.headers, "If-Match": current.headers["ETag"]}
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["case_prefix"] == "MX"
    db_session.refresh(tenant.storefront)
    assert tenant.storefront.warranty_months == 24
    assert tenant.storefront.resolution_hours == {"repair": 72}
    stale = client.patch(
        path,
        json={"tax_rate_bp": 5},
        headers={**admin.headers, "If-Match": current.headers["ETag"]},
    )
    assert stale.status_code == 412


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"case_prefix": "OS"}, "case_prefix"),
        ({"case_prefix": "1AB"}, "case_prefix"),
        ({"quiet_end_hour": 24}, "quiet_end_hour"),
        ({"resolution_hours": {"teleport": 5}}, "resolution_hours"),
        ({"case_seq": 0}, "case_seq"),
    ],
)
def test_bad_settings_are_named_and_nothing_is_written(
    client, admin, tenant, other_tenant, db_session, body, field
):
    path = settings_path(tenant)
    etag = client.get(path, headers=admin.headers).headers["ETag"]
    response = client.patch(
        path, json={**body, "warranty_months": 30}, headers={**admin.headers, "If-Match": etag}
    )
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    db_session.refresh(tenant.storefront)
    assert tenant.storefront.warranty_months == 12 and tenant.storefront.case_prefix == "MS"


def test_a_taken_prefix_says_which_storefront_has_it(client, admin, tenant, other_tenant):
    path = settings_path(tenant)
    etag = client.get(path, headers=admin.headers).headers["ETag"]
    response = client.patch(
        path, json={"case_prefix": "os"}, headers={**admin.headers, "If-Match": etag}
    )
    assert response.get_json()["errors"]["json"]["case_prefix"] == [
        "OS is already used by Other Shop."
    ]


@pytest.mark.parametrize("role", ["agent", "technician", "supervisor"])
def test_non_admins_and_storefront_keys_may_not_touch_settings_or_keys(
    client, create_staff, tenant, role
):
    other = create_staff(role)
    for headers in (other.headers, tenant.headers):
        assert client.get(settings_path(tenant), headers=headers).status_code == 403
        assert client.get(f"{settings_path(tenant)}/keys", headers=headers).status_code == 403
        assert (
            client.post(f"{settings_path(tenant)}/keys", json={}, headers=headers).status_code
            == 403
        )


def test_an_admin_bound_elsewhere_gets_404(client, create_staff, tenant, other_tenant):
    theirs = create_staff("admin", storefront=other_tenant.storefront)
    assert client.get(settings_path(tenant), headers=theirs.headers).status_code == 404


def test_a_key_is_shown_once_listed_with_last_use_and_revoked_is_401(client, admin, tenant):
    keys = f"{settings_path(tenant)}/keys"
    created = client.post(keys, json={"label": "pos"}, headers=admin.headers)
    assert created.status_code == 201
    body = created.get_json()
    key = body["key"]
    assert key.startswith(body["prefix"]) and body["last_used_at"] is None
    assert (
        client.get("/api/v1/cases", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    )
    listed = client.get(keys, headers=admin.headers).get_json()["items"]
    mine = next(k for k in listed if k["prefix"] == body["prefix"])
    assert "key" not in mine and mine["last_used_at"] is not None
    revoked = client.post(f"{keys}/{body['prefix']}/revoke", headers=admin.headers)
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]
    assert (
        client.get("/api/v1/cases", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    )


def test_another_storefronts_key_is_404_here(client, admin, tenant, other_tenant, db_session):
    prefix = db_session.scalars(
        select(ApiKey.prefix).where(ApiKey.storefront_id == other_tenant.storefront.id)
    ).one()
    response = client.post(f"{settings_path(tenant)}/keys/{prefix}/revoke", headers=admin.headers)
    assert response.status_code == 404
    assert client.get("/api/v1/cases", headers=other_tenant.headers).status_code == 200


def test_last_used_is_written_at_most_once_a_minute(db_session, tenant):
    api_key = db_session.scalars(
        select(ApiKey).where(ApiKey.storefront_id == tenant.storefront.id)
    ).one()
    now = utcnow()
    assert note_use(db_session, api_key, now) is True
    assert note_use(db_session, api_key, now + timedelta(seconds=30)) is False
    # Another process holding an older copy re-checks in the UPDATE: no second write.
    set_committed_value(api_key, "last_used_at", None)
    assert note_use(db_session, api_key, now + timedelta(seconds=40)) is False
    assert note_use(db_session, api_key, now + timedelta(seconds=61)) is True


# --- the CLI ---------------------------------------------------------------------------


def test_the_cli_sets_settings_with_the_same_validation(app, tenant, other_tenant, db_session):
    slug = tenant.storefront.slug
    ok = cli(
        app,
        "storefronts",
        "set",
        slug,
        "--warranty-months",
        "18",
        "--resolution-hours",
        "repair=48",
    )
    assert ok.exit_code == 0, ok.output
    db_session.refresh(tenant.storefront)
    assert tenant.storefront.warranty_months == 18 and tenant.storefront.resolution_hours == {
        "repair": 48
    }
    taken = cli(app, "storefronts", "set", slug, "--case-prefix", "os", "--tax-rate-bp", "900")
    assert taken.exit_code != 0 and "case_prefix: OS is already used by Other Shop." in taken.output
    db_session.refresh(tenant.storefront)
    assert tenant.storefront.tax_rate_bp == 0
    bad = cli(app, "storefronts", "set", slug, "--quiet-start-hour", "noon")
    assert bad.exit_code != 0 and "quiet_start_hour" in bad.output
    assert "warranty_months\t18" in cli(app, "storefronts", "show", slug).output


def test_the_cli_refuses_a_new_storefront_with_a_taken_prefix(app, tenant, db_session):
    result = cli(app, "storefronts", "create", "Copy Shop", "--case-prefix", "ms")
    assert result.exit_code != 0 and "case_prefix" in result.output
    assert (
        db_session.scalars(select(Storefront).where(Storefront.name == "Copy Shop")).first() is None
    )


def test_the_cli_lists_keys_with_last_use(app, client, tenant):
    client.get("/api/v1/cases", headers=tenant.headers)
    listed = cli(app, "keys", "list", tenant.storefront.slug)
    assert listed.exit_code == 0
    line = listed.output.strip().splitlines()[0]
    assert line.startswith("ask_") and "never" not in line and line.endswith("active")


def test_storefront_keys_get_403_on_every_administration_route(app, client, tenant):
    from tests.test_tenancy import ADMIN_ONLY

    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or not rule.arguments & ADMIN_ONLY:
            continue
        url = rule.rule.replace("<uuid:staff_id>", "00000000-0000-0000-0000-000000000000")
        url = url.replace("<uuid:storefront_id>", str(tenant.storefront.id))
        url = url.replace("<string:prefix>", "ask_0")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(
                url, method=method, json={}, headers={**tenant.headers, "If-Match": "*"}
            )
            # 422: the body is checked before the role (an empty body is incomplete).
            allowed = (403,) if method in ("GET", "DELETE") else (403, 422)
            assert response.status_code in allowed, f"{method} {url}: {response.status_code}"
            checked += 1
    assert checked >= 8
