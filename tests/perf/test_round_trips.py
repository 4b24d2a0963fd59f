"""Round trips per request: how many SQL statements (and Redis commands) a request
costs, counted on the real database. Counts, never timings: a ceiling that fails when a
change adds a reload, a needless flush or a second UPDATE to the hot path."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import event, select

from service.core.redis_conn import redis
from service.notifications.backends import EmailMessage, SmtpEmailBackend
from service.notifications.jobs import enqueue
from service.notifications.models import NoticeStatus, Notification
from tests.conftest import case_payload
from tests.notifications.providers import running_smtp


@pytest.fixture
def tenant(create_tenant):
    """A storefront without quiet hours: the case payload's customer lives in Shanghai,
    and her SMS must not wait for her morning whatever the hour the suite runs at."""
    return create_tenant("Day Shop", case_prefix="DS", quiet_start_hour=0, quiet_end_hour=0)


@contextmanager
def counted(app) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = app.extensions["database"].engine

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        statements.append(" ".join(statement.split()[:3]).upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def create(client, tenant, external_id: str) -> dict:
    customer = {**case_payload()["customer"], "external_id": external_id}
    response = client.post(
        "/api/v1/cases", json=case_payload(customer=customer), headers=tenant.headers
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def notices_of(db_session, case: dict) -> list[Notification]:
    return db_session.scalars(
        select(Notification).where(Notification.case_id == uuid.UUID(case["id"]))
    ).all()


def test_creating_a_case_writes_its_notices_queued_and_enqueues_them_without_an_update(
    app, client, tenant, db_session
):
    create(client, tenant, "warm-up")  # the first request of a run fills caches
    with counted(app) as statements:
        case = create(client, tenant, "counted")
    rows = notices_of(db_session, case)
    assert {row.status for row in rows} == {NoticeStatus.queued}
    with app.app_context():
        jobs = Job.fetch_many([f"notice-{row.id}" for row in rows], connection=redis())
    assert [job.get_status() for job in jobs] == [JobStatus.QUEUED] * 2
    # The relay's pipeline after the commit replaced the UPDATE marking them queued.
    assert not [s for s in statements if s.startswith("UPDATE NOTIFICATIONS")], statements
    # Inside the request's savepoint: key and storefront in one SELECT, the case number
    # (a sequence's nextval on PostgreSQL, the counter's UPDATE on SQLite), on PostgreSQL
    # the customer's advisory lock, the customer's lookup, then one INSERT per table
    # (customer, report-day mark, case, event, items, both notices in one, webhook
    # event), one SELECT counting the notice caps of case and recipients, one finding
    # the storefront's webhook endpoints.
    postgres = app.extensions["database"].engine.dialect.name == "postgresql"
    assert len(statements) <= (15 if postgres else 14), statements


def test_notices_handed_over_while_redis_is_down_go_back_to_pending_for_the_sweeper(
    app, client, tenant, db_session, monkeypatch
):
    monkeypatch.setitem(app.extensions, "redis", Redis(port=1, socket_connect_timeout=1))
    case = create(client, tenant, "redis-down")
    rows = notices_of(db_session, case)
    for row in rows:
        db_session.refresh(row)
    assert {row.status for row in rows} == {NoticeStatus.pending}


def test_the_sweeper_enqueues_pending_notices_in_one_pipeline_and_marks_them_queued(
    app, client, tenant, db_session
):
    rows = notices_of(db_session, create(client, tenant, "swept"))
    for row in rows:
        row.status = NoticeStatus.pending  # as Redis being down at commit leaves them
    db_session.commit()
    with app.app_context():
        Queue("notifications", connection=redis()).empty()
        assert enqueue([row.id for row in rows]) == 2
        queued = Queue("notifications", connection=redis()).job_ids
    for row in rows:
        db_session.refresh(row)
    assert {row.status for row in rows} == {NoticeStatus.queued}
    assert sorted(queued) == sorted(f"notice-{row.id}" for row in rows)


def test_a_kept_smtp_connection_carries_the_next_email_and_an_idle_one_is_replaced():
    with running_smtp() as sink:
        backend = SmtpEmailBackend("127.0.0.1", sink.port, "shop@example.com", reuse=True)
        for n in range(3):
            if n == 2:
                backend.max_idle = 0  # the kept connection is now too old to trust
            backend.send(
                EmailMessage(
                    to="c@example.com", subject="s", text="t", html="h", idempotency_key=f"k{n}"
                )
            )
        backend.close()
    assert len(sink.messages) == 3
    assert sink.peers[0] == sink.peers[1] != sink.peers[2]


def test_reading_a_case_is_one_select_per_kind_of_row(app, client, tenant):
    case = create(client, tenant, "read")
    client.get(f"/api/v1/cases/{case['id']}", headers=tenant.headers)  # note_use, caches
    with counted(app) as statements:
        response = client.get(f"/api/v1/cases/{case['id']}", headers=tenant.headers)
    assert response.status_code == 200
    # The key with its storefront; the case with its customer and assignee; its items
    # with their receipts (joined); its quotes with their lines; its shipments. (The
    # test's savepoint around the request is no round trip a server makes.)
    queries = [s for s in statements if "SAVEPOINT" not in s]
    assert len(queries) <= 5, queries
