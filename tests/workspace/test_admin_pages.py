"""Administration pages: every operation through the page (CSRF and all), bad input
named on its field with nothing written, and only admins may see or reach them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from service.staff.models import StaffRole, StaffToken, StaffUser
from service.storefronts.models import ApiKey, Storefront
from service.workspace.models import StaffSession
from tests.workspace.conftest import PASSWORD, csrf_token, post_form


def count(db_session, model, *where) -> int:
    return db_session.scalar(select(func.count()).select_from(model).where(*where))


def secret_of(html: str) -> str:
    match = re.search(r"data-secret>([^<]+)<", html)
    assert match, "no secret shown"
    return match.group(1).strip()


def test_an_admin_creates_a_technician_bound_to_a_storefront(admin_in, db_session, tenant):
    response = post_form(
        admin_in,
        "/admin/staff",
        {
            "email": "New.Tech@Desk.example",
            "name": "Nina Tech",
            "role": "technician",
            "storefront_id": str(tenant.storefront.id),
            "password": "",
        },
        token_from="/admin",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    user = db_session.scalars(
        select(StaffUser).where(StaffUser.email == "new.tech@desk.example")
    ).one()
    assert user.role == StaffRole.technician and user.storefront_id == tenant.storefront.id
    # The generated password is shown once and works; the list page never shows it.
    password = secret_of(html)
    assert password not in admin_in.get("/admin").get_data(as_text=True)
    from service.staff.accounts import check_login

    assert check_login(db_session, "new.tech@desk.example", password) is not None


@pytest.mark.parametrize(
    ("field", "data", "message"),
    [
        ("email", {"email": "not-an-email"}, ""),
        ("role", {"role": "janitor"}, "One of"),
        ("password", {"password": "short"}, "at least"),
        ("storefront_id", {"storefront_id": "not-a-uuid"}, "No such storefront"),
    ],
)
def test_creating_staff_with_bad_input_names_the_field_and_writes_nothing(
    admin_in, db_session, field, data, message
):
    before = count(db_session, StaffUser)
    body = {"email": "x@desk.example", "name": "X", "role": "agent", "password": "", **data}
    response = post_form(admin_in, "/admin/staff", body, token_from="/admin")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    label = re.search(
        rf'<label class="field invalid">\s*<span>([^<]+)</span>\s*<[^>]+name="{field}"', html
    )
    assert label, f"{field} not marked invalid"
    assert message in html
    assert count(db_session, StaffUser) == before


def test_an_existing_email_is_refused_on_its_field(admin_in, db_session, agent):
    before = count(db_session, StaffUser)
    response = post_form(
        admin_in,
        "/admin/staff",
        {"email": agent.user.email, "name": "Dup", "role": "agent"},
        token_from="/admin",
    )
    assert response.status_code == 422
    assert "already has an account" in response.get_data(as_text=True)
    assert count(db_session, StaffUser) == before


def test_an_admin_changes_role_and_binds_then_unbinds_a_storefront(
    admin_in, db_session, technician, tenant
):
    path = f"/admin/staff/{technician.user.id}"
    body = {"name": "Tom T.", "role": "supervisor", "storefront_id": str(tenant.storefront.id)}
    response = post_form(admin_in, path, body)
    assert response.status_code == 303
    db_session.refresh(technician.user)
    assert technician.user.role == StaffRole.supervisor and technician.user.name == "Tom T."
    assert technician.user.storefront_id == tenant.storefront.id
    assert post_form(admin_in, path, {**body, "storefront_id": ""}).status_code == 303
    db_session.refresh(technician.user)
    assert technician.user.storefront_id is None


def test_a_bad_role_change_is_named_and_nothing_changes(admin_in, db_session, technician):
    path = f"/admin/staff/{technician.user.id}"
    response = post_form(admin_in, path, {"name": "", "role": "janitor", "storefront_id": ""})
    assert response.status_code == 422
    db_session.refresh(technician.user)
    assert technician.user.role == StaffRole.technician and technician.user.name == "Tom Tech"


def test_the_last_admin_cannot_demote_themselves(admin_in, db_session, admin):
    path = f"/admin/staff/{admin.user.id}"
    others = count(db_session, StaffUser, StaffUser.role == StaffRole.admin, StaffUser.active)
    if others > 1:
        pytest.skip("other admins exist in this database")
    response = post_form(admin_in, path, {"name": "Ada", "role": "agent", "storefront_id": ""})
    assert response.status_code == 422
    assert "last active administrator" in response.get_data(as_text=True)
    db_session.refresh(admin.user)
    assert admin.user.role == StaffRole.admin


def test_deactivating_ends_sessions_and_tokens_and_reactivating_lets_them_sign_in(
    app, admin_in, db_session, technician
):
    other = app.test_client()
    token = csrf_token(other)
    signed = other.post(
        "/login", data={"email": technician.user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert signed.status_code == 303
    assert count(db_session, StaffSession, StaffSession.staff_user_id == technician.user.id) == 1
    path = f"/admin/staff/{technician.user.id}"
    response = post_form(admin_in, f"{path}/active", {"value": "0"}, token_from=path)
    assert response.status_code == 303
    db_session.refresh(technician.user)
    assert technician.user.active is False
    assert count(db_session, StaffSession, StaffSession.staff_user_id == technician.user.id) == 0
    assert other.get("/queue").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=technician.headers).status_code == 401
    # A deactivated account gets a clear message at sign-in.
    again = app.test_client()
    token = csrf_token(again)
    refused = again.post(
        "/login", data={"email": technician.user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert "deactivated" in refused.get_data(as_text=True).lower()
    # Reactivated: they sign in again, but the revoked token stays revoked.
    assert post_form(admin_in, f"{path}/active", {"value": "1"}, token_from=path).status_code == 303
    db_session.refresh(technician.user)
    assert technician.user.active is True
    assert app.test_client().get("/api/v1/me", headers=technician.headers).status_code == 401


def test_resetting_a_password_shows_it_once_and_signs_them_out(admin_in, db_session, technician):
    from service.staff.accounts import check_login

    path = f"/admin/staff/{technician.user.id}"
    response = post_form(admin_in, f"{path}/password", {}, token_from=path)
    assert response.status_code == 200
    password = secret_of(response.get_data(as_text=True))
    db_session.expire_all()
    assert check_login(db_session, technician.user.email, password) is not None
    assert check_login(db_session, technician.user.email, PASSWORD) is None
    assert password not in admin_in.get(path).get_data(as_text=True)


def test_revoking_personal_tokens_makes_them_401(app, admin_in, db_session, technician):
    path = f"/admin/staff/{technician.user.id}"
    assert post_form(admin_in, f"{path}/tokens", {}, token_from=path).status_code == 303
    live = StaffToken.staff_user_id == technician.user.id, StaffToken.revoked_at.is_(None)
    assert count(db_session, StaffToken, *live) == 0
    assert app.test_client().get("/api/v1/me", headers=technician.headers).status_code == 401


def test_an_admin_creates_a_storefront_and_a_taken_prefix_is_refused(admin_in, db_session, tenant):
    response = post_form(
        admin_in,
        "/admin/storefronts",
        {"name": "East Shop", "slug": "east", "case_prefix": "es"},
    )
    assert response.status_code == 303
    east = db_session.scalars(select(Storefront).where(Storefront.slug == "east")).one()
    assert east.case_prefix == "ES"
    before = count(db_session, Storefront)
    taken = post_form(
        admin_in,
        "/admin/storefronts",
        {"name": "West", "slug": "west", "case_prefix": tenant.storefront.case_prefix},
    )
    assert taken.status_code == 422
    assert "already used by Main Shop" in taken.get_data(as_text=True)
    assert count(db_session, Storefront) == before


def settings_form(storefront: Storefront, **changes) -> dict:
    body = {
        "name": storefront.name,
        "case_prefix": storefront.case_prefix,
        "warranty_months": storefront.warranty_months,
        "return_window_days": storefront.return_window_days,
        "first_response_hours": storefront.first_response_hours,
        "survey_delay_hours": storefront.survey_delay_hours,
        "quiet_start_hour": storefront.quiet_start_hour,
        "quiet_end_hour": storefront.quiet_end_hour,
        "tax_rate_bp": storefront.tax_rate_bp,
        "time_zone": storefront.time_zone,
    }
    return {**body, **changes}


def test_an_admin_changes_storefront_settings(admin_in, db_session, tenant):
    storefront = tenant.storefront
    path = f"/admin/storefronts/{storefront.id}"
    body = settings_form(
        storefront, warranty_months=24, tax_rate_bp=1300, resolution_repair=96, quiet_start_hour=22
    )
    assert post_form(admin_in, path, body).status_code == 303
    db_session.refresh(storefront)
    assert storefront.warranty_months == 24 and storefront.tax_rate_bp == 1300
    assert storefront.resolution_hours == {"repair": 96} and storefront.quiet_start_hour == 22


def test_an_admin_sets_and_clears_a_storefronts_own_rate_budgets(admin_in, db_session, tenant):
    storefront = tenant.storefront
    path = f"/admin/storefronts/{storefront.id}"
    page = admin_in.get(path).get_data(as_text=True)
    assert 'name="rate_limit_write_per_minute"' in page
    body = settings_form(storefront, rate_limit_read_per_minute=900, rate_limit_write_per_minute=30)
    assert post_form(admin_in, path, body).status_code == 303
    db_session.refresh(storefront)
    assert (storefront.rate_limit_read_per_minute, storefront.rate_limit_write_per_minute) == (
        900,
        30,
    )
    cleared = settings_form(
        storefront, rate_limit_read_per_minute="", rate_limit_write_per_minute=""
    )
    assert post_form(admin_in, path, cleared).status_code == 303
    db_session.refresh(storefront)
    assert storefront.rate_limit_write_per_minute is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("case_prefix", "OS"),
        ("case_prefix", "9-bad"),
        ("quiet_start_hour", "25"),
        ("tax_rate_bp", "-1"),
        ("time_zone", "Mars/Olympus"),
        ("warranty_months", "many"),
        ("rate_limit_write_per_minute", "0"),
    ],
)
def test_bad_settings_are_named_and_nothing_is_written(
    admin_in, db_session, tenant, other_tenant, field, value
):
    storefront = tenant.storefront
    path = f"/admin/storefronts/{storefront.id}"
    response = post_form(
        admin_in, path, settings_form(storefront, **{"return_window_days": 30, field: value})
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(
        rf'<label class="field invalid">\s*<span>[^<]+</span>\s*<[^>]+name="{field}"', html
    )
    db_session.refresh(storefront)
    assert storefront.return_window_days == 7 and storefront.case_prefix == "MS"
    assert storefront.warranty_months == 12


def test_an_api_key_is_shown_once_works_then_revoked_is_401(app, admin_in, db_session, tenant):
    path = f"/admin/storefronts/{tenant.storefront.id}"
    response = post_form(admin_in, f"{path}/keys", {"label": "warehouse"}, token_from=path)
    assert response.status_code == 200
    key = secret_of(response.get_data(as_text=True))
    assert key not in admin_in.get(path).get_data(as_text=True)
    api = app.test_client()
    assert api.get("/api/v1/cases", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    api_key = db_session.scalars(select(ApiKey).where(ApiKey.label == "warehouse")).one()
    db_session.refresh(api_key)
    assert api_key.last_used_at is not None
    assert (
        "Never"
        not in admin_in.get(path)
        .get_data(as_text=True)
        .split(api_key.prefix, 1)[1]
        .split("</tr>")[0]
    )
    revoke = post_form(admin_in, f"{path}/keys/{api_key.prefix}/revoke", {}, token_from=path)
    assert revoke.status_code == 303
    assert api.get("/api/v1/cases", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_another_storefronts_key_cannot_be_revoked_from_this_one(
    admin_in, db_session, tenant, other_tenant
):
    theirs = db_session.scalars(
        select(ApiKey).where(ApiKey.storefront_id == other_tenant.storefront.id)
    ).one()
    path = f"/admin/storefronts/{tenant.storefront.id}"
    response = post_form(admin_in, f"{path}/keys/{theirs.prefix}/revoke", {}, token_from=path)
    assert response.status_code == 404
    db_session.refresh(theirs)
    assert theirs.revoked_at is None


ADMIN_PAGES = ["/admin", "/admin/storefronts"]


@pytest.mark.parametrize("role", ["agent", "technician", "supervisor"])
def test_non_admins_see_no_admin_link_and_get_403(sign_in, create_staff, role, tenant):
    client = sign_in(create_staff(role))
    assert 'href="/admin"' not in client.get("/queue").get_data(as_text=True)
    for path in [*ADMIN_PAGES, f"/admin/storefronts/{tenant.storefront.id}"]:
        assert client.get(path).status_code == 403, path


def test_a_forged_admin_post_by_an_agent_is_refused_and_writes_nothing(
    desk, db_session, technician, tenant
):
    token = csrf_token(desk, "/queue")
    before = count(db_session, StaffUser)
    for path, data in [
        ("/admin/staff", {"email": "evil@desk.example", "name": "E", "role": "admin"}),
        (f"/admin/staff/{technician.user.id}/active", {"value": "0"}),
        (f"/admin/storefronts/{tenant.storefront.id}/keys", {"label": "mine"}),
    ]:
        assert desk.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    assert count(db_session, StaffUser) == before
    db_session.refresh(technician.user)
    assert technician.user.active
    assert count(db_session, ApiKey, ApiKey.label == "mine") == 0


def test_admin_posts_need_the_csrf_token(admin_in, db_session, technician):
    response = admin_in.post(f"/admin/staff/{technician.user.id}/active", data={"value": "0"})
    assert response.status_code == 400
    db_session.refresh(technician.user)
    assert technician.user.active


def test_an_admin_bound_to_a_storefront_administers_only_it(
    sign_in, create_staff, tenant, other_tenant, technician, db_session
):
    ours = create_staff("admin", storefront=tenant.storefront)
    client = sign_in(ours)
    assert client.get(f"/admin/staff/{technician.user.id}").status_code == 404
    assert client.get(f"/admin/storefronts/{other_tenant.storefront.id}").status_code == 404
    assert other_tenant.storefront.name not in client.get("/admin/storefronts").get_data(
        as_text=True
    )
    before = count(db_session, StaffUser)
    response = post_form(
        client,
        "/admin/staff",
        {"email": "x@desk.example", "name": "X", "role": "agent", "storefront_id": ""},
        token_from="/admin",
    )
    assert response.status_code == 422
    assert count(db_session, StaffUser) == before
