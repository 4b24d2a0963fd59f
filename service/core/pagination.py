"""Cursor (keyset) pagination: a stable order on (key, id), newest first by default, each
page's bound one row comparison an index can seek (see `keyset_page`)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Any

import marshmallow as ma
from flask_smorest import abort
from sqlalchemy import Select, literal, tuple_

from service.core.api import Schema
from service.core.fields import in_range_utc


class CursorArgsSchema(Schema):
    limit = ma.fields.Integer(
        load_default=25,
        validate=ma.validate.Range(min=1, max=100),
        metadata={"description": "Page size (1-100)."},
    )
    cursor = ma.fields.String(
        load_default=None,
        metadata={"description": "`next_cursor` of the previous page."},
    )


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, row_id = json.loads(raw)
        # A crafted cursor is as untrusted as any input: zone and range as for fields.
        return in_range_utc(datetime.fromisoformat(created_at)), uuid.UUID(row_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, RecursionError):
        abort(422, message="Invalid cursor.", errors={"query": {"cursor": ["Invalid cursor."]}})


def keyset_page(
    session: Any,
    stmt: Select[Any],
    model: Any,
    limit: int,
    cursor: str | None,
    *,
    key: Any = None,
    descending: bool = True,
) -> dict[str, Any]:
    """One page of `stmt` in (`key`, id) order (`key` defaults to created_at; newest
    first unless `descending=False`); `next_cursor` is None on the last page.

    The cursor bound is one row comparison, `(key, id) < (x, y)`: PostgreSQL and SQLite
    both turn it into the start of an index range on (..., key, id), so a page deep in a
    million rows costs what the first page does. (The equivalent `key < x OR (key = x
    AND id < y)` is applied as a filter over every row before the cursor.)

    `stmt` selects either the mapped `model` (rows are instances) or columns including
    `id` and `key` by those names (rows are Core rows).
    """
    key = model.created_at if key is None else key
    if cursor:
        at, row_id = decode_cursor(cursor)
        bound = tuple_(key, model.id)
        after = tuple_(_bind(at, key), _bind(row_id, model.id))
        stmt = stmt.where(bound < after if descending else bound > after)
    order = (key.desc(), model.id.desc()) if descending else (key, model.id)
    stmt = stmt.order_by(*order).limit(limit + 1)
    descriptions = stmt.column_descriptions
    one_entity = len(descriptions) == 1 and descriptions[0]["expr"] is model
    rows = list(session.scalars(stmt) if one_entity else session.execute(stmt))
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if has_more else None
    next_cursor = encode_cursor(getattr(last, key.key), last.id) if last is not None else None
    return {"items": rows, "next_cursor": next_cursor}


def _bind(value: Any, column: Any) -> Any:
    """`value` as a parameter of `column`'s type (UTC datetimes are stored naive on
    SQLite: a bare datetime parameter would compare as the wrong text)."""
    return literal(value, type_=column.type)


def page_schema(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The `{items, next_cursor}` envelope of a list of `item_schema`."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return type(
        name,
        (Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "next_cursor": ma.fields.String(
                allow_none=True,
                metadata={"description": "Pass as `cursor` for the next page; null at the end."},
            ),
        },
    )
