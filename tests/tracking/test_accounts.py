"""A storefront's tracking account: set by API (admins) and CLI with the same rules,
secrets never shown back, another storefront's admin gets 404."""

from __future__ import annotations

from sqlalchemy import select

from service.tracking.models import TrackingAccount


def url(tenant) -> str:
    return f"/api/v1/storefronts/{tenant.storefront.id}/tracking"


def test_an_admin_sets_the_account_by_api_and_never_sees_the_secret_again(
    db_session, client, admin, tenant
):
    assert client.get(url(tenant), headers=admin.headers).status_code == 404
    created = client.put(
        url(tenant), json={"provider": "kuaidi100", "api_key": "k-123"}, headers=admin.headers
    )
    assert created.status_code == 200, created.get_json()
    body = created.get_json()
    salt = body["generated_secret"]
    assert len(salt) == 32
    account = db_session.scalar(
        select(TrackingAccount).where(TrackingAccount.storefront_id == tenant.storefront.id)
    )
    assert (account.secret, account.api_key) == (salt, "k-123")
    assert body["callback_url"].endswith(f"/webhooks/tracking/kuaidi100/{account.callback_token}")
    shown = client.get(url(tenant), headers=admin.headers).get_json()
    assert "k-123" not in str(shown) and salt not in str(shown)
    assert shown["provider"] == "kuaidi100" and shown["enabled"] is True

    # AfterShip generates its webhook secret: it must be given.
    refused = client.put(url(tenant), json={"provider": "aftership"}, headers=admin.headers)
    assert refused.status_code == 422 and "secret" in refused.get_json()["errors"]["json"]
    off = client.put(url(tenant), json={"enabled": False}, headers=admin.headers)
    assert off.get_json()["enabled"] is False and off.get_json()["generated_secret"] is None


def test_bad_account_input_is_422_naming_the_field(client, admin, tenant):
    for body, field in (
        ({"provider": "fedex", "api_key": "k"}, "provider"),
        ({"provider": "kuaidi100", "api_key": ""}, "api_key"),
        ({"provider": "kuaidi100"}, "api_key"),
        ({"provider": "kuaidi100", "api_key": "k\u0000"}, "api_key"),
        ({"provider": "kuaidi100", "api_key": "k", "colour": "red"}, "colour"),
    ):
        response = client.put(url(tenant), json=body, headers=admin.headers)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["errors"]["json"], response.get_json()


def test_only_admins_of_the_storefront_reach_its_account(
    client, tenant, other_tenant, technician, create_staff
):
    body = {"provider": "kuaidi100", "api_key": "k"}
    assert client.put(url(tenant), json=body, headers=tenant.headers).status_code == 403
    assert client.put(url(tenant), json=body, headers=technician.headers).status_code == 403
    stranger = create_staff("admin", storefront=other_tenant.storefront)
    assert client.put(url(tenant), json=body, headers=stranger.headers).status_code == 404


def test_the_cli_sets_shows_and_renews_the_callback(app, db_session, tenant):
    runner = app.test_cli_runner()
    slug = tenant.storefront.slug
    result = runner.invoke(
        args=[
            "tracking",
            "set",
            slug,
            "--provider",
            "aftership",
            "--api-key",
            "as",
            "--secret",
            "whsec",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "whsec" not in result.output and "callback url: " in result.output
    first = runner.invoke(args=["tracking", "show", slug]).output
    renewed = runner.invoke(args=["tracking", "renew-callback", slug]).output
    assert first != renewed and "/webhooks/tracking/aftership/" in renewed
    refused = runner.invoke(args=["tracking", "set", slug, "--provider", "fedex"])
    assert refused.exit_code != 0
