"""Idempotency keys: a create repeated with the same key returns the first response.

The stored response is written in the same transaction as the work it describes, so a
key is either absent (nothing happened; safe to run) or present with its response.
Two concurrent first attempts race on the unique constraint; the loser replays.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from flask import Response, g, request
from flask_smorest import abort
from sqlalchemy import JSON, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.core.db import Base, IdMixin, utcnow
from service.core.fields import unsafe_text

MAX_KEY_LENGTH = 255
#: The headers of a first answer that its replays carry too.
REPLAYED_HEADERS = ("Location", "ETag")


class IdempotencyKey(IdMixin, Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    #: Whose key it is: "storefront:<id>" or "staff:<id>"; keys never collide across callers.
    principal: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    #: Method, path and body of the first request; a reuse for another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int]
    response_body: Mapped[dict] = mapped_column(JSON)
    #: The answer's Location and ETag (a 201's), replayed with it.
    response_headers: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def request_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_KEY_LENGTH or unsafe_text(key):
        rule = f"1 to {MAX_KEY_LENGTH} characters, none of them NUL."
        abort(
            400,
            message="Invalid Idempotency-Key header.",
            errors={"headers": {"Idempotency-Key": [rule]}},
        )
    return key


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    if request.mimetype == "multipart/form-data":
        # Every client draws its own boundary, so the same upload is never the same
        # bytes twice: compare what the parts hold instead.
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(json.dumps(["field", name, value]).encode())
        for name, file in sorted(request.files.items(multi=True), key=lambda part: part[0]):
            position = file.stream.tell()
            file.stream.seek(0)
            content = hashlib.sha256(file.stream.read()).hexdigest()
            file.stream.seek(position)
            digest.update(json.dumps(["file", name, file.filename, content]).encode())
    else:
        digest.update(request.get_data())
    return digest.hexdigest()


def replay(session: Session, key: str) -> Response | None:
    stored = session.scalars(
        select(IdempotencyKey).where(
            IdempotencyKey.principal == g.principal.key, IdempotencyKey.key == key
        )
    ).one_or_none()
    if stored is None:
        return None
    if stored.fingerprint != _fingerprint():
        abort(
            422,
            message="This Idempotency-Key was used for a different request.",
            errors={"headers": {"Idempotency-Key": ["Already used for a different request."]}},
        )
    response = Response(
        json.dumps(stored.response_body), status=stored.response_status, mimetype="application/json"
    )
    for name, value in (stored.response_headers or {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def record(session: Session, key: str, response: Response) -> None:
    session.add(
        IdempotencyKey(
            principal=g.principal.key,
            key=key,
            fingerprint=_fingerprint(),
            response_status=response.status_code,
            response_body=response.get_json(),
            response_headers={
                name: response.headers[name]
                for name in REPLAYED_HEADERS
                if name in response.headers
            },
        )
    )
    session.flush()
