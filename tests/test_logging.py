"""Logs: tagged with the request or job, and never holding customers' data."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from service.core import logging as app_logging
from tests.conftest import case_payload

SECRETS = [
    "li.wei@example.com",
    "+8613800138000",
    "+86 138 0013 8000",
    "(415) 555-0134",
    "/c/eyJjIjoiMTIzIn0.Z3x9Qw.abcDEF_123-xyz",
    "ask_1a2b3c4d_s3cr3tPartOfTheKeyThatMustNotLeak",
]


@pytest.fixture
def json_lines(capsys):
    """What the JSON handler writes, one dict per line."""
    # The app's set-up, as every process has it (and as create_app leaves it).
    app_logging.configure("json", "INFO")
    capsys.readouterr()
    lines: list[dict] = []

    def read() -> list[dict]:
        err = capsys.readouterr().err
        lines.extend(json.loads(line) for line in err.splitlines() if line)
        return lines

    return read


@pytest.mark.parametrize("secret", SECRETS)
def test_customer_data_is_masked_in_message_arguments_and_traceback(json_lines, secret):
    log = logging.getLogger("tests.masking")
    log.warning("contact %s failed", secret)
    log.warning(f"inline {secret}")
    try:
        raise ValueError(f"could not reach {secret}")
    except ValueError:
        log.exception("send failed")

    written = json.dumps(json_lines())
    assert secret not in written
    assert written.count("send failed") == 1 and "ValueError: could not reach" in written


def test_ids_dates_and_addresses_of_our_own_survive_masking():
    line = "notice 0f3c2a10-1234-4567-8901-234567890123 at 2026-12-02 03:10:00 on 127.0.0.1:5000"
    assert app_logging.mask(line) == line


def test_sql_parameters_never_reach_an_error_or_a_log(app, db_session, json_lines):
    with pytest.raises(SQLAlchemyError) as raised:
        db_session.execute(text("SELECT nope FROM cases WHERE description = :d"), {"d": SECRETS[0]})
    db_session.rollback()
    logging.getLogger("tests.sql").error("query failed", exc_info=raised.value)
    logging.getLogger("tests.sql").error("[parameters: ('%s',)]", SECRETS[1])

    written = json.dumps(json_lines())
    assert SECRETS[0] not in str(raised.value)
    assert SECRETS[0] not in written and SECRETS[1] not in written


def test_a_request_gets_an_id_echoed_and_carried_by_its_lines(client, tenant, json_lines):
    given = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.1"})
    hostile = client.get("/healthz", headers={"X-Request-ID": "<script> x"})
    created = client.post("/api/v1/cases", json=case_payload(), headers=tenant.headers)

    assert given.headers["X-Request-ID"] == "lb-7f3a.1"
    assert hostile.headers["X-Request-ID"] != "<script> x"
    assert len(hostile.headers["X-Request-ID"]) == 32
    lines = [line for line in json_lines() if line["logger"] == "service.request"]
    assert [(line["request_id"], line["message"]) for line in lines] == [
        ("lb-7f3a.1", "GET /healthz 200 " + lines[0]["message"].rsplit(" ", 1)[1]),
        (hostile.headers["X-Request-ID"], lines[1]["message"]),
        (created.headers["X-Request-ID"], lines[2]["message"]),
    ]
    assert lines[2]["message"].startswith("POST /api/v1/cases 201 ")


def test_text_format_is_readable_and_tagged(capsys):
    log = logging.getLogger("tests.text")
    ours = app_logging.handler("text")
    log.addHandler(ours)
    log.propagate = False
    try:
        with app_logging.job_context("notice-abc"):
            log.warning("sent to %s", SECRETS[0])
    finally:
        log.removeHandler(ours)
        log.propagate = True
    err = capsys.readouterr().err
    assert "WARNING [job_id=notice-abc] tests.text: sent to [email]" in err


def test_a_periodic_sweep_with_nothing_to_do_writes_no_line(app, db_session, json_lines):
    from service.notifications.jobs import sweep_outbox

    rq_log = logging.getLogger("rq.worker")
    tick = "periodic-sweep_outbox-1796179590"
    # RQ names the job as it dequeues it, before the job's context is set...
    rq_log.info("Worker w1: %s: %s (%s)", "default", "run_periodic('sweep_outbox')", tick)
    with app.app_context(), app_logging.job_context(tick):
        assert sweep_outbox() == 0
        rq_log.info("Worker %s: %s: %s (%s)", "w1", "default", "Job OK", tick)
        rq_log.info("Worker %s: job %s result is kept for %s seconds", "w1", tick, 600)
    rq_log.info("Worker %s: %s: %s", "w1", "notifications", "notice-1")

    assert [line["message"] for line in json_lines()] == ["Worker w1: notifications: notice-1"]
