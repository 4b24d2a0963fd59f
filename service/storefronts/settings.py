"""A storefront's settings: the one validation and update used by the admin page, the
CLI (`flask storefronts set/create`) and the API (`GET/PATCH /storefronts/{id}`).

`SettingsSchema` holds the rules of every field; `change_settings` loads the changes
with it (partial: only the fields given), then checks what needs the database (the
case prefix is unique across storefronts), and only then writes. A failure raises
`marshmallow.ValidationError` naming the fields; nothing is written.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import marshmallow as ma
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.cases.models import CaseKind
from service.core.api import Schema
from service.core.fields import TimeZone
from service.storefronts.keys import CASE_PREFIX, create_storefront
from service.storefronts.models import Storefront

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HOUR = ma.validate.Range(min=0, max=23)
#: A storefront's own API budget, requests per minute.
BUDGET = ma.validate.Range(min=1, max=100_000)


def _prefix(value: str) -> None:
    if not CASE_PREFIX.fullmatch(value):
        raise ValidationError("1 to 12 letters or digits, starting with a letter (e.g. RMA).")


class SettingsSchema(Schema):
    """What an admin may change on a storefront (`case_seq` is the service's own)."""

    name = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    case_prefix = ma.fields.String(
        validate=_prefix,
        metadata={"description": "Case numbers read `<prefix>-000123`; unique across storefronts."},
    )
    warranty_months = ma.fields.Integer(validate=ma.validate.Range(min=0, max=240))
    return_window_days = ma.fields.Integer(validate=ma.validate.Range(min=0, max=365))
    first_response_hours = ma.fields.Integer(validate=ma.validate.Range(min=1, max=720))
    resolution_hours = ma.fields.Dict(
        keys=ma.fields.String(
            validate=ma.validate.OneOf([k.value for k in CaseKind] + ["default"])
        ),
        values=ma.fields.Integer(validate=ma.validate.Range(min=1, max=8760)),
        metadata={"description": "Resolution target in hours per case kind (and `default`)."},
    )
    survey_delay_hours = ma.fields.Integer(validate=ma.validate.Range(min=0, max=72))
    quiet_start_hour = ma.fields.Integer(validate=HOUR)
    quiet_end_hour = ma.fields.Integer(validate=HOUR)
    tax_rate_bp = ma.fields.Integer(
        validate=ma.validate.Range(min=0, max=10_000),
        metadata={"description": "Tax added to quotes, in basis points (1300 = 13 %)."},
    )
    time_zone = TimeZone(
        metadata={"description": "IANA zone of the storefront's day (its reports' days)."}
    )
    rate_limit_read_per_minute = ma.fields.Integer(
        allow_none=True,
        validate=BUDGET,
        metadata={
            "description": "Reads (GET) per minute for each of the storefront's API keys; "
            "null: the service's default."
        },
    )
    rate_limit_write_per_minute = ma.fields.Integer(
        allow_none=True,
        validate=BUDGET,
        metadata={
            "description": "Writes (POST, PATCH, ...) per minute for each of the storefront's "
            "API keys; null: the service's default."
        },
    )

    @ma.pre_load
    def _upper_prefix(self, data: Any, **_kwargs: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("case_prefix"), str):
            data = {**data, "case_prefix": data["case_prefix"].strip().upper()}
        return data


class StorefrontSchema(SettingsSchema):
    id = ma.fields.UUID(dump_only=True)
    slug = ma.fields.String(dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)


FIELDS = tuple(SettingsSchema().fields)


def _check_prefix_free(session: Session, prefix: str, storefront_id: uuid.UUID | None) -> None:
    stmt = select(Storefront.name).where(func.upper(Storefront.case_prefix) == prefix)
    if storefront_id is not None:
        stmt = stmt.where(Storefront.id != storefront_id)
    if (taken_by := session.scalars(stmt).first()) is not None:
        raise ValidationError({"case_prefix": [f"{prefix} is already used by {taken_by}."]})


def change_settings(
    session: Session, storefront: Storefront, changes: dict[str, Any]
) -> Storefront:
    """Validate `changes` (raw values, any of FIELDS) and apply them, all or nothing."""
    values = SettingsSchema().load(changes, partial=True)
    if "case_prefix" in values and values["case_prefix"] != storefront.case_prefix:
        _check_prefix_free(session, values["case_prefix"], storefront.id)
    for name, value in values.items():
        setattr(storefront, name, value)
    session.flush()
    return storefront


def add_storefront(
    session: Session, name: str, slug: str | None = None, **settings: Any
) -> Storefront:
    """A new storefront with validated settings. A case prefix given must be free; none
    given, one is derived from the name (`Acme Gadgets` -> `AG`, then `AG2`...)."""
    values = SettingsSchema().load({"name": name, **settings}, partial=True)
    if slug is not None and not (SLUG.match(slug) and len(slug) <= 64):
        raise ValidationError({"slug": ["Lower-case letters, digits and dashes."]})
    if values.get("case_prefix"):
        _check_prefix_free(session, values["case_prefix"], None)
    slug = slug or re.sub(r"[^a-z0-9]+", "-", values["name"].lower()).strip("-")[:64] or "shop"
    if session.scalars(select(Storefront).where(Storefront.slug == slug)).first():
        raise ValidationError({"slug": [f"{slug} is taken."]})
    return create_storefront(session, values.pop("name"), slug, **values)
