"""Handing deliveries to RQ through the relay: written already queued, their jobs in
the request's one pipeline after the commit (no UPDATE), put back for the sweeper when
Redis cannot take them."""

from __future__ import annotations

from redis import Redis
from rq import Queue
from sqlalchemy import event, select

from service.core.redis_conn import redis
from service.webhooks.models import WebhookDelivery
from tests.conftest import case_payload


def open_counted(app, client, tenant) -> list[str]:
    statements: list[str] = []
    engine = app.extensions["database"].engine

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        statements.append(" ".join(statement.split()[:2]).upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.post("/api/v1/cases", json=case_payload(), headers=tenant.headers)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 201, response.get_json()
    return statements


def test_a_new_delivery_is_written_queued_and_enqueued_without_an_update(
    app, client, tenant, hooked, db_session
):
    with app.app_context():
        Queue("webhooks", connection=redis()).empty()
    statements = open_counted(app, client, tenant)
    assert "UPDATE WEBHOOK_DELIVERIES" not in statements, statements
    [row] = db_session.scalars(select(WebhookDelivery)).all()
    assert row.queued_at is not None
    with app.app_context():
        job_ids = Queue("webhooks", connection=redis()).job_ids
    # One job per attempt, named after the delivery.
    assert len(job_ids) == 1 and job_ids[0].startswith(f"webhook-{row.id}-"), job_ids


def test_a_delivery_redis_did_not_take_is_left_to_the_sweeper(
    app, client, tenant, hooked, db_session, monkeypatch
):
    monkeypatch.setitem(app.extensions, "redis", Redis(port=1, socket_connect_timeout=1))
    open_counted(app, client, tenant)
    [row] = db_session.scalars(select(WebhookDelivery)).all()
    db_session.refresh(row)
    # Not queued: the sweeper's due query takes it at once.
    assert row.queued_at is None
