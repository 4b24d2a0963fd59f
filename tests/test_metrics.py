"""/metrics: Prometheus text, routes by rule, state gathered at scrape time, protected."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import case_payload


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def token(app, monkeypatch):
    monkeypatch.setattr(app.config["SETTINGS"], "metrics_token", "scrape-me")
    return {"Authorization": "Bearer scrape-me"}


def scrape(client, headers) -> dict:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    return samples(response.get_data(as_text=True))


def test_requests_are_counted_by_route_rule_and_status(client, tenant, token):
    before = scrape(client, token)
    created = client.post("/api/v1/cases", json=case_payload(), headers=tenant.headers).get_json()
    client.get(f"/api/v1/cases/{created['number']}", headers=tenant.headers)
    client.get(f"/api/v1/cases/{created['id']}", headers=tenant.headers)
    client.get("/api/v1/cases/NOPE-1", headers=tenant.headers)
    after = scrape(client, token)

    def delta(route: str, status: str, method: str = "GET") -> float:
        key = (
            "aftersales_http_requests_total",
            (("method", method), ("route", route), ("status", status)),
        )
        return after.get(key, 0) - before.get(key, 0)

    assert delta("/api/v1/cases", "201", "POST") == 1
    assert delta("/api/v1/cases/<string:case_ref>", "200") == 2
    assert delta("/api/v1/cases/<string:case_ref>", "404") == 1
    assert not any(created["id"] in str(labels) for _name, labels in after)
    latency = (
        "aftersales_http_request_duration_seconds_count",
        (("method", "POST"), ("route", "/api/v1/cases")),
    )
    assert after[latency] - before.get(latency, 0) == 1


def test_notices_queues_and_breaches_are_gathered_at_scrape_time(client, tenant, token):
    before = scrape(client, token)
    client.post("/api/v1/cases", json=case_payload(), headers=tenant.headers)
    after = scrape(client, token)

    def notices(key_status: str, channel: str, of: dict) -> float:
        return of[("aftersales_notices", (("channel", channel), ("status", key_status)))]

    opened = sum(
        notices(status, channel, after) - notices(status, channel, before)
        for status in ("pending", "queued", "deferred", "sent", "suppressed")
        for channel in ("email", "sms")
    )
    assert opened == 2  # the `opened` email and SMS
    assert ("aftersales_queue_jobs", (("queue", "notifications"),)) in after
    assert ("aftersales_sla_breaches_total", (("clock", "resolution"),)) in after
    assert all(
        value == 1 for (name, _labels), value in after.items() if name == "aftersales_collector_up"
    )


def test_metrics_need_the_token_when_one_is_set(client, token):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_metrics_without_a_token_are_served_only_in_development(app, client, monkeypatch):
    monkeypatch.setattr(app.config["SETTINGS"], "metrics_token", None)
    assert client.get("/metrics").status_code == 404
    monkeypatch.setattr(app.config["SETTINGS"], "app_env", "development")
    assert client.get("/metrics").status_code == 200


def test_a_source_that_is_down_is_reported_not_a_failed_scrape(app, database_url, tmp_path):
    from service import create_app

    app = create_app(
        instance_dir=tmp_path,
        database_url=database_url,
        redis_url="redis://127.0.0.1:1/0",  # nothing listens there
        metrics_token="scrape-me",
    )
    try:
        scraped = scrape(app.test_client(), {"Authorization": "Bearer scrape-me"})
    finally:
        app.extensions["database"].engine.dispose()

    up = {
        dict(labels)["collector"]: value
        for (name, labels), value in scraped.items()
        if name == "aftersales_collector_up"
    }
    assert up == {
        "queue_depth": 0,
        "scheduler_last_tick": 1,
        "notices_by_status": 1,
        "breaches": 1,
    }


def test_the_scheduler_last_tick_is_read_from_the_database(client, token, db_session):
    from datetime import UTC, datetime

    from service.core.scheduler import PERIODIC, PeriodicTick

    ran_at = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    tick = PeriodicTick(
        name="check_sla", tick_at=ran_at, claimed_at=ran_at, claimed_by="test", ran_at=ran_at
    )
    db_session.merge(tick)  # live tests of this run may have left a row behind
    db_session.commit()
    gauge = "aftersales_scheduler_last_tick_timestamp_seconds"
    after = scrape(client, token)
    assert after[(gauge, (("job", "check_sla"),))] == ran_at.timestamp()
    assert {dict(labels)["job"] for name, labels in after if name == gauge} == {
        job.name for job in PERIODIC
    }
