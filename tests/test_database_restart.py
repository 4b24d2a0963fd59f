"""PostgreSQL restarting under a request: the client gets JSON, never the server's bare
HTML 500. The restart is a real one for the request's connection: its backend is
terminated from another connection (pg_terminate_backend), as a restart does to all."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, Response
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from service.core import db
from tests.conftest import postgres_only

pytestmark = postgres_only

UNKNOWN_KEY = {"Authorization": "Bearer ask_unknown"}


@pytest.fixture
def admin_engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def terminate_request_connection(admin_engine: Engine) -> None:
    """Kill the server process behind the current request's session."""
    pid = db.session().execute(text("SELECT pg_backend_pid()")).scalar_one()
    with admin_engine.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def test_a_connection_lost_after_the_answer_keeps_the_answer(
    committing_app: Flask, admin_engine: Engine
):
    # The teardown's rollback meets a dead connection; it must not raise past Flask.
    @committing_app.after_request
    def restart_now(response: Response) -> Response:
        terminate_request_connection(admin_engine)
        return response

    client = committing_app.test_client()
    response = client.get("/api/v1/cases", headers=UNKNOWN_KEY)
    assert response.status_code == 401
    assert set(response.get_json()) == {"code", "status", "message", "errors"}
    # The dead connection left the pool: the next request gets a working one.
    assert client.get("/api/v1/cases", headers=UNKNOWN_KEY).status_code == 401


def test_a_request_whose_database_went_away_answers_the_json_503(
    committing_app: Flask, admin_engine: Engine
):
    @committing_app.before_request
    def restart_now() -> None:
        terminate_request_connection(admin_engine)

    response = committing_app.test_client().get("/api/v1/cases", headers=UNKNOWN_KEY)
    assert response.status_code == 503
    assert response.content_type == "application/json"
    body = response.get_json()
    assert (body["code"], body["errors"]) == (503, {})
    assert body["message"]


def _request_remembering_backend(app: Flask) -> int:
    """One request; the pid of the server process behind its (now pooled) connection."""
    seen: list[int] = []

    @app.after_request
    def remember(response: Response) -> Response:
        seen.append(db.session().execute(text("SELECT pg_backend_pid()")).scalar_one())
        return response

    assert app.test_client().get("/api/v1/cases", headers=UNKNOWN_KEY).status_code == 401
    app.after_request_funcs[None].remove(remember)
    return seen[0]


def test_an_idle_connection_killed_by_a_restart_is_replaced_before_any_request_uses_it(
    committing_app: Flask, admin_engine: Engine, monkeypatch
):
    pid = _request_remembering_backend(committing_app)
    with admin_engine.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    # Idle long enough to be pinged (the real threshold is a second).
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    response = committing_app.test_client().get("/api/v1/cases", headers=UNKNOWN_KEY)
    assert response.status_code == 401


def test_a_connection_killed_within_its_last_second_of_use_costs_one_503(
    committing_app: Flask, admin_engine: Engine, monkeypatch
):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)  # never idle enough
    pid = _request_remembering_backend(committing_app)
    with admin_engine.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    client = committing_app.test_client()
    assert client.get("/api/v1/cases", headers=UNKNOWN_KEY).status_code == 503
    # The failed statement invalidated the pool: the next request gets a new connection.
    assert client.get("/api/v1/cases", headers=UNKNOWN_KEY).status_code == 401
