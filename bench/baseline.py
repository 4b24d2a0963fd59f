"""The baseline: the least a Flask + SQLAlchemy request on this stack can cost.

A bare Flask app on SQLAlchemy Core (no ORM, no marshmallow, no auth) on the same
PostgreSQL database as the API, served by a gunicorn with the same settings. It answers
in the same JSON-in/JSON-out style:

- `POST /insert` stores the JSON body with one INSERT and returns 201 with the row;
- `GET /rows/<id>` reads one row by primary key.

`gunicorn bench.baseline:app` with DATABASE_URL set; the runner does that.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, abort, request
from sqlalchemy import Column, DateTime, MetaData, Table, Text, Uuid, create_engine, func, select
from sqlalchemy.engine import Engine

metadata = MetaData()

#: Outside the API's schema on purpose: Alembic neither makes nor sees it.
rows = Table(
    "bench_rows",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: Serialises CREATE TABLE between gunicorn workers, which import this module at once
#: (two concurrent CREATE TABLE IF NOT EXISTS can still collide in PostgreSQL's catalog).
_CREATE_LOCK = 0x62656E6368


def ensure_table(engine: Engine) -> None:
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(_CREATE_LOCK)))
        metadata.create_all(connection, checkfirst=True)


def _row_json(row_id: uuid.UUID, payload: Any, created_at: datetime) -> dict[str, Any]:
    return {"id": str(row_id), "payload": payload, "created_at": created_at.isoformat()}


def create_baseline_app(database_url: str) -> Flask:
    # A plain engine: the default pool, no pre-ping. The API's extras (pre-ping, ORM
    # session, auth, validation) are what the ratios measure.
    engine = create_engine(database_url)
    ensure_table(engine)
    app = Flask(__name__)

    @app.post("/insert")
    def insert_row() -> tuple[dict[str, Any], int]:
        payload = request.get_json()  # 400/415 on a bad body, like the API
        row_id, created_at = uuid.uuid4(), datetime.now(UTC)
        with engine.begin() as connection:
            connection.execute(
                rows.insert().values(id=row_id, payload=json.dumps(payload), created_at=created_at)
            )
        return _row_json(row_id, payload, created_at), 201

    @app.get("/rows/<uuid:row_id>")
    def get_row(row_id: uuid.UUID) -> dict[str, Any]:
        with engine.connect() as connection:
            row = connection.execute(select(rows).where(rows.c.id == row_id)).one_or_none()
        if row is None:
            abort(404)
        return _row_json(row.id, json.loads(row.payload), row.created_at)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        with engine.connect() as connection:
            connection.execute(select(1))
        return {"status": "ok"}

    return app


app = create_baseline_app(os.environ["DATABASE_URL"])
