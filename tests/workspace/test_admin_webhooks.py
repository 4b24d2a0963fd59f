"""The webhooks admin page: an endpoint registered with its secret shown once, rotated,
disabled and enabled, a test event, and the delivery log with redeliver."""

from __future__ import annotations

import re

from sqlalchemy import select

from service.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.workspace.conftest import post_form


def secret_of(html: str) -> str:
    match = re.search(r"data-secret>([^<]+)<", html)
    assert match, "no secret shown"
    return match.group(1).strip()


def test_an_endpoint_is_added_with_its_secret_shown_once_then_rotated_and_disabled(
    app, admin_in, db_session, tenant, monkeypatch
):
    monkeypatch.setattr(app.config["SETTINGS"], "webhook_allow_loopback", True)
    path = f"/admin/storefronts/{tenant.storefront.id}/webhooks"
    assert admin_in.get(path).status_code == 200
    body = {"url": "http://127.0.0.1:9/hooks", "event_types": ["case.created"]}
    response = post_form(admin_in, path, body)
    assert response.status_code == 200
    secret = secret_of(response.get_data(as_text=True))
    assert secret.startswith("whsec_")
    assert secret not in admin_in.get(path).get_data(as_text=True)
    endpoint = db_session.scalars(select(WebhookEndpoint)).one()
    assert endpoint.event_types == ["case.created"]

    rotated = post_form(admin_in, f"{path}/{endpoint.id}/rotate", {}, token_from=path)
    assert secret_of(rotated.get_data(as_text=True)) not in (secret, "")
    db_session.refresh(endpoint)
    assert endpoint.previous_secret == secret

    post_form(admin_in, f"{path}/{endpoint.id}/switch", {}, token_from=path)
    db_session.refresh(endpoint)
    assert endpoint.enabled is False

    post_form(admin_in, f"{path}/{endpoint.id}/switch", {}, token_from=path)
    post_form(admin_in, f"{path}/{endpoint.id}/test", {}, token_from=path)
    delivery = db_session.scalars(select(WebhookDelivery)).one()
    log = admin_in.get(f"{path}/{endpoint.id}/deliveries")
    assert log.status_code == 200 and "webhook.test" in log.get_data(as_text=True)
    post_form(
        admin_in,
        f"{path}/{endpoint.id}/deliveries/{delivery.id}/redeliver",
        {},
        token_from=f"{path}/{endpoint.id}/deliveries",
    )
    assert len(db_session.scalars(select(WebhookDelivery)).all()) == 2


def test_a_private_url_is_refused_on_its_field_and_nothing_written(admin_in, db_session, tenant):
    path = f"/admin/storefronts/{tenant.storefront.id}/webhooks"
    response = post_form(admin_in, path, {"url": "https://10.0.0.1/hooks"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'<label class="field invalid">\s*<span>[^<]+</span>\s*<[^>]+name="url"', html)
    assert db_session.scalars(select(WebhookEndpoint)).all() == []


def test_another_storefronts_endpoint_is_not_found(
    app, admin_in, db_session, tenant, other_tenant, monkeypatch
):
    monkeypatch.setattr(app.config["SETTINGS"], "webhook_allow_loopback", True)
    path = f"/admin/storefronts/{tenant.storefront.id}/webhooks"
    post_form(admin_in, path, {"url": "http://127.0.0.1:9/hooks"})
    endpoint = db_session.scalars(select(WebhookEndpoint)).one()
    other = f"/admin/storefronts/{other_tenant.storefront.id}/webhooks/{endpoint.id}/deliveries"
    assert admin_in.get(other).status_code == 404
