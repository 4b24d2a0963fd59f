"""API conventions, held once: the Api, Blueprint and Schema bases, the request
transaction (cursor pages: `service.core.pagination`).

Errors have one shape, `{code, status, message, errors}` (see `service.core.errors`).
Whatever a client sends is checked here before any view sees it: text holding NUL or
an unpaired surrogate (in a body, a query or the path), JSON nested too deeply, and
datetimes outside the range every backend and time zone can hold.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, ClassVar, NoReturn

import marshmallow as ma
from flask import Response, g, request
from flask_smorest import Api as BaseApi
from flask_smorest import Blueprint as BaseBlueprint
from flask_smorest import abort
from flask_smorest.utils import prepare_response
from sqlalchemy.exc import IntegrityError
from webargs.flaskparser import FlaskParser, is_json_request

from service.core import db, errors, idempotency
from service.core.auth import authenticate
from service.core.fastdump import dumper
from service.core.fields import (
    UNSAFE_TEXT_MESSAGE,
    DateTime,
    unsafe_text,
    unsafe_text_errors,
)
from service.core.operation_ids import operation_id
from service.core.ratelimit import RATE_LIMIT_HEADERS

API_PREFIX = "/api/v1"

#: Our deepest body is 4 levels; anything past this is an attack on the parser (a
#: ~1,000-deep array of 2 KB exhausts Python's recursion limit).
MAX_JSON_DEPTH = 32


class Schema(ma.Schema):
    """Base schema: unknown fields are errors, so a typo never passes silently; no text
    holds NUL or an unpaired surrogate; datetimes are range-checked."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    _checked_classes: ClassVar[set[type]] = set()

    @ma.pre_load
    def _refuse_unsafe_text(self, data: Any, **_kwargs: Any) -> Any:
        if isinstance(data, Mapping) and (unsafe := unsafe_text_errors(data)):
            raise ma.ValidationError(unsafe)
        return data

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        # The compiled dump (service.core.fastdump): the same output, far fewer calls.
        fast = dumper(self)
        if fast is None:
            return super().dump(obj, many=many)
        if (self.many if many is None else many) and obj is not None:
            return [fast(self, item) for item in obj]
        return fast(self, obj)

    def load(self, data: Any, **kwargs: Any) -> Any:
        cls = type(self)
        if cls not in Schema._checked_classes:
            for name, field in self.load_fields.items():
                if isinstance(field, ma.fields.DateTime) and not isinstance(field, DateTime):
                    raise TypeError(f"{cls.__name__}.{name}: load datetimes with fields.DateTime")
            Schema._checked_classes.add(cls)
        return super().load(data, **kwargs)


class Api(BaseApi):
    ERROR_SCHEMA = errors.ErrorSchema

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        #: Path prefixes served as HTML pages: errors there are pages, not JSON.
        self.page_errors: dict[str, Callable[[Any], Response]] = {}
        super().__init__(*args, **kwargs)

    def handle_http_exception(self, error: Any) -> Any:
        page = errors.unrouted_page(self.page_errors)
        if page is not None:
            return page(error)
        return errors.http_error(error)

    def _register_responses(self) -> None:
        super()._register_responses()
        # The 429's headers (service.core.ratelimit): registered again, with them.
        response: dict[str, Any] = {
            "description": "Too many requests: the budget named in RateLimit-Policy is spent",
            "schema": self.ERROR_SCHEMA,
            "headers": RATE_LIMIT_HEADERS,
        }
        prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
        self.spec.components._subsections_lazy["response"].pop("TOO_MANY_REQUESTS", None)
        self.spec.components.response("TOO_MANY_REQUESTS", response, lazy=True)

    def _register_error_handlers(self) -> None:
        super()._register_error_handlers()
        for exception, handler in errors.DATABASE_ERROR_HANDLERS.items():
            self._app.register_error_handler(exception, handler)


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(raw: bytes) -> int:
    """How deeply `raw` nests arrays and objects, counted without parsing (a parser
    would recurse that deep)."""
    depth = deepest = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub(b"", raw)):
        depth += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


class RequestParser(FlaskParser):
    def load_json(self, req: Any, schema: ma.Schema) -> Any:
        # A body in another format is refused, not read as an empty one.
        if req.content_length and not is_json_request(req):
            message = "Send the body as JSON (Content-Type: application/json)."
            abort(415, message=message, errors={"headers": {"Content-Type": [message]}})
        return super().load_json(req, schema)

    def _raw_load_json(self, req: Any) -> Any:
        if is_json_request(req) and json_depth(req.get_data(cache=True)) > MAX_JSON_DEPTH:
            message = f"JSON nested more than {MAX_JSON_DEPTH} levels deep."
            abort(400, message=message, errors={"json": [message]})
        return super()._raw_load_json(req)


def _refuse_unsafe_path_args(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    unsafe = {
        name: [UNSAFE_TEXT_MESSAGE]
        for name, value in (values or {}).items()
        if isinstance(value, str) and unsafe_text(value)
    }
    if unsafe:
        abort(422, errors={"path": unsafe})


CREATED_HEADERS = {
    "Location": {
        "description": "Where the new resource is read (its own URL, or the list holding it)",
        "schema": {"type": "string"},
    },
    "ETag": {
        "description": "The new resource's ETag: send it as If-Match to change it",
        "schema": {"type": "string"},
    },
}


def created(location: str, etag_data: Any = None) -> None:
    """For the 201 being made: where the new resource is read (`Location`), and the data
    its GET makes its ETag from, so the creator may send If-Match at once. Without a
    call, Location is the request path plus the new `id`, and the ETag hashes the body."""
    g.created = (location, etag_data)


def _created_headers(response: Response) -> None:
    """Headers a view returned itself stand (an attachment's ETag is its file's hash)."""
    location, etag_data = g.pop("created", (None, None))
    body = response.get_json(silent=True)
    if location is None:
        location = request.path
        if isinstance(body, dict) and body.get("id"):
            location = f"{request.path.rstrip('/')}/{body['id']}"
    response.headers.setdefault("Location", location)
    if "ETag" not in response.headers:
        response.set_etag(BaseBlueprint._generate_etag(body if etag_data is None else etag_data))


class Blueprint(BaseBlueprint):
    # unknown=None defers to the schema's Meta.unknown (RAISE): a misspelt query
    # parameter is an error, not a silently unfiltered list.
    ARGUMENTS_PARSER = RequestParser(unknown=None)

    # Actions change what others may be looking at: POST needs If-Match too, wherever
    # a view carries @blp.etag (creation does not).
    METHODS_NEEDING_CHECK_ETAG = ["PUT", "PATCH", "DELETE", "POST"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.url_value_preprocessor(_refuse_unsafe_path_args)
        self._prepare_doc_cbks.append(self._prepare_error_doc)

    def add_url_rule(self, rule: str, *args: Any, **kwargs: Any) -> None:
        super().add_url_rule(rule, *args, **kwargs)
        for method, doc_info in self._docs[self._endpoints[-1]].items():
            if method != "parameters":
                doc_info["has_path_args"] = "<" in rule
                doc_info["rule"] = (self.url_prefix or "") + rule

    def response(self, status_code: int, *args: Any, **kwargs: Any) -> Any:
        """As flask-smorest's; a 201 also gets `Location` and `ETag` (see `created`)."""
        if int(status_code) != 201:
            return super().response(status_code, *args, **kwargs)
        kwargs["headers"] = {**CREATED_HEADERS, **(kwargs.get("headers") or {})}
        decorator = super().response(status_code, *args, **kwargs)

        def creating(func: Callable[..., Any]) -> Callable[..., Any]:
            view = decorator(func)

            @wraps(view)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                response = view(*args, **kwargs)
                if getattr(response, "status_code", None) == 201:
                    _created_headers(response)
                return response

            return wrapper

        return creating

    def alt_response(self, status_code: int, *args: Any, **kwargs: Any) -> Any:
        """An error response is documented with the error schema unless told otherwise."""
        if int(status_code) >= 400 and not args and "schema" not in kwargs:
            kwargs["schema"] = errors.ErrorSchema
        return super().alt_response(status_code, *args, **kwargs)

    @staticmethod
    def _prepare_error_doc(doc: dict, doc_info: dict, method: str, **_kwargs: Any) -> dict:
        # Named from the path unless the view names itself (@blp.doc(operationId=...)).
        doc.setdefault("operationId", operation_id(method, doc_info.get("rule", "")))
        responses = doc.setdefault("responses", {})
        for status, name in errors.error_responses(doc_info, method).items():
            if status not in responses and str(status) not in responses:
                responses[status] = name
        return doc

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


def field_errors(path: str, message: str, location: str = "json") -> dict[str, Any]:
    """`items.0.item_id` -> {"json": {"items": {"0": {"item_id": [message]}}}}, the shape
    marshmallow gives, so a client reads service-level and schema errors alike."""
    node: Any = [message]
    for part in reversed(path.split(".")):
        node = {part: node}
    return {location: node}


def refuse(error: ma.ValidationError) -> NoReturn:
    """A service function's `ValidationError` (fields by name) as the API's 422."""
    abort(422, message=errors.MESSAGES[422], errors={"json": error.messages})
