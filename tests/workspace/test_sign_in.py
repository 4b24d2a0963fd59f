"""Signing in: the login form, the session cookie, CSRF on every POST, the throttle,
deactivated accounts, logout, changing one's own password."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from service.core.db import utcnow
from service.workspace.models import LoginFailure, StaffSession
from service.workspace.sessions import MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_IP
from tests.workspace.conftest import PASSWORD, csrf_token, post_form


def _login(client, email, password=PASSWORD, **kw):
    return post_form(client, "/login", {"email": email, "password": password}, **kw)


def test_the_root_sends_a_stranger_to_sign_in_and_staff_to_the_queue(client, agent):
    assert client.get("/").headers["Location"] == "/login"
    assert client.get("/queue").headers["Location"].startswith("/login?next=/queue")
    _login(client, agent.user.email)
    assert client.get("/").headers["Location"] == "/queue"


def test_signing_in_sets_an_httponly_lax_cookie_holding_only_a_random_id(client, agent, db_session):
    response = _login(client, agent.user.email)
    assert response.status_code == 303
    assert response.headers["Location"] == "/queue"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "aftersales_staff=" in c)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    # Served over http:// in development: a Secure cookie would never come back.
    assert "Secure" not in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    assert len(token) >= 40
    stored = db_session.scalars(select(StaffSession)).one()
    assert stored.staff_user_id == agent.user.id and stored.token_hash != token


def test_the_cookie_is_secure_when_the_site_is_https(app, client, agent):
    settings = app.config["SETTINGS"]
    settings.secure_cookies = True
    try:
        response = _login(client, agent.user.email)
    finally:
        settings.secure_cookies = False
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "aftersales_staff=" in c)
    assert "Secure" in cookie


def test_signing_in_again_rotates_the_session_id(client, agent, db_session):
    first = _login(client, agent.user.email).headers["Set-Cookie"]
    second = _login(client, agent.user.email, token_from="/queue").headers["Set-Cookie"]
    assert first != second
    # The old session ended: one row, the new one.
    assert db_session.scalar(select(func.count()).select_from(StaffSession)) == 1


def test_a_post_without_the_csrf_token_is_refused_and_signs_no_one_in(client, agent, db_session):
    response = client.post("/login", data={"email": agent.user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(StaffSession)) == 0
    forged = client.post(
        "/login", data={"email": agent.user.email, "password": PASSWORD, "csrf_token": "x"}
    )
    assert forged.status_code == 400


def test_signed_in_posts_need_the_token_too(desk, db_session):
    assert desk.post("/logout").status_code == 400
    assert db_session.scalar(select(func.count()).select_from(StaffSession)) == 1


def test_a_wrong_password_says_so_and_is_counted(client, agent, db_session):
    response = _login(client, agent.user.email, "not the password")
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.get_data(as_text=True)
    assert "aftersales_staff=" not in response.headers.get("Set-Cookie", "")
    assert db_session.scalar(select(func.count()).select_from(LoginFailure)) == 1


def test_an_empty_form_names_the_fields(client, db_session):
    response = post_form(client, "/login", {"email": "", "password": ""})
    assert response.status_code == 422
    assert response.get_data(as_text=True).count('class="error"') == 2
    assert db_session.scalar(select(func.count()).select_from(LoginFailure)) == 0


def test_too_many_failures_for_an_account_wait_even_with_the_right_password(
    client, agent, db_session
):
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        assert _login(client, agent.user.email, "guess").status_code == 401
    response = _login(client, agent.user.email)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins. Try again in 15 minutes." in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(StaffSession)) == 0


def test_failures_older_than_the_window_no_longer_count(client, agent, db_session):
    long_ago = utcnow() - timedelta(minutes=16)
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        db_session.add(LoginFailure(email=agent.user.email, ip="127.0.0.1", created_at=long_ago))
    db_session.commit()
    assert _login(client, agent.user.email).status_code == 303


def test_too_many_failures_from_one_address_wait_for_every_account(client, agent, db_session):
    now = utcnow()
    for n in range(MAX_FAILURES_PER_IP):
        db_session.add(LoginFailure(email=f"guess{n}@x.example", ip="127.0.0.1", created_at=now))
    db_session.commit()
    assert _login(client, agent.user.email).status_code == 429
    # Another address is not held up by this one.
    other = _login(client, agent.user.email, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 303


def test_a_success_clears_the_accounts_failures(client, agent, db_session):
    _login(client, agent.user.email, "guess")
    _login(client, agent.user.email)
    assert db_session.scalar(select(func.count()).select_from(LoginFailure)) == 0


def test_a_deactivated_account_is_told_so_and_its_sessions_end(client, sign_in, agent, db_session):
    sign_in(agent)
    agent.user.active = False
    db_session.commit()
    # The open session no longer works...
    assert client.get("/queue").headers["Location"].startswith("/login")
    # ... and signing in explains why, to whoever knows the password only.
    response = _login(client, agent.user.email)
    assert response.status_code == 403
    assert "This account has been deactivated." in response.get_data(as_text=True)
    assert _login(client, agent.user.email, "guess").status_code == 401


def test_an_idle_session_ends(client, sign_in, agent, db_session):
    sign_in(agent)
    session_row = db_session.scalars(select(StaffSession)).one()
    session_row.last_seen_at = utcnow() - timedelta(minutes=481)
    db_session.commit()
    assert client.get("/queue").status_code == 302
    assert db_session.scalar(select(func.count()).select_from(StaffSession)) == 0


def test_logout_ends_the_session(desk, db_session):
    response = post_form(desk, "/logout", {}, token_from="/queue")
    assert response.status_code == 303
    assert db_session.scalar(select(func.count()).select_from(StaffSession)) == 0
    assert desk.get("/queue").status_code == 302


def test_the_next_page_after_signing_in_stays_on_this_site(client, agent):
    token = csrf_token(client)
    for target, expected in (
        ("/queue?status=open", "/queue?status=open"),
        ("//evil.example", "/queue"),
        ("https://evil.example/", "/queue"),
    ):
        response = client.post(
            "/login",
            data={
                "email": agent.user.email,
                "password": PASSWORD,
                "next": target,
                "csrf_token": token,
            },
        )
        assert response.headers["Location"] == expected


def test_changing_the_password_needs_the_current_one(desk, agent, db_session, client):
    wrong = post_form(
        desk,
        "/account/password",
        {"current": "nope", "new": "another long one", "repeat": "another long one"},
    )
    assert wrong.status_code == 422
    assert "That is not your current password." in wrong.get_data(as_text=True)
    short = post_form(
        desk, "/account/password", {"current": PASSWORD, "new": "short", "repeat": "short"}
    )
    assert short.status_code == 422
    done = post_form(
        desk,
        "/account/password",
        {"current": PASSWORD, "new": "another long one", "repeat": "another long one"},
    )
    assert done.status_code == 303
    post_form(desk, "/logout", {}, token_from="/queue")
    assert _login(client, agent.user.email).status_code == 401
    assert _login(client, agent.user.email, "another long one").status_code == 303


def test_pages_are_never_cached_and_cannot_be_framed(desk):
    response = desk.get("/queue")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_signing_in_prunes_dead_sessions_and_failing_prunes_old_failures(
    client, agent, technician, db_session
):
    from service.workspace.sessions import _hash

    long_ago = utcnow() - timedelta(days=2)
    db_session.add(
        StaffSession(
            token_hash=_hash("forgotten"),
            staff_user_id=technician.user.id,
            created_at=long_ago,
            last_seen_at=long_ago,
        )
    )
    db_session.add(LoginFailure(email="someone@x.example", ip="10.1.1.1", created_at=long_ago))
    db_session.commit()
    _login(client, agent.user.email, "guess")
    assert db_session.scalars(select(LoginFailure.email)).all() == [agent.user.email]
    _login(client, agent.user.email)
    assert db_session.scalars(select(StaffSession.staff_user_id)).all() == [agent.user.id]
