"""One error shape everywhere, and its place in the OpenAPI spec.

Every error body is `{code, status, message, errors}`: `errors` names the failing
fields (`{"json": {"customer": {"email": [...]}}}`) and is `{}` when no field is to
blame. A refused action adds `current_status` and `allowed_actions`.
"""

from __future__ import annotations

import http
import logging
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import Response, current_app, request
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from service.core import db

logger = logging.getLogger(__name__)

#: What to say when the code raising the error said nothing.
MESSAGES = {
    400: "The request is malformed: see `errors`.",
    401: "A valid API key or staff token is required: Authorization: Bearer <token>.",
    403: "You may not do this.",
    404: "Nothing here: check the path.",
    405: "This method is not allowed here; the Allow header lists those that are.",
    409: "Conflicts with the current state.",
    412: "If-Match does not match the current ETag: read the resource again and retry.",
    413: "The request body is too large.",
    415: "Send JSON (Content-Type: application/json).",
    422: "The request failed validation: see `errors`.",
    428: "This change needs an If-Match header with the ETag you last read.",
    429: "Too many requests: slow down and retry later.",
    500: "Something went wrong on our side; it has been logged.",
    503: "The database is busy or unavailable; retry shortly.",
}


class ErrorSchema(ma.Schema):
    """The error body (documentation only: handlers build it with `error_body`)."""

    code = ma.fields.Integer(required=True, metadata={"description": "The HTTP status code"})
    status = ma.fields.String(required=True, metadata={"description": "The HTTP status name"})
    message = ma.fields.String(required=True, metadata={"description": "What went wrong"})
    errors = ma.fields.Dict(
        required=True,
        metadata={
            "description": "The failing fields by location (json, query, path, headers), "
            "each with its messages; empty when no field is to blame"
        },
    )
    current_status = ma.fields.String(
        metadata={"description": "A refused action: the case's status now"}
    )
    allowed_actions = ma.fields.List(
        ma.fields.String(), metadata={"description": "A refused action: what the caller may do now"}
    )


def error_body(
    code: int, message: str | None = None, errors: dict[str, Any] | None = None, **details: Any
) -> dict[str, Any]:
    return {
        "code": code,
        "status": HTTP_STATUS_CODES.get(code, "Error"),
        "message": message or MESSAGES.get(code) or http.HTTPStatus(code).description,
        "errors": errors or {},
        **details,
    }


def http_error(error: HTTPException) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The JSON answer for an HTTP error raised anywhere (abort, webargs, werkzeug,
    flask-smorest's ETag checks, an unhandled exception made a 500)."""
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("errors", data.get("messages"))
    if code == 413 and errors is None:
        # The request's own limit: upload routes raise it (service/attachments/).
        limit = request.max_content_length or current_app.config.get("MAX_CONTENT_LENGTH")
        data = {**data, "message": f"The request body is larger than {limit} bytes."}
    body = error_body(code, data.get("message"), errors, **(data.get("details") or {}))
    # werkzeug's own headers (Allow on a 405) without its HTML content type.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    return body, code, headers


def _integrity_error(_error: IntegrityError) -> tuple[dict[str, Any], int]:
    # A constraint caught what validation could not (usually a concurrent duplicate).
    db.rollback()
    return error_body(409, "Conflicts with existing data."), 409


def _stale(_error: StaleDataError) -> tuple[dict[str, Any], int]:
    # Another request changed the row between our read and our write.
    db.rollback()
    return error_body(409, "Changed concurrently; reload and retry."), 409


def _database_unavailable(_error: OperationalError) -> tuple[dict[str, Any], int]:
    logger.warning("database unavailable", exc_info=True)
    db.rollback()
    return error_body(503), 503


DATABASE_ERROR_HANDLERS: dict[type[Exception], Callable[[Any], Any]] = {
    IntegrityError: _integrity_error,
    OperationalError: _database_unavailable,
    StaleDataError: _stale,
}


# ---------------------------------------------------------------------------
# Documentation: each operation lists the errors it can answer, all with the schema.


def error_responses(doc_info: dict[str, Any], method: str = "get") -> dict[int, str]:
    """The error statuses of one operation, as flask-smorest's response names (each
    registered with the error schema): from what the operation does, so a new route
    is documented without anyone remembering to."""
    takes_body = "requestBody" in doc_info.get("arguments", {})
    # Every API call is rate limited (service.core.ratelimit).
    statuses = [429, 500, 503]
    if takes_body:
        # Malformed or too deeply nested JSON, a bad Idempotency-Key; an oversized
        # body; a body that is not JSON; a write that lost a race to a concurrent one.
        statuses += [400, 409, 413, 415]
    if doc_info.get("etag") and method.upper() in ("POST", "PUT", "PATCH", "DELETE"):
        # A change checked against If-Match: stale (412) or missing (428).
        statuses += [412, 428]
    if doc_info.get("has_path_args"):
        # No such case/customer; a path argument holding unsafe text.
        statuses += [404, 422]
    return {status: http.HTTPStatus(status).name for status in statuses}


def unrouted_page(handlers: dict[str, Callable[[HTTPException], Response]]) -> Any:
    """The handler of a path prefix served as HTML pages (the customer pages), for an
    error raised before any of its routes matched (unknown path, wrong method)."""
    if request.url_rule is not None:
        return None
    for prefix, handler in handlers.items():
        if request.path == prefix.rstrip("/") or request.path.startswith(prefix):
            return handler
    return None
