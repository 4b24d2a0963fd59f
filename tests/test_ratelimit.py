"""Rate limits (service/core/ratelimit.py) on the real Redis: per key and per staff
token with separate read and write budgets, a storefront's own budgets, per IP on the
customer pages, the inbound webhooks and the sign-in; 429 in the error shape with
Retry-After and the IETF draft's RateLimit headers; fail open without Redis."""

from __future__ import annotations

import logging
import re
import uuid

import pytest
from redis import Redis
from sqlalchemy import event, func, select

from service.cases.models import Case
from service.notifications.models import NoticeStatus, Notification
from service.storefronts.keys import issue_key
from tests.conftest import case_payload
from tests.workspace.conftest import post_form


@pytest.fixture
def limits(app, monkeypatch):
    """Limits on (the shared app runs without them), with budgets a test can set."""
    settings = app.config["SETTINGS"]
    monkeypatch.setattr(settings, "rate_limits_enabled", True)

    def set_budgets(**budgets: int) -> None:
        for name, value in budgets.items():
            assert hasattr(settings, name), name
            monkeypatch.setattr(settings, name, value)

    return set_budgets


def fresh_ip() -> str:
    """A client address of this test only (the Redis windows outlive a test run)."""
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


def assert_refused(response, policy: str, quota: int) -> None:
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert response.headers["RateLimit-Policy"] == f'"{policy}";q={quota};w=60'
    assert re.fullmatch(rf'"{policy}";r=0;t=\d+', response.headers["RateLimit"])


def test_300_creates_with_one_key_get_429_once_its_budget_is_spent_and_refused_ones_notify_none(
    limits, app, client, db_session, tenant, other_tenant
):
    limits(rate_limit_key_write_per_minute=40)
    answers = [
        client.post("/api/v1/cases", json=case_payload(), headers=tenant.headers)
        for _ in range(300)
    ]
    codes = [answer.status_code for answer in answers]
    # A moving window: exactly the budget gets through, then everything is refused.
    assert codes == [201] * 40 + [429] * 260
    refused = answers[-1]
    assert_refused(refused, "write", 40)
    body = refused.get_json()
    assert (body["code"], body["status"]) == (429, "Too Many Requests")
    assert body["message"] and body["errors"] == {}
    assert answers[0].headers["RateLimit"].startswith('"write";r=39;t=')

    cases = db_session.scalars(select(Case.id).where(Case.storefront_id == tenant.storefront.id))
    case_ids = set(cases)
    assert len(case_ids) == 40
    notices = db_session.scalars(select(Notification.case_id)).all()
    mine = [case_id for case_id in notices if case_id in case_ids]
    # One e-mail and one SMS per accepted case, none for the 260 refused requests.
    assert len(mine) == 80 and set(mine) == case_ids
    # And one phone gets no more than its hourly cap, however many cases name it.
    sms_sent = db_session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.recipient == "+8613800138000",
            Notification.status != NoticeStatus.suppressed,
        )
    )
    assert sms_sent == app.config["SETTINGS"].notices_per_recipient_per_hour

    # Another key of the same storefront, and another storefront's, have budgets of their own.
    _key, second_key = issue_key(db_session, tenant.storefront, "second")
    db_session.commit()
    second = client.post(
        "/api/v1/cases", json=case_payload(), headers={"Authorization": f"Bearer {second_key}"}
    )
    assert second.status_code == 201
    assert (
        client.post("/api/v1/cases", json=case_payload(), headers=other_tenant.headers).status_code
        == 201
    )
    # Reads are a budget of their own: the spent key still reads.
    read = client.get("/api/v1/cases", headers=tenant.headers)
    assert read.status_code == 200
    assert read.headers["RateLimit-Policy"] == '"read";q=600;w=60'


def test_a_storefronts_own_budgets_override_the_defaults_for_its_keys(
    limits, client, db_session, tenant, other_tenant
):
    limits(rate_limit_key_read_per_minute=50)
    tenant.storefront.rate_limit_read_per_minute = 2
    db_session.commit()
    codes = [client.get("/api/v1/cases", headers=tenant.headers).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert_refused(client.get("/api/v1/cases", headers=tenant.headers), "read", 2)
    other = client.get("/api/v1/cases", headers=other_tenant.headers)
    assert other.status_code == 200 and other.headers["RateLimit-Policy"] == '"read";q=50;w=60'


def test_a_storefronts_budgets_are_set_through_the_api_and_validated(
    client, admin, tenant, db_session
):
    path = f"/api/v1/storefronts/{tenant.storefront.id}"
    current = client.get(path, headers=admin.headers)
    assert current.get_json()["rate_limit_write_per_minute"] is None
    bad = client.patch(
        path,
        json={"rate_limit_write_per_minute": 0},
        headers={**admin.headers, "If-Match": current.headers["ETag"]},
    )
    assert bad.status_code == 422
    assert "rate_limit_write_per_minute" in bad.get_json()["errors"]["json"]
    changed = client.patch(
        path,
        json={"rate_limit_write_per_minute": 1000, "rate_limit_read_per_minute": None},
        headers={**admin.headers, "If-Match": current.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.get_json()
    db_session.refresh(tenant.storefront)
    assert tenant.storefront.rate_limit_write_per_minute == 1000


def test_each_api_key_has_its_own_budget_even_from_one_address(limits, client, db_session, tenant):
    limits(rate_limit_key_read_per_minute=2)
    _row, second_key = issue_key(db_session, tenant.storefront, label="second")
    db_session.commit()
    ip = {"REMOTE_ADDR": fresh_ip()}
    first = [
        client.get("/api/v1/cases", headers=tenant.headers, environ_base=ip).status_code
        for _ in range(3)
    ]
    assert first == [200, 200, 429]
    second = client.get(
        "/api/v1/cases", headers={"Authorization": f"Bearer {second_key}"}, environ_base=ip
    )
    assert second.status_code == 200


def test_the_limiter_and_the_view_share_one_lookup_of_the_key(limits, app, client, tenant):
    client.get("/api/v1/cases", headers=tenant.headers)  # the key's use is noted once a minute
    lookups: list[str] = []
    engine = app.extensions["database"].engine

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        if "FROM api_keys" in statement:
            lookups.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get("/api/v1/cases", headers=tenant.headers)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200 and "RateLimit" in response.headers
    assert len(lookups) == 1, lookups


def test_each_staff_token_has_its_own_budget(limits, client, create_staff):
    limits(rate_limit_staff_read_per_minute=2)
    first, second = create_staff("agent"), create_staff("agent")
    codes = [client.get("/api/v1/me", headers=first.headers).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert client.get("/api/v1/me", headers=second.headers).status_code == 200


def test_calls_without_valid_credentials_are_limited_per_ip(limits, client):
    limits(rate_limit_key_read_per_minute=2)
    ip, headers = fresh_ip(), {"Authorization": "Bearer ask_guess"}
    codes = [
        client.get("/api/v1/cases", headers=headers, environ_base={"REMOTE_ADDR": ip}).status_code
        for _ in range(3)
    ]
    assert codes == [401, 401, 429]


def test_customer_pages_are_limited_per_ip_and_refused_with_a_page(limits, client):
    limits(rate_limit_customer_pages_per_minute=2)
    ip = fresh_ip()
    answers = [client.get("/c/not-a-token", environ_base={"REMOTE_ADDR": ip}) for _ in range(3)]
    assert [a.status_code for a in answers][-1] == 429
    assert answers[-1].mimetype == "text/html"
    assert_refused(answers[-1], "customer_pages", 2)
    other = client.get("/c/not-a-token", environ_base={"REMOTE_ADDR": fresh_ip()})
    assert other.status_code != 429


@pytest.mark.parametrize("path", ["/webhooks/sms/twilio", "/webhooks/mail/inbound"])
def test_inbound_webhooks_are_limited_per_ip_in_the_error_shape(limits, client, path):
    limits(rate_limit_webhooks_per_minute=2)
    ip = fresh_ip()
    answers = [client.post(path, data=b"x", environ_base={"REMOTE_ADDR": ip}) for _ in range(3)]
    assert [a.status_code for a in answers[:2]] != [429, 429]
    assert_refused(answers[2], "webhooks", 2)
    assert answers[2].get_json()["code"] == 429
    # Each webhook has its own window: the other one still answers this address.
    other = next(p for p in ("/webhooks/sms/twilio", "/webhooks/mail/inbound") if p != path)
    assert client.post(other, data=b"x", environ_base={"REMOTE_ADDR": ip}).status_code != 429


def test_sign_in_attempts_are_limited_per_ip_but_showing_the_form_is_not(limits, client):
    limits(rate_limit_sign_in_per_minute=2)
    ip = fresh_ip()
    attempt = {"email": "nobody@desk.example", "password": "not the password"}
    codes = [
        post_form(client, "/login", attempt, environ_base={"REMOTE_ADDR": ip}).status_code
        for _ in range(3)
    ]
    assert codes[-1] == 429 and 429 not in codes[:2]
    assert_refused(
        post_form(client, "/login", attempt, environ_base={"REMOTE_ADDR": ip}), "sign_in", 2
    )
    assert client.get("/login", environ_base={"REMOTE_ADDR": ip}).status_code == 200


def test_limits_fail_open_when_redis_is_unreachable(
    limits, app, client, tenant, monkeypatch, caplog
):
    limits(rate_limit_key_write_per_minute=1)
    storage = app.extensions["rate_limiter"].storage
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    # The limiter's next connection is to a port nothing listens on.
    monkeypatch.setattr(storage, "_factory", lambda: dead)
    monkeypatch.setattr(storage, "_client", None)
    for name in [name for name in vars(storage) if name.startswith("lua_")]:
        monkeypatch.delattr(storage, name)
    with caplog.at_level(logging.ERROR, logger="flask-limiter"):
        codes = [
            client.post("/api/v1/cases", json=case_payload(), headers=tenant.headers).status_code
            for _ in range(3)
        ]
    assert codes == [201, 201, 201]
    assert "Failed to rate limit" in caplog.text
