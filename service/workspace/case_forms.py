"""The case page's action forms, derived from the API's body schemas.

Each action of the transition table has a body schema (service.cases.action_schemas);
`fields_of(schema)` turns its declared fields into what a form shows (text, a longer
text, a number, an amount, a choice, a staff picker, a yes/no, a date), with
`required` and the length limit taken from the schema, so the page never restates a
rule. Lists of nested rows (the items received, the quote's lines) are drawn by the
template per row; `collect(action, form, case)` reads them back, with every other field,
into the dict the schema then validates (in service.workspace.actions.act).

Inputs are named by the path of the field in the body (`items.0.condition`), so the
schema's errors, flattened the same way (`flat_errors`), land on their inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import marshmallow as ma
from babel.numbers import get_currency_precision
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from service.cases.models import Case, CasePriority, ItemCondition
from service.contact_log.models import ContactDirection
from service.quotes.models import LineKind
from service.workspace.words import WORDS

#: Labels of the body fields, by name (every schema uses the same names for the same thing).
LABELS: dict[str, Any] = {
    "note": _l("Note (internal)"),
    "shipping_instructions": _l("Shipping instructions for the customer"),
    "technician_id": _l("Technician"),
    "currency": _l("Currency"),
    "valid_until": _l("Valid until"),
    "quote_id": _l("Quote"),
    "problem_found": _l("Problem found"),
    "cause": _l("Cause"),
    "fix": _l("Fix"),
    "replacement_sku": _l("Replacement SKU"),
    "replacement_serial_number": _l("Replacement serial number"),
    "amount_minor": _l("Amount"),
    "reason": _l("Reason"),
    "tracking_number": _l("Tracking number"),
    "carrier": _l("Carrier"),
    "carrier_name": _l("Carrier name (if not listed)"),
    "resolution": _l("Resolution"),
    "assignee_id": _l("Assignee"),
    "priority": _l("Priority"),
    "escalated": _l("Escalated"),
    "items": _l("Items"),
    "condition": _l("Condition"),
    "accessories": _l("Accessories (comma-separated)"),
    "serial_number_seen": _l("Serial number seen"),
    "notes": _l("Notes"),
    "lines": _l("Lines"),
    "kind": _l("Kind"),
    "description": _l("Description"),
    "quantity": _l("Quantity"),
    "unit_price_minor": _l("Unit price"),
    "item_id": _l("Item"),
    "service_attitude": _l("Service attitude"),
    "product_quality": _l("Product quality"),
    "price_reasonableness": _l("Price reasonableness"),
    "overall_satisfaction": _l("Overall satisfaction"),
    "comment": _l("Comment"),
    "direction": _l("Direction"),
    "summary": _l("Reason for the call"),
    "outcome": _l("Outcome"),
    "case": _l("Case"),
    "customer": _l("Customer"),
    "name": _l("Name"),
    "phone": _l("Phone"),
    "email": _l("E-mail"),
    "sku": _l("SKU"),
    "serial_number": _l("Serial number"),
    "purchase_date": _l("Purchase date"),
    "order_reference": _l("Order reference"),
    "storefront_id": _l("Storefront"),
}

#: The button of each action (the transition table's actions, and dispatch).
ACTION_LABELS: dict[str, Any] = {
    "request_item": _l("Ask for the item"),
    "receive": _l("Receive"),
    "diagnose": _l("Diagnose"),
    "send_quote": _l("Send a quote"),
    "start_repair": _l("Repair under warranty"),
    "approve_quote": _l("Approved by phone"),
    "decline_quote": _l("Declined by phone"),
    "finish_repair": _l("Finish the repair"),
    "replace": _l("Replace"),
    "refund": _l("Refund"),
    "ship": _l("Ship"),
    "deliver": _l("Mark delivered"),
    "resolve": _l("Resolve"),
    "close": _l("Close"),
    "cancel": _l("Cancel the case"),
    "reopen": _l("Reopen"),
    "assign": _l("Assignment"),
}

#: Drawn per row by the template, read back by `collect`.
ROW_LISTS = {"items", "lines"}
#: Worded choices of the enums the forms show.
CHOICES_WORDS: dict[str, Any] = {
    LineKind.part.value: _l("Part"),
    LineKind.labour.value: _l("Labour"),
    LineKind.shipping.value: _l("Shipping"),
    LineKind.other.value: _l("Other"),
    ContactDirection.inbound.value: _l("Inbound (the customer called)"),
    ContactDirection.outbound.value: _l("Outbound (we called)"),
}
CONDITIONS = list(ItemCondition)
LINE_KINDS = list(LineKind)
PRIORITIES = list(CasePriority)
#: Blank quote lines offered without JavaScript (the script adds more).
BLANK_LINES = 3


@dataclass(frozen=True)
class FieldSpec:
    name: str
    #: text | textarea | integer | money | choice | staff | boolean | date | hidden | rows
    kind: str
    required: bool
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    low: int | None = None
    high: int | None = None

    @property
    def label(self) -> Any:
        return LABELS.get(self.name, self.name)


@dataclass
class Form:
    """One action's form: its fields, and (after a refused POST) values and errors."""

    action: str
    fields: list[FieldSpec]
    values: MultiDict[str, str] = field(default_factory=MultiDict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def label(self) -> Any:
        return ACTION_LABELS.get(self.action, self.action)

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


def _length(validators: list[Any]) -> int | None:
    return next((v.max for v in validators if isinstance(v, ma.validate.Length)), None)


def _range(validators: list[Any]) -> tuple[int | None, int | None]:
    found = next((v for v in validators if isinstance(v, ma.validate.Range)), None)
    return (found.min, found.max) if found else (None, None)


def _kind(name: str, declared: ma.fields.Field) -> str:
    if isinstance(declared, ma.fields.List):
        return "rows"
    if isinstance(declared, ma.fields.UUID):
        return "hidden" if name == "quote_id" else "staff"
    if isinstance(declared, ma.fields.Boolean):
        return "boolean"
    if isinstance(declared, ma.fields.Enum):
        return "choice"
    if isinstance(declared, ma.fields.DateTime):
        return "date"
    if isinstance(declared, ma.fields.Integer):
        return "money" if name.endswith("_minor") else "integer"
    limit = _length(declared.validators)
    return "textarea" if limit is not None and limit > 300 else "text"


def fields_of(schema: type[ma.Schema]) -> list[FieldSpec]:
    """The form fields of `schema`, in its declaration order (`note` last)."""
    specs = []
    for name, declared in schema._declared_fields.items():
        low, high = _range(declared.validators)
        choices: tuple[str, ...] = ()
        if isinstance(declared, ma.fields.Enum):
            choices = tuple(member.value for member in declared.enum)
        specs.append(
            FieldSpec(
                name,
                _kind(name, declared),
                declared.required,
                _length(declared.validators),
                choices,
                low,
                high,
            )
        )
    return sorted(specs, key=lambda spec: spec.name == "note")


# --- reading a POSTed form back ---------------------------------------------------------


def minor_units(text: str, currency: str) -> int | str:
    """`12.50` CNY -> 1250; what is not an amount goes to the schema as it is (its error
    names the field)."""
    try:
        amount = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        return text
    if not amount.is_finite() or abs(amount) > 10**15:
        return text  # NaN, sNaN, infinity; far beyond any price
    scaled = amount.scaleb(get_currency_precision(currency))
    if scaled != scaled.to_integral_value():
        return text
    return int(scaled)


def _number(text: str) -> int | str:
    try:
        return int(text.strip())
    except ValueError:
        return text


def _value(spec: FieldSpec, raw: str, currency: str) -> Any:
    if spec.kind == "integer":
        return _number(raw)
    if spec.kind == "money":
        return minor_units(raw, currency)
    if spec.kind == "date":
        # A day on the page; the schema wants a moment with a zone: the end of that day.
        return f"{raw}T23:59:59+00:00" if len(raw) == 10 else raw
    return raw


def _rows(prefix: str, form: MultiDict[str, str]) -> list[dict[str, str]]:
    """`prefix.N.field` inputs as a list of dicts, in N order."""
    rows: dict[int, dict[str, str]] = {}
    for key in form:
        head, _dot, rest = key.partition(".")
        index, _dot, name = rest.partition(".")
        if head == prefix and index.isdigit() and name:
            rows.setdefault(int(index), {})[name] = form.get(key, "").strip()
    return [rows[i] for i in sorted(rows)]


def line_count(form: Form) -> int:
    """How many quote rows to draw: the blank ones, or as many as came back."""
    return max(BLANK_LINES, len(_rows("lines", form.values)))


def _receipts(form: MultiDict[str, str]) -> list[dict[str, Any]]:
    out = []
    for row in _rows("items", form):
        line: dict[str, Any] = {
            "item_id": row.get("item_id", ""),
            "condition": row.get("condition"),
        }
        accessories = [a.strip() for a in row.get("accessories", "").split(",") if a.strip()]
        line["accessories"] = accessories
        for name in ("serial_number_seen", "notes"):
            if row.get(name):
                line[name] = row[name]
        out.append(line)
    return out


def _quote_lines(form: MultiDict[str, str], currency: str) -> list[dict[str, Any]]:
    out = []
    for row in _rows("lines", form):
        if not row.get("description") and not row.get("unit_price_minor"):
            continue  # a blank row left over
        line: dict[str, Any] = {
            "kind": row.get("kind", ""),
            "description": row.get("description", ""),
            "quantity": _number(row.get("quantity") or "1"),
            "unit_price_minor": minor_units(row.get("unit_price_minor", ""), currency),
        }
        if row.get("item_id"):
            line["item_id"] = row["item_id"]
        out.append(line)
    return out


def collect(fields: list[FieldSpec], form: MultiDict[str, str]) -> dict[str, Any]:
    """The body for the schema: filled fields only (an empty optional field is left
    out, as an API client would), rows read per row."""
    currency = form.get("currency", "").strip().upper() or "CNY"
    data: dict[str, Any] = {}
    for spec in fields:
        if spec.kind == "rows":
            data[spec.name] = (
                _receipts(form) if spec.name == "items" else _quote_lines(form, currency)
            )
            continue
        if spec.kind == "boolean":
            data[spec.name] = form.get(spec.name) in ("1", "on", "true")
            continue
        raw = form.get(spec.name, "").strip()
        if spec.kind == "staff" and spec.name == "assignee_id" and spec.name in form:
            data[spec.name] = raw or None  # "nobody" is a choice here
        elif raw:
            data[spec.name] = (
                raw.upper() if spec.name == "currency" else _value(spec, raw, currency)
            )
    return data


def flat_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as `path -> messages` (`items.0.condition`)."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flat_errors(value, path))
    elif isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        flat[prefix or "_form"] = list(errors)
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            flat.update(flat_errors(value, f"{prefix}.{index}"))
    else:
        flat[prefix or "_form"] = [str(errors)]
    return flat


def label_of(path: str) -> str:
    """`items.0.condition` -> "Items 1: Condition", for the list of a form's errors."""
    parts = path.split(".")
    words = []
    for part in parts:
        if part.isdigit():
            words[-1] = f"{words[-1]} {int(part) + 1}"
        elif part != "_form":
            words.append(str(LABELS.get(part, part)))
    return ": ".join(words)


def default_currency(case: Case, locale: str) -> str:
    """The currency a new quote starts in: the last quote's, else the page language's."""
    if case.quotes:
        return case.quotes[-1].currency
    return "CNY" if locale.startswith("zh") else "USD"


def choice_label(value: str) -> str:
    """An enum value of a form's choice in words (StrEnum members equal their values)."""
    return str(CHOICES_WORDS.get(value) or WORDS.get(value) or value)  # type: ignore[call-overload]
