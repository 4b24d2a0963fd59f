"""Request bodies of the case actions, one schema per action (each its own OpenAPI body)."""

from __future__ import annotations

import marshmallow as ma

from service.cases.models import CasePriority, ItemCondition
from service.contact_log.models import ContactChannel, ContactDirection
from service.core.api import Schema
from service.core.fields import DateTime
from service.quotes.models import LineKind
from service.quotes.pricing import is_currency
from service.quotes.schemas import MONEY

NOTE = {"validate": ma.validate.Length(max=2000)}


def _currency(value: str) -> None:
    if not is_currency(value):
        raise ma.ValidationError("Not an ISO 4217 currency code.")


class NoteSchema(Schema):
    note = ma.fields.String(**NOTE)


class RequestItemSchema(NoteSchema):
    shipping_instructions = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=2000),
        metadata={"description": "Where and how the customer sends the item."},
    )


class ReceiptLineSchema(Schema):
    item_id = ma.fields.UUID(required=True)
    condition = ma.fields.Enum(ItemCondition, by_value=True, required=True)
    accessories = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=100)),
        load_default=list,
        validate=ma.validate.Length(max=30),
    )
    serial_number_seen = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
    notes = ma.fields.String(validate=ma.validate.Length(max=2000))


class ReceiveSchema(NoteSchema):
    items = ma.fields.List(
        ma.fields.Nested(ReceiptLineSchema),
        required=True,
        validate=ma.validate.Length(min=1),
        metadata={"description": "One entry per item of the case."},
    )


class DiagnoseSchema(NoteSchema):
    technician_id = ma.fields.UUID(
        metadata={"description": "Assign this technician now (else the case's assignee)."}
    )


class QuoteLineInSchema(Schema):
    kind = ma.fields.Enum(LineKind, by_value=True, required=True)
    description = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))
    quantity = ma.fields.Integer(strict=True, load_default=1, validate=ma.validate.Range(1, 1000))
    unit_price_minor = ma.fields.Integer(
        strict=True,
        required=True,
        validate=ma.validate.Range(min=0, max=100_000_000),
        metadata={"description": "Integer minor units (cents, fen).", **MONEY},
    )
    item_id = ma.fields.UUID(
        metadata={"description": "The case item concerned; defaults to the only item."}
    )


class SendQuoteSchema(NoteSchema):
    currency = ma.fields.String(required=True, validate=_currency)
    valid_until = DateTime(required=True)
    lines = ma.fields.List(
        ma.fields.Nested(QuoteLineInSchema),
        required=True,
        validate=ma.validate.Length(min=1, max=100),
        metadata={
            "description": "1 to 100 lines; the totals (up to 100 x 1,000 x 100,000,000 "
            "minor units before tax) are 64-bit integers."
        },
    )


class QuoteDecisionSchema(NoteSchema):
    quote_id = ma.fields.UUID(
        metadata={"description": "The quote decided on; refused if it is no longer current."}
    )


class ResolutionSchema(NoteSchema):
    problem_found = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=4000))
    cause = ma.fields.String(validate=ma.validate.Length(max=4000))
    fix = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=4000))


class ReplaceSchema(NoteSchema):
    replacement_sku = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
    replacement_serial_number = ma.fields.String(validate=ma.validate.Length(min=1, max=64))


class RefundSchema(NoteSchema):
    amount_minor = ma.fields.Integer(
        strict=True,
        required=True,
        validate=ma.validate.Range(min=1, max=100_000_000),
        metadata={"description": "Integer minor units.", **MONEY},
    )
    currency = ma.fields.String(required=True, validate=_currency)
    reason = ma.fields.String(validate=ma.validate.Length(max=2000))


class TrackingSchema(NoteSchema):
    tracking_number = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    carrier = ma.fields.String(
        validate=ma.validate.Length(min=1, max=32),
        metadata={"description": "Carrier code (ups, sf_express, ...); detected when omitted."},
    )
    carrier_name = ma.fields.String(
        validate=ma.validate.Length(min=1, max=100),
        metadata={"description": "Name of a carrier we do not know."},
    )


class ResolveSchema(NoteSchema):
    resolution = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=4000))
    problem_found = ma.fields.String(validate=ma.validate.Length(max=4000))
    cause = ma.fields.String(validate=ma.validate.Length(max=4000))


class ReasonSchema(NoteSchema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))


class AssignmentSchema(NoteSchema):
    assignee_id = ma.fields.UUID(allow_none=True)
    priority = ma.fields.Enum(CasePriority, by_value=True)
    escalated = ma.fields.Boolean()


class ContactInSchema(Schema):
    direction = ma.fields.Enum(ContactDirection, by_value=True, required=True)
    channel = ma.fields.Enum(ContactChannel, by_value=True, required=True)
    summary = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=4000))
    outcome = ma.fields.String(validate=ma.validate.Length(max=4000))
    occurred_at = DateTime(metadata={"description": "Default: now."})
