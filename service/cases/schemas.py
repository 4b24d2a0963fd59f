from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import marshmallow as ma
from flask import current_app
from webargs.fields import DelimitedList

from service.cases.eligibility import case_eligibility, return_explanation, warranty_explanation
from service.cases.lifecycle import allowed_actions
from service.cases.listing import SORTS
from service.cases.models import CaseChannel, CaseKind, CasePriority, CaseStatus, ItemCondition
from service.cases.summaries import INCLUDES
from service.core.api import Schema
from service.core.auth import current_principal
from service.core.contacts import normalise_email, normalise_phone
from service.core.db import utcnow
from service.core.fields import DateTime
from service.core.pagination import CursorArgsSchema
from service.customers.schemas import CustomerInSchema, CustomerSchema
from service.quotes.schemas import MONEY, QuoteSchema
from service.quotes.service import current_quote
from service.shipments.schemas import ShipmentSchema
from service.sla.clocks import describe
from service.tracking.schemas import TrackingFlagSchema

MAX_ITEMS = 50


def _not_in_future(value: date) -> None:
    # A day of slack: it is already tomorrow in UTC+14 while it is today in UTC.
    if value > datetime.now(UTC).date() + timedelta(days=1):
        raise ma.ValidationError("Purchase date cannot be in the future.")


class CaseItemInSchema(Schema):
    sku = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    serial_number = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
    purchase_date = ma.fields.Date(required=True, validate=_not_in_future)
    quantity = ma.fields.Integer(strict=True, validate=ma.validate.Range(min=1, max=1000))
    warranty_months = ma.fields.Integer(
        strict=True,
        validate=ma.validate.Range(min=0, max=240),
        metadata={"description": "Overrides the storefront's warranty length for this item."},
    )


class CaseCreateSchema(Schema):
    storefront_id = ma.fields.UUID(
        metadata={"description": "Staff only: the storefront the case belongs to."}
    )
    kind = ma.fields.Enum(CaseKind, by_value=True, required=True)
    channel = ma.fields.Enum(CaseChannel, by_value=True, metadata={"description": "Default api."})
    priority = ma.fields.Enum(
        CasePriority, by_value=True, metadata={"description": "Default normal."}
    )
    customer = ma.fields.Nested(CustomerInSchema, required=True)
    order_reference = ma.fields.String(validate=ma.validate.Length(min=1, max=128))
    description = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=5000))
    items = ma.fields.List(
        ma.fields.Nested(CaseItemInSchema),
        validate=ma.validate.Length(max=MAX_ITEMS),
        metadata={"description": "Required (one or more) for repair, return and exchange."},
    )

    @ma.validates_schema
    def _items_for_item_kinds(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data["kind"].needs_items and not data.get("items"):
            raise ma.ValidationError(
                f"A {data['kind'].value} case needs at least one item.", "items"
            )


class CaseChangeSchema(Schema):
    """`PATCH /cases/{id}`: only the fields sent change (none sent: nothing does)."""

    order_reference = ma.fields.String(allow_none=True, validate=ma.validate.Length(min=1, max=128))
    description = ma.fields.String(validate=ma.validate.Length(min=1, max=5000))
    priority = ma.fields.Enum(CasePriority, by_value=True)
    items = ma.fields.List(
        ma.fields.Nested(CaseItemInSchema),
        validate=ma.validate.Length(max=MAX_ITEMS),
        metadata={
            "description": "Replaces every item, only before the goods are received; "
            "eligibility is decided again against the day the case was opened."
        },
    )


class WarrantySchema(Schema):
    covered = ma.fields.Boolean(attribute="in_warranty")
    months = ma.fields.Integer(attribute="warranty_months")
    until = ma.fields.Date(attribute="warranty_until")
    explanation = ma.fields.Function(warranty_explanation)


class ReturnWindowSchema(Schema):
    eligible = ma.fields.Boolean(attribute="returnable")
    days = ma.fields.Integer(attribute="return_window_days")
    until = ma.fields.Date(attribute="return_until")
    explanation = ma.fields.Function(return_explanation)


class CaseItemSchema(Schema):
    id = ma.fields.UUID()
    sku = ma.fields.String()
    name = ma.fields.String()
    serial_number = ma.fields.String(allow_none=True)
    purchase_date = ma.fields.Date()
    quantity = ma.fields.Integer()
    warranty = ma.fields.Function(lambda item: DUMP["warranty"].dump(item))
    return_window = ma.fields.Function(lambda item: DUMP["return_window"].dump(item))
    receipt = ma.fields.Nested(lambda: ReceiptSchema(), allow_none=True)


class EligibilitySchema(Schema):
    eligible = ma.fields.Boolean()
    explanation = ma.fields.String()


class SlaClockSchema(Schema):
    due_at = ma.fields.AwareDateTime(allow_none=True)
    met_at = ma.fields.AwareDateTime(allow_none=True)
    paused = ma.fields.Boolean()
    breached = ma.fields.Boolean()


class CaseSchema(Schema):
    id = ma.fields.UUID()
    number = ma.fields.String(
        metadata={"description": "Human case number; unique, as case prefixes are."}
    )
    kind = ma.fields.Enum(CaseKind, by_value=True)
    channel = ma.fields.Enum(CaseChannel, by_value=True)
    status = ma.fields.Enum(CaseStatus, by_value=True)
    priority = ma.fields.Enum(CasePriority, by_value=True)
    order_reference = ma.fields.String(allow_none=True)
    description = ma.fields.String()
    customer = ma.fields.Nested(CustomerSchema)
    items = ma.fields.List(ma.fields.Nested(CaseItemSchema))
    eligibility = ma.fields.Method("_eligibility")
    first_response_due_at = ma.fields.AwareDateTime()
    first_responded_at = ma.fields.AwareDateTime(allow_none=True)
    first_response_overdue = ma.fields.Method("_overdue")
    sla = ma.fields.Method(
        "_sla",
        metadata={
            "description": "Each clock (first_response, resolution, follow_up) with due_at, "
            "met_at, paused and breached; resolution pauses while waiting on the customer."
        },
    )
    assignee = ma.fields.Nested(lambda: StaffRefSchema(), allow_none=True)
    escalated = ma.fields.Boolean()
    customer_replied = ma.fields.Boolean()
    resolution = ma.fields.Function(lambda case: DUMP["resolution"].dump(case))
    current_quote = ma.fields.Method("_current_quote", allow_none=True)
    shipments = ma.fields.List(ma.fields.Nested(ShipmentSchema))
    tracking_flag = ma.fields.Method(
        "_tracking_flag",
        allow_none=True,
        metadata={
            "description": "Set when carrier tracking needs the desk (an exception, a "
            "return, an expired or stalled parcel): the flagged shipment's reason and note."
        },
    )
    allowed_actions = ma.fields.Method(
        "_allowed_actions", metadata={"description": "What the caller may do now"}
    )
    version = ma.fields.Integer()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()

    def _eligibility(self, case: Any) -> dict[str, Any]:
        return DUMP["eligibility"].dump(case_eligibility(case))

    def _current_quote(self, case: Any) -> dict[str, Any] | None:
        quote = current_quote(case)
        return DUMP["quote"].dump(quote) if quote else None

    def _tracking_flag(self, case: Any) -> dict[str, Any] | None:
        flagged = [s for s in case.shipments if s.tracking_flag]
        return DUMP["tracking_flag"].dump(flagged[-1]) if flagged else None

    def _allowed_actions(self, case: Any) -> list[str]:
        return allowed_actions(case, current_principal().actor)

    def _sla(self, case: Any) -> dict[str, Any]:
        return {
            name: DUMP["sla_clock"].dump(clock) for name, clock in describe(case, utcnow()).items()
        }

    def _overdue(self, case: Any) -> bool:
        return case.first_responded_at is None and case.first_response_due_at < utcnow()


class CaseQueryArgsSchema(CursorArgsSchema):
    status = ma.fields.List(ma.fields.Enum(CaseStatus, by_value=True))
    kind = ma.fields.List(ma.fields.Enum(CaseKind, by_value=True))
    customer_id = ma.fields.UUID()
    order_reference = ma.fields.String()
    created_after = DateTime(metadata={"description": "Inclusive."})
    created_before = DateTime(metadata={"description": "Exclusive."})
    overdue = ma.fields.Boolean(
        metadata={"description": "Any SLA clock running past its deadline (or none)."}
    )
    due_before = DateTime(
        metadata={"description": "A running SLA clock falls due before this time."}
    )
    customer_replied = ma.fields.Boolean(
        metadata={"description": "The customer wrote and staff have not answered (or not)."}
    )
    channel = ma.fields.List(ma.fields.Enum(CaseChannel, by_value=True))
    storefront_id = ma.fields.UUID(metadata={"description": "Staff: one storefront's cases."})
    assignee_id = ma.fields.UUID(metadata={"description": "Dispatched to this staff member."})
    unassigned = ma.fields.Boolean(metadata={"description": "`true`: dispatched to no one."})
    escalated = ma.fields.Boolean()
    tracking_flagged = ma.fields.Boolean(
        metadata={"description": "Carrier tracking flagged the case for the desk (or not)."}
    )
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={
            "description": "Search: case number (or its digits), order reference, serial "
            "number, customer name (part), e-mail, or phone in any format."
        },
    )
    updated_after = DateTime(
        metadata={
            "description": "Changed after this time (exclusive). With `sort=updated_at`, "
            "the incremental sync: see the README."
        }
    )
    serial_number = ma.fields.String(
        validate=ma.validate.Length(min=1, max=64),
        metadata={"description": "An item with this serial number (exact, as sent)."},
    )
    sku = ma.fields.String(
        validate=ma.validate.Length(min=1, max=64),
        metadata={"description": "An item with this SKU (exact)."},
    )
    customer_email = ma.fields.String(
        validate=ma.validate.Length(min=1, max=320),
        metadata={"description": "The customer's e-mail (matched as stored: normalised)."},
    )
    customer_phone = ma.fields.String(
        validate=ma.validate.Length(min=1, max=64),
        metadata={
            "description": "The customer's phone in any format; without a country code, "
            "the default phone region's."
        },
    )
    include = DelimitedList(
        ma.fields.String(validate=ma.validate.OneOf(INCLUDES)),
        load_default=[],
        metadata={"description": "Comma-separated extras per case: `allowed_actions`."},
    )
    sort = ma.fields.String(
        load_default="newest",
        validate=ma.validate.OneOf(SORTS),
        metadata={
            "description": "`newest` (created, newest first), `due` (the earliest running "
            "SLA deadline first; cases with no clock running last) or `updated_at` (least "
            "recently changed first: incremental sync)."
        },
    )

    @ma.post_load
    def _normalise_contacts(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        """E-mail and phone as customers' are stored, so the lookup is an equality."""
        errors = {}
        if "customer_email" in data:
            try:
                data["customer_email"] = normalise_email(data["customer_email"])
            except ValueError:
                errors["customer_email"] = ["Not an e-mail address."]
        if "customer_phone" in data:
            region = current_app.config["SETTINGS"].default_phone_region
            try:
                data["customer_phone"] = normalise_phone(data["customer_phone"], region)
            except ValueError:
                errors["customer_phone"] = ["Not a phone number."]
        if errors:
            raise ma.ValidationError(errors)
        return data


class StaffRefSchema(Schema):
    id = ma.fields.UUID()
    name = ma.fields.String()
    role = ma.fields.String(attribute="role.value")


class ReceiptSchema(Schema):
    condition = ma.fields.Enum(ItemCondition, by_value=True)
    accessories = ma.fields.List(ma.fields.String())
    serial_number_seen = ma.fields.String(allow_none=True)
    notes = ma.fields.String(allow_none=True)
    received_by_name = ma.fields.String()
    received_at = ma.fields.AwareDateTime()


class CaseResolutionSchema(Schema):
    problem_found = ma.fields.String(allow_none=True)
    cause = ma.fields.String(allow_none=True)
    fix = ma.fields.String(allow_none=True)
    refund_amount_minor = ma.fields.Integer(allow_none=True, metadata=MONEY)
    refund_currency = ma.fields.String(allow_none=True)


class ActorSchema(Schema):
    type = ma.fields.String(attribute="actor_type")
    id = ma.fields.UUID(attribute="actor_id", allow_none=True)
    name = ma.fields.String(attribute="actor_name")


class CaseEventSchema(Schema):
    sequence = ma.fields.Integer()
    action = ma.fields.String()
    from_status = ma.fields.Enum(CaseStatus, by_value=True, allow_none=True)
    to_status = ma.fields.Enum(CaseStatus, by_value=True)
    actor = ma.fields.Function(lambda event: DUMP["actor"].dump(event))
    note = ma.fields.String(allow_none=True)
    internal = ma.fields.Boolean(metadata={"description": "Staff-only; never shown to customers"})
    data = ma.fields.Dict()
    created_at = ma.fields.AwareDateTime()


#: Nested schemas dumped from Function/Method fields, built once: a schema instance is
#: costly to make and safe to reuse for dumping (25 cases a page add up).
DUMP: dict[str, Schema] = {
    "warranty": WarrantySchema(),
    "return_window": ReturnWindowSchema(),
    "resolution": CaseResolutionSchema(),
    "eligibility": EligibilitySchema(),
    "quote": QuoteSchema(),
    "sla_clock": SlaClockSchema(),
    "actor": ActorSchema(),
    "tracking_flag": TrackingFlagSchema(),
}
