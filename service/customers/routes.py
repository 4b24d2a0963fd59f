"""Customers and their after-sales history, for storefronts."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy.orm import joinedload

from service.cases.intake import cases_query
from service.cases.models import Case
from service.cases.routes import CasePageSchema
from service.core import db
from service.core.api import Blueprint, transaction
from service.core.pagination import CursorArgsSchema, keyset_page, page_schema
from service.customers.models import Customer
from service.customers.schemas import (
    CustomerQueryArgsSchema,
    CustomerSchema,
    CustomerUpdateSchema,
)
from service.customers.service import customers_query, get_customer, update_customer
from service.staff.models import StaffUser

blp = Blueprint("customers", __name__, url_prefix="/customers", description="Customers")


def customer_or_404(customer_id: uuid.UUID) -> Customer:
    customer = get_customer(db.session(), g.principal.scope, customer_id)
    if customer is None:
        abort(404, message=f"No customer {customer_id}.")
    return customer


@blp.route("")
class CustomerViews(MethodView):
    @blp.auth_required
    @blp.arguments(CustomerQueryArgsSchema, location="query")
    @blp.response(200, page_schema(CustomerSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List customers, newest first"""
        stmt = customers_query(g.principal.scope, args)
        return keyset_page(db.session(), stmt, Customer, args["limit"], args["cursor"])


@blp.route("/<uuid:customer_id>")
class CustomerByIdViews(MethodView):
    @blp.auth_required
    @blp.etag
    @blp.response(200, CustomerSchema)
    def get(self, customer_id: uuid.UUID) -> Customer:
        """Get a customer"""
        customer = customer_or_404(customer_id)
        blp.set_etag(CustomerSchema().dump(customer))
        return customer

    @blp.auth_required
    @blp.etag
    @blp.arguments(CustomerUpdateSchema)
    @transaction
    @blp.response(200, CustomerSchema)
    def patch(self, data: dict[str, Any], customer_id: uuid.UUID) -> Customer:
        """Update a customer: contact details, language, time zone, notice consents"""
        customer = customer_or_404(customer_id)
        blp.check_etag(CustomerSchema().dump(customer))
        update_customer(customer, data)
        db.session().flush()
        blp.set_etag(CustomerSchema().dump(customer))
        return customer


@blp.route("/<uuid:customer_id>/cases")
class CustomerCaseViews(MethodView):
    @blp.auth_required
    @blp.arguments(CursorArgsSchema, location="query")
    @blp.response(200, CasePageSchema)
    def get(self, args: dict[str, Any], customer_id: uuid.UUID) -> dict[str, Any]:
        """The customer's after-sales history, newest first"""
        customer = customer_or_404(customer_id)
        stmt = cases_query(g.principal.scope, {"customer_id": customer.id}).options(
            # The history shows whole cases, but of the assignee only what StaffRefSchema
            # shows (not their password hash).
            joinedload(Case.assignee).load_only(StaffUser.name, StaffUser.role, raiseload=True)
        )
        return keyset_page(db.session(), stmt, Case, args["limit"], args["cursor"])
