from __future__ import annotations


def test_a_storefront_updates_consents_with_if_match(client, tenant, open_case):
    case = open_case()
    url = f"/api/v1/customers/{case['customer']['id']}"
    missing = client.patch(url, json={"consent_sms": False}, headers=tenant.headers)
    assert missing.status_code == 428
    etag = client.get(url, headers=tenant.headers).headers["ETag"]
    response = client.patch(
        url,
        json={"consent_sms": False, "locale": "en"},
        headers={**tenant.headers, "If-Match": etag},
    )
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["consent_sms"], response.get_json()["locale"]) == (False, "en")
    stale = client.patch(
        url, json={"consent_sms": True}, headers={**tenant.headers, "If-Match": etag}
    )
    assert stale.status_code == 412


def test_bad_customer_updates_name_the_field_and_change_nothing(client, tenant, open_case):
    case = open_case()
    url = f"/api/v1/customers/{case['customer']['id']}"
    etag = client.get(url, headers=tenant.headers).headers["ETag"]
    for body, field in (
        ({"phone": "123"}, "phone"),
        ({"locale": "fr"}, "locale"),
        ({"vip": True}, "vip"),
    ):
        response = client.patch(url, json=body, headers={**tenant.headers, "If-Match": etag})
        assert response.status_code == 422
        assert field in response.get_json()["errors"]["json"]
    after = client.get(url, headers=tenant.headers).get_json()
    assert after == case["customer"]
