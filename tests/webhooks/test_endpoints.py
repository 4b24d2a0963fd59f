"""Registering webhook endpoints: the secret shown once, the SSRF guard at registration
and at every attempt, secret rotation, and another storefront's endpoints hidden."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from service.core.db import utcnow
from service.webhooks.models import WebhookAttempt, WebhookEndpoint

ENDPOINTS = "/api/v1/webhooks/endpoints"

PRIVATE_URLS = [
    "https://127.0.0.1/hooks",
    "https://10.1.2.3/hooks",
    "https://169.254.169.254/latest/meta-data",
    "https://[::1]/hooks",
    "https://intranet.shop.test/hooks",  # a DNS name resolving to 10.0.0.7
]


def endpoints_count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(WebhookEndpoint))


def test_an_endpoint_is_registered_with_its_secret_shown_once(client, tenant, stub_dns):
    response = client.post(
        ENDPOINTS,
        json={"url": "https://hooks.shop.test/in", "event_types": ["case.created"]},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["secret"].startswith("whsec_")
    shown = client.get(f"{ENDPOINTS}/{created['id']}", headers=tenant.headers)
    assert shown.status_code == 200
    assert "secret" not in shown.get_json()
    listed = client.get(ENDPOINTS, headers=tenant.headers).get_json()["items"]
    assert [e["id"] for e in listed] == [created["id"]] and "secret" not in listed[0]


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_private_and_loopback_addresses_are_refused_at_registration(
    client, tenant, stub_dns, db_session, url
):
    response = client.post(ENDPOINTS, json={"url": url}, headers=tenant.headers)
    assert response.status_code == 422, response.get_json()
    assert "url" in response.get_json()["errors"]["json"]
    assert endpoints_count(db_session) == 0


def test_plain_http_is_refused_outside_development(client, tenant, stub_dns, db_session):
    response = client.post(
        ENDPOINTS, json={"url": "http://hooks.shop.test/in"}, headers=tenant.headers
    )
    assert response.status_code == 422
    assert "https" in response.get_json()["errors"]["json"]["url"][0]
    assert endpoints_count(db_session) == 0


def test_an_unknown_event_type_is_refused_naming_the_field(client, tenant, stub_dns, db_session):
    body = {"url": "https://hooks.shop.test/in", "event_types": ["case.exploded"]}
    response = client.post(ENDPOINTS, json=body, headers=tenant.headers)
    assert response.status_code == 422
    assert "event_types" in response.get_json()["errors"]["json"]
    assert endpoints_count(db_session) == 0


def test_loopback_is_refused_unless_the_development_setting_allows_it(
    client, tenant, app, monkeypatch
):
    body = {"url": "http://127.0.0.1:9/hooks"}
    assert client.post(ENDPOINTS, json=body, headers=tenant.headers).status_code == 422
    monkeypatch.setattr(app.config["SETTINGS"], "webhook_allow_loopback", True)
    assert client.post(ENDPOINTS, json=body, headers=tenant.headers).status_code == 201
    # The allowance is for loopback only: private ranges stay refused.
    body = {"url": "http://10.0.0.1/hooks"}
    assert client.post(ENDPOINTS, json=body, headers=tenant.headers).status_code == 422


@pytest.mark.parametrize("address", ["127.0.0.1", "10.9.8.7", "169.254.169.254", "::1"])
def test_a_name_turned_private_after_registration_is_refused_at_send_time(
    client, tenant, stub_dns, register, run_deliveries, db_session, open_case, address
):
    endpoint = register("https://hooks.shop.test/in")
    stub_dns["hooks.shop.test"] = address  # the DNS answer changed since
    open_case()
    assert run_deliveries(rounds=1) == 1
    attempt = db_session.scalars(select(WebhookAttempt)).one()
    assert attempt.status_code is None
    assert attempt.error.startswith("refused:")
    log = client.get(f"{ENDPOINTS}/{endpoint['id']}/deliveries", headers=tenant.headers)
    assert log.get_json()["items"][0]["attempt_log"][0]["error"].startswith("refused:")


def test_another_storefronts_endpoint_is_not_found(
    client, tenant, other_tenant, stub_dns, register
):
    endpoint = register("https://hooks.shop.test/in")
    for method, path in [
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/rotate-secret"),
        ("POST", "/test"),
        ("GET", "/deliveries"),
        ("POST", "/recover"),
    ]:
        body = {"since": "2026-01-01T00:00:00Z"} if path == "/recover" else {}
        response = client.open(
            f"{ENDPOINTS}/{endpoint['id']}{path}",
            method=method,
            json=body,
            headers={**other_tenant.headers, "If-Match": "*"},
        )
        assert response.status_code == 404, (method, path, response.get_json())
    assert client.get(ENDPOINTS, headers=other_tenant.headers).get_json()["items"] == []


def test_during_the_overlap_both_secrets_verify_and_after_it_only_the_new_one(
    client, tenant, hooked, receiver, run_deliveries, db_session
):
    old = hooked["secret"]
    url = f"{ENDPOINTS}/{hooked['id']}"
    rotated = client.post(f"{url}/rotate-secret", json={"overlap_hours": 2}, headers=tenant.headers)
    assert rotated.status_code == 200
    new = rotated.get_json()["secret"]
    assert new.startswith("whsec_") and new != old

    def verified_with(secret: str) -> bool:
        receiver.secrets[:] = [secret]
        before = len(receiver.requests)
        assert client.post(f"{url}/test", headers=tenant.headers).status_code == 202
        run_deliveries()
        return len(receiver.requests) == before + 1

    assert verified_with(old)
    assert verified_with(new)
    # The overlap is over.
    db_session.execute(
        update(WebhookEndpoint).values(previous_secret_expires_at=utcnow() - timedelta(seconds=1))
    )
    db_session.commit()
    assert not verified_with(old)
    assert verified_with(new)


def test_disabling_holds_deliveries_and_enabling_sends_them(
    client, tenant, hooked, receiver, run_deliveries, open_case
):
    url = f"{ENDPOINTS}/{hooked['id']}"
    open_case()
    etag = client.get(url, headers=tenant.headers).headers["ETag"]
    off = client.patch(url, json={"enabled": False}, headers={**tenant.headers, "If-Match": etag})
    assert off.status_code == 200 and off.get_json()["enabled"] is False
    open_case()  # while disabled: not for this endpoint (the feed has it)
    run_deliveries()
    assert receiver.requests == []
    etag = off.headers["ETag"]
    on = client.patch(url, json={"enabled": True}, headers={**tenant.headers, "If-Match": etag})
    assert on.status_code == 200
    run_deliveries()
    assert [r.payload["type"] for r in receiver.accepted()] == ["case.created"]


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["webhooks", *args])


def test_the_cli_registers_lists_rotates_and_disables_an_endpoint(
    app, tenant, stub_dns, db_session
):
    slug = tenant.storefront.slug
    created = cli(app, "create", slug, "https://hooks.shop.test/in", "--event", "case.created")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("whsec_")
    endpoint = db_session.scalars(select(WebhookEndpoint)).one()
    assert endpoint.event_types == ["case.created"]
    listed = cli(app, "list", slug)
    assert str(endpoint.id) in listed.output and secret not in listed.output
    rotated = cli(app, "rotate", str(endpoint.id), "--overlap-hours", "0")
    assert rotated.exit_code == 0 and rotated.stdout.strip() != secret
    assert cli(app, "disable", str(endpoint.id)).exit_code == 0
    db_session.refresh(endpoint)
    assert endpoint.enabled is False and endpoint.previous_secret is None


def test_the_cli_refuses_a_private_url_naming_the_field(app, tenant, stub_dns, db_session):
    result = cli(app, "create", tenant.storefront.slug, "https://intranet.shop.test/in")
    assert result.exit_code != 0 and "url:" in result.output
    assert endpoints_count(db_session) == 0
