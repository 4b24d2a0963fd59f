"""The phone desk (接听记录): GET /calls/new looks the caller up by phone (any format,
normalised as the customers are stored) and shows their open cases; from there the
agent either logs the call on one of them (POST /calls/log: the contact log's
`log_contact`, validated by the API's ContactInSchema) or opens a new case from the call
(POST /calls/open: the API's CaseCreateSchema and `open_case`, channel phone, with the
call logged on it) in one form. A refused form comes back with the errors by field.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, current_app, g, request
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from service.cases.action_schemas import ContactInSchema
from service.cases.intake import get_case, open_case
from service.cases.models import Case, CaseChannel, CaseKind, CaseStatus
from service.cases.schemas import CaseCreateSchema
from service.contact_log.models import ContactChannel, ContactDirection
from service.contact_log.service import log_contact
from service.core import db
from service.core.contacts import normalise_phone
from service.core.fields import unsafe_text
from service.customers.models import Customer
from service.storefronts.models import Storefront
from service.workspace.case_forms import choice_label, flat_errors, label_of
from service.workspace.pages import (
    CASE_PAGE,
    bp,
    commit,
    redirect_to,
    render,
    staff_page,
    workspace_actor,
)
from service.workspace.words import word

TEMPLATE = "workspace/call.html"
#: The caller's cases the page lists.
SHOWN = 20
DONE = (CaseStatus.closed, CaseStatus.cancelled)


def _storefronts() -> list[Storefront]:
    stmt = select(Storefront).order_by(Storefront.name)
    if g.principal.scope is not None:
        stmt = stmt.where(Storefront.id == g.principal.scope)
    return list(db.session().scalars(stmt))


def lookup(phone: str) -> tuple[str | None, list[Customer], list[Case], str | None]:
    """(normalised number, customers with it, their open cases, error) within scope."""
    if not phone.strip():
        return None, [], [], None
    region = current_app.config["SETTINGS"].default_phone_region
    try:
        number = normalise_phone(phone, region)
    except ValueError:
        return None, [], [], _("Not a phone number we can dial.")
    stmt = select(Customer).where(Customer.phone == number)
    if g.principal.scope is not None:
        stmt = stmt.where(Customer.storefront_id == g.principal.scope)
    customers = list(db.session().scalars(stmt))
    cases: list[Case] = []
    if customers:
        cases = list(
            db.session().scalars(
                select(Case)
                .where(Case.customer_id.in_([c.id for c in customers]), Case.status.not_in(DONE))
                .order_by(Case.created_at.desc())
                .limit(SHOWN)
            )
        )
    return number, customers, cases, None


def _page(
    status: int = 200,
    values: MultiDict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    which: str | None = None,
    message: str | None = None,
) -> Response:
    values = values if values is not None else MultiDict()
    phone = request.args.get("phone") or values.get("customer.phone") or values.get("phone", "")
    number, customers, cases, phone_error = lookup(phone)
    return render(
        TEMPLATE,
        status=status,
        phone=phone,
        number=number,
        customers=customers,
        open_cases=cases,
        phone_error=phone_error,
        known=customers[0] if customers else None,
        storefronts=_storefronts(),
        kinds=list(CaseKind),
        directions=list(ContactDirection),
        values=values,
        errors=errors or {},
        which=which,
        message=message,
        error_label=label_of,
        choice_label=choice_label,
        word=word,
    )


@bp.get("/calls/new")
@staff_page()
def new_call() -> Response:
    return _page()


def _text(form: MultiDict[str, str], name: str) -> str | None:
    return form.get(name, "").strip() or None


def _contact(form: MultiDict[str, str], summary_field: str = "summary") -> dict[str, Any]:
    data = {"channel": ContactChannel.phone.value, "direction": form.get("direction", "")}
    for name, field in (("summary", summary_field), ("outcome", "outcome")):
        if value := _text(form, field):
            data[name] = value
    return data


@bp.post("/calls/log")
@staff_page()
def log_call() -> Response:
    form = request.form
    errors: dict[str, list[str]] = {}
    ref = form.get("case", "").strip()
    case = None
    if ref and not unsafe_text(ref) and len(ref) <= 64:
        case = get_case(db.session(), g.principal.scope, ref, for_update=True)
    if case is None:
        errors["case"] = [_("Choose the case the call is about.")]
    try:
        data = ContactInSchema().load(_contact(form))
    except ma.ValidationError as error:
        errors.update(flat_errors(error.messages))
    if errors:
        db.rollback()
        return _page(422, form.copy(), errors, "log", _("Some fields need attention."))
    log_contact(db.session(), case, data, workspace_actor())
    commit()
    return redirect_to(CASE_PAGE, case_id=case.id)


def _case_body(form: MultiDict[str, str]) -> dict[str, Any]:
    """The API's case body from the call form's fields (named by their path)."""
    customer = {
        name: value
        for name in ("name", "phone", "email")
        if (value := _text(form, f"customer.{name}"))
    }
    body: dict[str, Any] = {
        "kind": form.get("kind", ""),
        "channel": CaseChannel.phone.value,
        "customer": customer,
    }
    for name in ("description", "order_reference", "storefront_id"):
        if value := _text(form, name):
            body[name] = value
    item = {
        name: value
        for name in ("sku", "name", "serial_number", "purchase_date")
        if (value := _text(form, f"items.0.{name}"))
    }
    if item:
        body["items"] = [item]
    return body


def _storefront(data: dict[str, Any]) -> Storefront | None:
    storefronts = _storefronts()
    if len(storefronts) == 1 and "storefront_id" not in data:
        return storefronts[0]
    return next((s for s in storefronts if s.id == data.get("storefront_id")), None)


@bp.post("/calls/open")
@staff_page()
def open_from_call() -> Response:
    form = request.form
    errors: dict[str, list[str]] = {}
    try:
        data = CaseCreateSchema().load(_case_body(form))
    except ma.ValidationError as error:
        data, errors = {}, flat_errors(error.messages)
    storefront = _storefront(data) if data else None
    if data and storefront is None:
        errors["storefront_id"] = [_("Choose the storefront.")]
    if errors:
        db.rollback()
        return _page(422, form.copy(), errors, "open", _("Some fields need attention."))
    actor = workspace_actor()
    case = open_case(db.session(), storefront, data, actor)
    db.session().flush()
    call = {
        "direction": ContactDirection.inbound,
        "channel": ContactChannel.phone,
        "summary": data["description"][:4000],
        "outcome": _("Case opened"),
    }
    log_contact(db.session(), case, call, actor)
    commit()
    return redirect_to(CASE_PAGE, case_id=case.id)
