"""Staff over the API: who am I (`GET /me`) and who works here (`GET /staff`, the
technician picker). Staff tokens only; storefront keys get 403."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView

from service.core import db
from service.core.api import Blueprint, keyset_page, page_schema
from service.core.auth import require_staff
from service.staff.models import StaffUser
from service.staff.schemas import MeSchema, StaffQueryArgsSchema, StaffSchema
from service.staff.service import staff_query

blp = Blueprint("staff", __name__, url_prefix="", description="Service staff")

STAFF_ONLY = "Only service staff may do this"


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
