"""A faster `Schema.dump`, compiled once per schema from its declared fields.

marshmallow's dump sends every value through `Field.serialize`, `get_value`, the
schema's accessor and the missing/default checks, field by field and object by object:
for a page of 25 case summaries that was a fifth of the request. `dumper(schema)`
walks the schema's dump fields once and returns a function doing the same work with
less machinery:

- a plain field (one that reads its attribute and keeps marshmallow's own `serialize`
  and `get_value`): the value is looked up as marshmallow looks it up (a key, else an
  attribute), and formatted by the field's own `_serialize`, so every value comes out
  exactly as marshmallow writes it;
- `Nested` and `List` of such fields are compiled recursively;
- any other field (`Method`, `Function`, a custom `serialize`) is asked as marshmallow
  asks it: `field.serialize(name, obj, accessor=schema.get_attribute)`, the field of
  the schema instance being dumped (a `Method` field calls a method of its own schema;
  inside a compiled `Nested`, of the nested instance the dumper was compiled with, so
  a nested schema's methods must not depend on per-instance state).

A schema with dump hooks (`pre_dump`, `post_dump`) or its own `get_attribute` is not
compiled: `dumper` returns None and marshmallow dumps it. tests/test_fastdump.py checks
the two agree field type by field type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from marshmallow.decorators import POST_DUMP, PRE_DUMP
from marshmallow.utils import missing

#: (the schema instance being dumped, object) -> the object's dumped form.
Dump = Callable[[Any, Any], Any]
#: (the value read from the object, the object) -> the field's dumped value.
Convert = Callable[[Any, Any], Any]

_cache: dict[tuple, Dump | None] = {}


def dumper(schema: ma.Schema) -> Dump | None:
    """The compiled dump of `schema` for one object (None: marshmallow must dump it).
    Compiled once per schema class and set of dump fields."""
    key = (type(schema), tuple(schema.dump_fields))
    if key not in _cache:
        _cache[key] = _compile(schema)
    return _cache[key]


def _compile(schema: ma.Schema) -> Dump | None:
    if schema._hooks[PRE_DUMP] or schema._hooks[POST_DUMP]:
        return None
    if type(schema).get_attribute is not ma.Schema.get_attribute:
        return None
    steps: list[tuple[str, str, Any, Convert | None]] = []
    for name, field in schema.dump_fields.items():
        key = field.data_key if field.data_key is not None else name
        source = field.attribute or name
        if _reads_plainly(field) and "." not in source:
            steps.append((key, source, field.dump_default, _converter(field, name)))
        else:
            steps.append((key, name, missing, None))

    def dump(current: ma.Schema, obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, source, default, convert in steps:
            if convert is None:  # marshmallow's own way, for this field only
                field = current.dump_fields[source]
                value = field.serialize(source, obj, accessor=current.get_attribute)
                if value is not missing:
                    out[key] = value
                continue
            value = _value(obj, source)
            if value is missing:
                value = default() if callable(default) else default
                if value is missing:
                    continue
            out[key] = convert(value, obj)
        return out

    return dump


def _reads_plainly(field: ma.fields.Field) -> bool:
    """The field reads its attribute the way marshmallow's Field does."""
    cls = type(field)
    return (
        field._CHECK_ATTRIBUTE
        and cls.serialize is ma.fields.Field.serialize
        and cls.get_value is ma.fields.Field.get_value
    )


def _converter(field: ma.fields.Field, name: str) -> Convert:
    """What `field._serialize` does with a value, Nested and List compiled."""
    cls = type(field)
    if isinstance(field, ma.fields.Nested) and cls._serialize is ma.fields.Nested._serialize:
        nested = field.schema
        inner = dumper(nested)
        if inner is not None:
            if nested.many or field.many:
                return lambda value, _obj: (
                    None if value is None else [inner(nested, v) for v in value]
                )
            return lambda value, _obj: None if value is None else inner(nested, value)
    if isinstance(field, ma.fields.List) and cls._serialize is ma.fields.List._serialize:
        # List._serialize hands each item to its inner field's `_serialize`.
        convert_item = _converter(field.inner, name)
        return lambda value, obj: None if value is None else [convert_item(v, obj) for v in value]
    serialize = field._serialize
    return lambda value, obj: serialize(value, name, obj)


def _value(obj: Any, key: str) -> Any:
    """marshmallow.utils.get_value for a key without dots: an item, else an attribute."""
    if not hasattr(obj, "__getitem__"):
        return getattr(obj, key, missing)
    try:
        return obj[key]
    except (KeyError, IndexError, TypeError, AttributeError):
        return getattr(obj, key, missing)
