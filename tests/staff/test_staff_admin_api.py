"""Staff administration over the API and the CLI: admins only, bad input named with
nothing written, deactivation ends sessions and tokens, If-Match on changes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from service.staff.models import StaffRole, StaffToken, StaffUser

NEW = {"email": "Nia@Desk.example", "name": "Nia", "role": "agent", "password": "long enough pw"}


def count(db_session, model, *where) -> int:
    return db_session.scalar(select(func.count()).select_from(model).where(*where))


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def etag_of(client, path, headers) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.headers["ETag"]


def test_an_admin_creates_staff_bound_to_a_storefront(client, admin, tenant, db_session):
    body = {**NEW, "storefront_id": str(tenant.storefront.id)}
    response = client.post("/api/v1/staff", json=body, headers=admin.headers)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["email"] == "nia@desk.example" and created["role"] == "agent"
    assert created["storefront_id"] == str(tenant.storefront.id)
    assert "password" not in created


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"role": "janitor"}, "role"),
        ({"password": "short"}, "password"),
        ({"email": "nope"}, "email"),
        ({"storefront_id": "00000000-0000-0000-0000-000000000000"}, "storefront_id"),
    ],
)
def test_creating_staff_with_bad_input_names_the_field_and_writes_nothing(
    client, admin, db_session, change, field
):
    before = count(db_session, StaffUser)
    response = client.post("/api/v1/staff", json={**NEW, **change}, headers=admin.headers)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert count(db_session, StaffUser) == before


@pytest.mark.parametrize("role", ["agent", "technician", "supervisor"])
def test_non_admins_may_not_administer_staff(client, create_staff, technician, role):
    other = create_staff(role)
    assert client.post("/api/v1/staff", json=NEW, headers=other.headers).status_code == 403
    path = f"/api/v1/staff/{technician.user.id}"
    assert client.get(path, headers=other.headers).status_code == 403
    response = client.patch(
        path, json={"active": False}, headers={**other.headers, "If-Match": "*"}
    )
    assert response.status_code == 403


def test_storefront_keys_may_not_administer_staff(client, tenant):
    assert client.post("/api/v1/staff", json=NEW, headers=tenant.headers).status_code == 403


def test_a_change_needs_if_match_and_a_stale_one_is_412(client, admin, technician, db_session):
    path = f"/api/v1/staff/{technician.user.id}"
    assert client.patch(path, json={"role": "supervisor"}, headers=admin.headers).status_code == 428
    etag = etag_of(client, path, admin.headers)
    changed = client.patch(
        path, json={"role": "supervisor"}, headers={**admin.headers, "If-Match": etag}
    )
    assert changed.status_code == 200 and changed.get_json()["role"] == "supervisor"
    stale = client.patch(path, json={"name": "Late"}, headers={**admin.headers, "If-Match": etag})
    assert stale.status_code == 412
    db_session.refresh(technician.user)
    assert technician.user.name == "Tom Tech"


def test_a_deactivated_staff_members_token_is_401(client, admin, technician, db_session):
    path = f"/api/v1/staff/{technician.user.id}"
    assert client.get("/api/v1/me", headers=technician.headers).status_code == 200
    etag = etag_of(client, path, admin.headers)
    response = client.patch(
        path, json={"active": False}, headers={**admin.headers, "If-Match": etag}
    )
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert client.get("/api/v1/me", headers=technician.headers).status_code == 401
    live = StaffToken.staff_user_id == technician.user.id, StaffToken.revoked_at.is_(None)
    assert count(db_session, StaffToken, *live) == 0


def test_the_last_active_admin_cannot_deactivate_themselves(client, admin, db_session):
    admins = count(db_session, StaffUser, StaffUser.role == StaffRole.admin, StaffUser.active)
    if admins > 1:
        pytest.skip("other admins exist in this database")
    path = f"/api/v1/staff/{admin.user.id}"
    etag = etag_of(client, path, admin.headers)
    response = client.patch(
        path, json={"active": False}, headers={**admin.headers, "If-Match": etag}
    )
    assert response.status_code == 422
    assert "active" in response.get_json()["errors"]["json"]


def test_revoking_a_persons_tokens_over_the_api(client, admin, technician):
    response = client.delete(f"/api/v1/staff/{technician.user.id}/tokens", headers=admin.headers)
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=technician.headers).status_code == 401


def test_an_admin_bound_to_a_storefront_administers_only_its_staff(
    client, create_staff, tenant, other_tenant, technician, db_session
):
    ours = create_staff("admin", storefront=tenant.storefront)
    assert (
        client.get(f"/api/v1/staff/{technician.user.id}", headers=ours.headers).status_code == 404
    )
    elsewhere = {**NEW, "storefront_id": str(other_tenant.storefront.id)}
    response = client.post("/api/v1/staff", json=elsewhere, headers=ours.headers)
    assert response.status_code == 422
    assert "storefront_id" in response.get_json()["errors"]["json"]


# --- the CLI ---------------------------------------------------------------------------


def test_the_cli_changes_role_binding_and_deactivates(app, client, technician, tenant, db_session):
    email = technician.user.email
    result = cli(
        app, "staff", "set", email, "--role", "supervisor", "--storefront", tenant.storefront.slug
    )
    assert result.exit_code == 0, result.output
    db_session.refresh(technician.user)
    assert technician.user.role == StaffRole.supervisor
    assert technician.user.storefront_id == tenant.storefront.id
    assert cli(app, "staff", "set", email, "--all-storefronts").exit_code == 0
    db_session.refresh(technician.user)
    assert technician.user.storefront_id is None
    assert cli(app, "staff", "deactivate", email).exit_code == 0
    assert client.get("/api/v1/me", headers=technician.headers).status_code == 401
    assert email in cli(app, "staff", "list", "--inactive").output
    assert cli(app, "staff", "reactivate", email).exit_code == 0
    db_session.refresh(technician.user)
    assert technician.user.active


def test_the_cli_names_a_bad_role_and_writes_nothing(app, technician, db_session):
    result = cli(app, "staff", "set", technician.user.email, "--role", "janitor")
    assert result.exit_code != 0 and "role" in result.output
    db_session.refresh(technician.user)
    assert technician.user.role == StaffRole.technician


def test_the_cli_resets_a_password_printed_once_and_revokes_tokens(
    app, client, technician, db_session
):
    from service.staff.accounts import check_login

    result = cli(app, "staff", "reset-password", technician.user.email)
    assert result.exit_code == 0, result.output
    db_session.expire_all()
    assert check_login(db_session, technician.user.email, result.output.strip()) is not None
    revoked = cli(app, "staff", "revoke-tokens", technician.user.email)
    assert revoked.exit_code == 0 and "revoked 1 tokens" in revoked.output
    assert client.get("/api/v1/me", headers=technician.headers).status_code == 401
