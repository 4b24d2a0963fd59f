"""Case intake and reading, for storefronts."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import abort

from service import db
from service.api import Blueprint, keyset_page, page_schema, transaction
from service.cases.intake import cases_query, get_case, open_case
from service.cases.models import Case
from service.cases.schemas import CaseCreateSchema, CaseQueryArgsSchema, CaseSchema

blp = Blueprint("cases", __name__, url_prefix="/cases", description="After-sales cases")

CasePageSchema = page_schema(CaseSchema)


def case_or_404(ref: str) -> Case:
    case = get_case(db.session(), g.storefront.id, ref)
    if case is None:
        abort(404, message=f"No case {ref}.")
    return case


@blp.route("")
class CaseViews(MethodView):
    @blp.auth_required
    @blp.arguments(CaseQueryArgsSchema, location="query")
    @blp.response(200, CasePageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List cases, newest first"""
        stmt = cases_query(g.storefront.id, args)
        return keyset_page(db.session(), stmt, Case, args["limit"], args["cursor"])

    @blp.auth_required
    @blp.arguments(CaseCreateSchema)
    @transaction(idempotent=True)
    @blp.response(201, CaseSchema)
    def post(self, data: dict[str, Any]) -> Case:
        """Open a case

        Eligibility (warranty, return window) is decided and explained in the
        response; the first-response clock starts now.
        """
        return open_case(db.session(), g.storefront, data)


@blp.route("/<string:case_ref>")
class CaseByIdViews(MethodView):
    @blp.auth_required
    @blp.etag
    @blp.response(200, CaseSchema)
    def get(self, case_ref: str) -> Case:
        """Get a case by id or case number"""
        case = case_or_404(case_ref)
        blp.set_etag({"id": str(case.id), "version": case.version})
        return case
