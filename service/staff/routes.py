"""Staff over the API: who am I (`GET /me`) and who works here (`GET /staff`, the
technician picker). Staff tokens only; storefront keys get 403.

Administrators also create staff (`POST /staff`), change role, storefront binding and
active (`PATCH /staff/{id}` with If-Match), and revoke a person's personal tokens
(`DELETE /staff/{id}/tokens`), through service.staff.admin like the pages and the CLI.
An admin bound to a storefront administers only that storefront's staff."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import ValidationError

from service.core import db
from service.core.api import Blueprint, refuse, transaction
from service.core.auth import require_admin, require_staff
from service.core.pagination import keyset_page, page_schema
from service.staff import admin as staff_admin
from service.staff.models import StaffUser
from service.staff.schemas import (
    MeSchema,
    StaffCreateSchema,
    StaffQueryArgsSchema,
    StaffSchema,
    StaffUpdateSchema,
)
from service.staff.service import staff_query

blp = Blueprint("staff", __name__, url_prefix="", description="Service staff")

STAFF_ONLY = "Only service staff may do this"
ADMINS_ONLY = "Only administrators may do this"


def _person_or_404(staff_id: uuid.UUID) -> StaffUser:
    person = staff_admin.get_staff(db.session(), g.principal.scope, staff_id)
    if person is None:
        abort(404, message=f"No staff member {staff_id}.")
    return person


@blp.route("/me")
class MeViews(MethodView):
    @blp.auth_required
    @blp.alt_response(403, description=STAFF_ONLY)
    @blp.response(200, MeSchema)
    def get(self) -> StaffUser:
        """The staff member the token belongs to"""
        return require_staff()


@blp.route("/staff")
class StaffViews(MethodView):
    @blp.auth_required
    @blp.alt_response(403, description=STAFF_ONLY)
    @blp.arguments(StaffQueryArgsSchema, location="query")
    @blp.response(200, page_schema(StaffSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List staff, newest first (staff bound to a storefront see its staff and the
        shared desk)"""
        require_staff()
        stmt = staff_query(g.principal.scope, args)
        return keyset_page(db.session(), stmt, StaffUser, args["limit"], args["cursor"])

    @blp.auth_required
    @blp.alt_response(403, description=ADMINS_ONLY)
    @blp.arguments(StaffCreateSchema)
    @transaction(idempotent=True)
    @blp.response(201, StaffSchema)
    def post(self, data: dict[str, Any]) -> StaffUser:
        """Create a staff member (administrators)"""
        require_admin()
        try:
            person, _password = staff_admin.add_staff(
                db.session(),
                data["email"],
                data["name"],
                data["role"],
                data["password"],
                data["storefront_id"],
                scope=g.principal.scope,
            )
        except ValidationError as error:
            refuse(error)
        return person


@blp.route("/staff/<uuid:staff_id>")
class StaffByIdViews(MethodView):
    @blp.auth_required
    @blp.alt_response(403, description=ADMINS_ONLY)
    @blp.etag
    @blp.response(200, StaffSchema)
    def get(self, staff_id: uuid.UUID) -> StaffUser:
        """Get a staff member (administrators)"""
        require_admin()
        person = _person_or_404(staff_id)
        blp.set_etag(StaffSchema().dump(person))
        return person

    @blp.auth_required
    @blp.alt_response(403, description=ADMINS_ONLY)
    @blp.etag
    @blp.arguments(StaffUpdateSchema)
    @transaction
    @blp.response(200, StaffSchema)
    def patch(self, data: dict[str, Any], staff_id: uuid.UUID) -> StaffUser:
        """Change name, role, storefront binding or active (administrators)

        Deactivating ends the person's sessions and revokes their personal tokens."""
        require_admin()
        person = _person_or_404(staff_id)
        blp.check_etag(StaffSchema().dump(person))
        try:
            staff_admin.change_staff(db.session(), person, data, scope=g.principal.scope)
        except ValidationError as error:
            refuse(error)
        blp.set_etag(StaffSchema().dump(person))
        return person


@blp.route("/staff/<uuid:staff_id>/tokens", methods=["DELETE"])
@blp.auth_required
@blp.alt_response(403, description=ADMINS_ONLY)
@transaction
@blp.response(204)
def revoke_staff_tokens(staff_id: uuid.UUID) -> None:
    """Revoke every personal API token of a staff member (administrators)"""
    require_admin()
    staff_admin.revoke_tokens(db.session(), _person_or_404(staff_id))
