"""`GET /api/v1/me` and `GET /api/v1/staff`: staff tokens only, scoped like cases."""

from __future__ import annotations


def test_me_is_the_token_holder(client, technician):
    response = client.get("/api/v1/me", headers=technician.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == str(technician.user.id)
    assert body["role"] == "technician" and body["active"] is True
    assert "password_hash" not in body


def test_storefront_keys_may_not_read_staff(client, tenant):
    for path in ("/api/v1/me", "/api/v1/staff"):
        response = client.get(path, headers=tenant.headers)
        assert response.status_code == 403
        assert response.get_json()["message"]


def test_without_a_token_it_is_401(client):
    assert client.get("/api/v1/staff").status_code == 401


def test_the_staff_list_filters_by_role_for_a_technician_picker(
    client, admin, technician, create_staff
):
    create_staff("agent")
    response = client.get("/api/v1/staff?role=technician", headers=admin.headers)
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [i["id"] for i in items] == [str(technician.user.id)]
    assert set(items[0]) >= {"id", "name", "role", "storefront_id", "active"}


def test_staff_bound_to_a_storefront_see_its_staff_and_the_shared_desk(
    client, create_staff, tenant, other_tenant
):
    ours = create_staff("agent", storefront=tenant.storefront)
    theirs = create_staff("agent", storefront=other_tenant.storefront)
    shared = create_staff("technician")
    response = client.get("/api/v1/staff", headers=ours.headers)
    ids = {i["id"] for i in response.get_json()["items"]}
    assert str(ours.user.id) in ids and str(shared.user.id) in ids
    assert str(theirs.user.id) not in ids


def test_deactivated_staff_can_be_left_out(client, admin, create_staff, db_session):
    gone = create_staff("technician")
    gone.user.active = False
    db_session.commit()
    response = client.get("/api/v1/staff?active=true", headers=admin.headers)
    assert str(gone.user.id) not in {i["id"] for i in response.get_json()["items"]}


def test_an_unknown_role_is_a_422_naming_the_field(client, admin):
    response = client.get("/api/v1/staff?role=chef", headers=admin.headers)
    assert response.status_code == 422
    assert "role" in response.get_json()["errors"]["query"]
