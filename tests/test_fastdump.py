"""The compiled dump (service.core.fastdump, used by every schema of the API) writes
exactly what marshmallow's own dump writes: field type by field type, for dicts and
objects, missing and None values, defaults, keys and attributes, nested schemas and
lists, and for a whole case as the API answers it."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import marshmallow as ma
import pytest
from flask import g

from service.cases.models import Case
from service.cases.schemas import CaseSchema
from service.core import fastdump
from service.core.api import Schema
from service.core.auth import authenticate


class Colour(enum.Enum):
    red = "red"
    blue = "blue"


class Tag(Schema):
    label = ma.fields.String()
    weight = ma.fields.Integer(allow_none=True)


class Everything(Schema):
    id = ma.fields.UUID()
    name = ma.fields.String()
    count = ma.fields.Integer()
    ratio = ma.fields.Float()
    price = ma.fields.Decimal(as_string=True)
    ok = ma.fields.Boolean()
    colour = ma.fields.Enum(Colour, by_value=True)
    shade = ma.fields.Enum(Colour)
    at = ma.fields.AwareDateTime()
    day = ma.fields.Date()
    blob = ma.fields.Dict()
    tags = ma.fields.List(ma.fields.Nested(Tag))
    words = ma.fields.List(ma.fields.String())
    best = ma.fields.Nested(Tag, allow_none=True)
    many_tags = ma.fields.Nested(Tag, many=True)
    listed_tags = ma.fields.Nested(Tag(many=True))  # `many` on the schema instead
    renamed = ma.fields.String(data_key="shown_as")
    sourced = ma.fields.String(attribute="elsewhere")
    dotted = ma.fields.String(attribute="best.label")
    defaulted = ma.fields.String(dump_default="none given")
    computed = ma.fields.Method("twice")
    function = ma.fields.Function(lambda obj: "f")
    secret = ma.fields.String(load_only=True)

    def twice(self, obj: Any) -> Any:
        return 2 * (obj["count"] if isinstance(obj, dict) else obj.count)


FULL = {
    "id": uuid.UUID(int=7),
    "name": "Li Wei",
    "count": 3,
    "ratio": 0.5,
    "price": Decimal("12.30"),
    "ok": True,
    "colour": Colour.red,
    "shade": Colour.blue,
    "at": datetime(2026, 12, 2, 18, 0, 0, 123456, tzinfo=UTC),
    "day": date(2026, 12, 2),
    "blob": {"a": [1, 2]},
    "tags": [{"label": "lid", "weight": 2}, {"label": "box", "weight": None}],
    "words": ["a", "b"],
    "best": {"label": "lid", "weight": 1},
    "many_tags": [{"label": "x"}],
    "listed_tags": [{"label": "y", "weight": 5}],
    "renamed": "r",
    "elsewhere": "e",
    "defaulted": "given",
    "secret": "never dumped",
}


@dataclass
class Thing:
    count: int = 3
    name: str | None = None
    tags: list = field(default_factory=list)
    best: Any = None


def marshmallow_dump(schema: ma.Schema, obj: Any, many: bool | None = None) -> Any:
    return ma.Schema.dump(schema, obj, many=many)


@pytest.mark.parametrize(
    "obj",
    [
        FULL,
        {**FULL, "best": None, "tags": None, "name": None, "at": None, "colour": None},
        {"count": 1},  # nearly everything missing: left out, or its default
        Thing(tags=[{"label": "t"}], best={"label": "b"}),
        Thing(name="object, not dict"),
    ],
    ids=["full", "nones", "missing", "object", "object-missing"],
)
def test_the_compiled_dump_writes_what_marshmallow_writes(obj):
    schema = Everything()
    assert fastdump.dumper(schema) is not None
    assert schema.dump(obj) == marshmallow_dump(schema, obj)


def test_many_and_only_and_exclude_agree_too():
    objects = [FULL, {"count": 2, "name": "two"}]
    assert Everything(many=True).dump(objects) == marshmallow_dump(Everything(many=True), objects)
    assert Everything().dump(objects, many=True) == marshmallow_dump(Everything(), objects, True)
    only = Everything(only=("id", "tags", "computed"))
    assert only.dump(FULL) == marshmallow_dump(only, FULL)
    exclude = Everything(exclude=("blob", "best"))
    assert exclude.dump(FULL) == marshmallow_dump(exclude, FULL)


def test_a_schema_with_dump_hooks_is_left_to_marshmallow():
    class Hooked(Schema):
        name = ma.fields.String()

        @ma.post_dump
        def shout(self, data: dict, **_kwargs: Any) -> dict:
            return {**data, "name": data["name"].upper()}

    assert fastdump.dumper(Hooked()) is None
    assert Hooked().dump({"name": "quiet"}) == {"name": "QUIET"}


def test_a_whole_case_dumps_alike(app, db_session, walk, admin):
    case_id = walk("shipped")["id"]  # items, a receipt, a quote with lines, a shipment
    case = db_session.get(Case, uuid.UUID(case_id))
    assert case.quotes and case.shipments and case.items[0].receipts
    schema = CaseSchema()
    assert fastdump.dumper(schema) is not None
    with app.test_request_context(headers=admin.headers):
        g.principal = authenticate()  # the allowed actions are the caller's
        assert schema.dump(case) == marshmallow_dump(schema, case)


def test_a_method_field_is_asked_of_the_schema_instance_being_dumped():
    class Greeting(Schema):
        text = ma.fields.Method("_text")

        def __init__(self, greeting: str, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.greeting = greeting

        def _text(self, obj: Any) -> str:
            return f"{self.greeting}, {obj['name']}"

    # Both instances share one compiled dumper; each answers with its own state.
    assert Greeting("Hello").dump({"name": "Li"}) == {"text": "Hello, Li"}
    assert Greeting("你好").dump({"name": "Li"}) == {"text": "你好, Li"}
