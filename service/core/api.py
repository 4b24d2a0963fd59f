"""API conventions, held once: the Api, Blueprint and Schema bases, the request
transaction, cursor pages and error mapping.

Every error body has flask-smorest's shape `{code, status, message, errors}`, where
`errors` names the failing fields (`{"json": {"customer": {"email": [...]}}}`).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

import marshmallow as ma
from flask import Response, g
from flask_smorest import Api as BaseApi
from flask_smorest import Blueprint as BaseBlueprint
from flask_smorest import abort
from sqlalchemy import Select, and_, or_
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from webargs.flaskparser import FlaskParser

from service.core import db, idempotency
from service.core.auth import authenticate

API_PREFIX = "/api/v1"


class Schema(ma.Schema):
    """Base schema: unknown fields are errors, so a typo never passes silently."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class Api(BaseApi):
    def handle_http_exception(self, error: Any) -> Any:
        """flask-smorest's error body, plus any `details` given to `abort` (e.g. the
        current status and allowed actions of a refused transition)."""
        payload, code, headers = super().handle_http_exception(error)
        details = (getattr(error, "data", None) or {}).get("details")
        if details:
            payload.update(details)
        return payload, code, headers

    def _register_error_handlers(self) -> None:
        super()._register_error_handlers()
        self._app.register_error_handler(IntegrityError, _integrity_error)
        self._app.register_error_handler(OperationalError, _database_unavailable)
        self._app.register_error_handler(StaleDataError, _stale)


def _integrity_error(_error: IntegrityError) -> tuple[dict[str, Any], int]:
    # A constraint caught what validation could not (usually a concurrent duplicate).
    db.session().rollback()
    return {"code": 409, "status": "Conflict", "message": "Conflicts with existing data."}, 409


def _stale(_error: StaleDataError) -> tuple[dict[str, Any], int]:
    # Another request changed the row between our read and our write.
    db.session().rollback()
    body = {"code": 409, "status": "Conflict", "message": "Changed concurrently; reload and retry."}
    return body, 409


def _database_unavailable(_error: OperationalError) -> tuple[dict[str, Any], int]:
    db.session().rollback()
    body = {
        "code": 503,
        "status": "Service Unavailable",
        "message": "The database is busy or unavailable; retry shortly.",
    }
    return body, 503


class Blueprint(BaseBlueprint):
    # unknown=None defers to the schema's Meta.unknown (RAISE): a misspelt query
    # parameter is an error, not a silently unfiltered list.
    ARGUMENTS_PARSER = FlaskParser(unknown=None)

    # Actions change what others may be looking at: POST needs If-Match too, wherever
    # a view carries @blp.etag (creation does not).
    METHODS_NEEDING_CHECK_ETAG = ["PUT", "PATCH", "DELETE", "POST"]

    def auth_required(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Require a storefront key or staff token; documents the bearer scheme and the 401."""

        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.principal = authenticate()
            return func(*args, **kwargs)

        wrapper = self.alt_response(401, description="Missing, unknown or revoked credentials")(
            wrapper
        )
        return self.doc(security=[{"bearerAuth": []}])(wrapper)


def transaction(func: Callable[..., Any] | None = None, *, idempotent: bool = False) -> Any:
    """Commit the request's work once, after the view produced a successful response.

    Sits between `@blp.arguments` and `@blp.response`, so it sees the serialized
    response. With `idempotent=True` the `Idempotency-Key` header is honoured: the
    response is stored in the same transaction as the work, and a repeat of the same
    request gets the stored response instead of a second creation.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            session = db.session()
            key = idempotency.request_key() if idempotent else None
            if key is not None:
                replay = idempotency.replay(session, key)
                if replay is not None:
                    return replay
            try:
                response: Response = view(*args, **kwargs)
                if response.status_code >= 400:
                    db.rollback()
                    return response
                if key is not None:
                    idempotency.record(session, key, response)
                session.commit()
            except IntegrityError:
                db.rollback()
                if key is not None and (replay := idempotency.replay(session, key)):
                    # A concurrent request with the same key won the race.
                    return replay
                raise
            except BaseException:
                db.rollback()
                raise
            db.run_after_commit()
            return response

        if idempotent:
            apidoc = dict(getattr(wrapper, "_apidoc", {}))
            manual = dict(apidoc.get("manual_doc", {}))
            manual["parameters"] = [*manual.get("parameters", []), IDEMPOTENCY_KEY_PARAMETER]
            wrapper._apidoc = {**apidoc, "manual_doc": manual}
        return wrapper

    return decorator(func) if func is not None else decorator


IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "Repeat a create safely: the same key with the same body returns the "
    "first response; with a different body it is rejected (422).",
}


# ---------------------------------------------------------------------------
# Cursor (keyset) pagination: stable newest-first order on (created_at, id).


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


def field_errors(path: str, message: str, location: str = "json") -> dict[str, Any]:
    """`items.0.item_id` -> {"json": {"items": {"0": {"item_id": [message]}}}}, the shape
    marshmallow gives, so a client reads service-level and schema errors alike."""
    node: Any = [message]
    for part in reversed(path.split(".")):
        node = {part: node}
    return {location: node}


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, row_id = json.loads(raw)
        return datetime.fromisoformat(created_at), uuid.UUID(row_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        abort(422, message="Invalid cursor.", errors={"query": {"cursor": ["Invalid cursor."]}})


def keyset_page(
    session: Any, stmt: Select[Any], model: Any, limit: int, cursor: str | None
) -> dict[str, Any]:
    """One page of `stmt`, newest first; `next_cursor` is None on the last page."""
    if cursor:
        created_at, row_id = decode_cursor(cursor)
        stmt = stmt.where(
            or_(
                model.created_at < created_at,
                and_(model.created_at == created_at, model.id < row_id),
            )
        )
    stmt = stmt.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)
    rows = list(session.scalars(stmt))
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if has_more else None
    return {"items": rows, "next_cursor": next_cursor}


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
