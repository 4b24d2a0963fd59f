"""Registering a shipped parcel with the aggregator: written in the ship transaction,
sent by a job against the provider's API (a loopback fake checking the request as
the provider documents it), retried with backoff, re-enqueued by the sweeper when
Redis lost the job."""

from __future__ import annotations

import json
from datetime import timedelta

from rq import Queue

from service.core.db import utcnow
from service.core.redis_conn import redis
from service.tracking.jobs import subscribe_shipment, sweep_subscriptions
from tests.tracking.conftest import AFTERSHIP_NUMBER, KUAIDI100_NUMBER, SALT, case_row


def shipment_of(db_session, case):
    shipment = case_row(db_session, case["id"]).shipments[-1]
    db_session.refresh(shipment)
    return shipment


def run_job(app, shipment) -> str:
    with app.app_context():
        return subscribe_shipment(str(shipment.id))


def test_kuaidi100_subscription_posts_the_documented_poll_request(
    app, db_session, tracking_account, shipped, provider_fake
):
    account = tracking_account("kuaidi100")
    case = shipped(KUAIDI100_NUMBER, "yto")
    shipment = shipment_of(db_session, case)
    assert (shipment.subscription_status, shipment.tracking_provider) == ("pending", "kuaidi100")

    assert run_job(app, shipment) == "subscribed"
    (request,) = provider_fake.requests
    assert request["path"] == "/poll"
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert request["body"]["schema"] == "json"
    param = json.loads(request["body"]["param"])
    assert (param["company"], param["number"], param["key"]) == (
        "yuantong",
        KUAIDI100_NUMBER,
        "test-api-key",
    )
    callback = f"http://aftersales.test/webhooks/tracking/kuaidi100/{account.callback_token}"
    assert param["parameters"]["callbackurl"] == callback
    assert param["parameters"]["salt"] == SALT
    db_session.refresh(shipment)
    assert (shipment.subscription_status, shipment.subscription_error) == ("subscribed", None)
    assert run_job(app, shipment).startswith("skipped")  # done: a second run sends nothing
    assert len(provider_fake.requests) == 1


def test_aftership_subscription_posts_trackings_with_the_api_key(
    app, db_session, tracking_account, shipped, provider_fake
):
    tracking_account("aftership")
    case = shipped(AFTERSHIP_NUMBER, "ups")
    shipment = shipment_of(db_session, case)
    assert run_job(app, shipment) == "subscribed"
    (request,) = provider_fake.requests
    assert request["path"] == "/trackings"
    assert request["headers"]["as-api-key"] == "test-api-key"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["body"] == {
        "tracking_number": AFTERSHIP_NUMBER,
        "slug": "ups",
        "order_number": case["number"],
    }


def test_an_already_registered_number_counts_as_subscribed(
    app, db_session, tracking_account, shipped, provider_fake
):
    tracking_account("aftership")
    shipment = shipment_of(db_session, shipped(AFTERSHIP_NUMBER, "ups"))
    provider_fake.script = [(400, {"meta": {"code": 4003, "message": "Tracking already exists."}})]
    assert run_job(app, shipment) == "subscribed"


def test_a_failed_attempt_is_retried_later_and_the_sweeper_enqueues_it_when_due(
    app, db_session, tracking_account, shipped, provider_fake
):
    tracking_account("kuaidi100")
    shipment = shipment_of(db_session, shipped(KUAIDI100_NUMBER, "yto"))
    provider_fake.script = [(200, {"result": False, "returnCode": "500", "message": "服务器错误"})]
    assert run_job(app, shipment) == "retry"
    db_session.refresh(shipment)
    assert shipment.subscription_status == "pending"
    assert shipment.subscription_attempts == 1
    assert "500" in shipment.subscription_error
    assert shipment.subscription_due_at > utcnow()
    assert run_job(app, shipment).startswith("skipped")  # not due yet
    with app.app_context():
        assert sweep_subscriptions() == 0

    shipment.subscription_due_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    with app.app_context():
        assert sweep_subscriptions() == 1
        job = Queue("default", connection=redis()).fetch_job(f"tracking-subscribe-{shipment.id}")
        assert job is not None and job.func_name == "service.tracking.jobs.subscribe_shipment"
    assert run_job(app, shipment) == "subscribed"


def test_a_job_lost_with_redis_is_enqueued_again_by_the_sweeper(
    app, db_session, tracking_account, shipped, provider_fake
):
    tracking_account("kuaidi100")
    shipment = shipment_of(db_session, shipped(KUAIDI100_NUMBER, "yto"))
    job_id = f"tracking-subscribe-{shipment.id}"
    with app.app_context():
        queue = Queue("default", connection=redis())
        assert queue.fetch_job(job_id) is not None  # enqueued after the ship committed
        queue.fetch_job(job_id).delete()  # Redis lost it
        assert queue.fetch_job(job_id) is None
        assert sweep_subscriptions() == 1
        assert queue.fetch_job(job_id) is not None
    assert run_job(app, shipment) == "subscribed"


def test_a_refused_number_fails_without_retries(
    app, db_session, tracking_account, shipped, provider_fake
):
    tracking_account("kuaidi100")
    shipment = shipment_of(db_session, shipped(KUAIDI100_NUMBER, "yto"))
    provider_fake.script = [
        (200, {"result": False, "returnCode": "700", "message": "订阅方的订阅数据存在错误"})
    ]
    assert run_job(app, shipment) == "failed"
    db_session.refresh(shipment)
    assert shipment.subscription_status == "failed" and "700" in shipment.subscription_error
    with app.app_context():
        assert sweep_subscriptions() == 0


def test_an_unreachable_provider_is_retried_until_the_attempts_run_out(
    app, db_session, tracking_account, shipped
):
    from dataclasses import replace

    tracking_account("aftership")
    shipment = shipment_of(db_session, shipped(AFTERSHIP_NUMBER, "ups"))
    original = app.config["SETTINGS"]
    # Nothing listens on port 9 of loopback (discard): the connection is refused.
    app.config["SETTINGS"] = replace(
        original, aftership_base_url="http://127.0.0.1:9", tracking_subscribe_max_attempts=2
    )
    try:
        assert run_job(app, shipment) == "retry"
        shipment.subscription_due_at = utcnow()
        db_session.commit()
        assert run_job(app, shipment) == "failed"
    finally:
        app.config["SETTINGS"] = original


def test_without_a_tracking_account_nothing_is_registered(db_session, shipped):
    shipment = shipment_of(db_session, shipped(KUAIDI100_NUMBER, "yto"))
    assert (shipment.subscription_status, shipment.tracking_provider) == (None, None)


def test_a_worker_dead_mid_request_leaves_the_row_to_the_sweeper_after_the_lease(
    app, db_session, tracking_account, shipped, provider_fake
):
    from service.tracking import subscriptions

    tracking_account("kuaidi100")
    shipment = shipment_of(db_session, shipped(KUAIDI100_NUMBER, "yto"))
    lease = timedelta(seconds=app.config["SETTINGS"].tracking_lease_seconds)
    # A worker claims it and dies before it records anything.
    assert subscriptions.claim(db_session, shipment.id, utcnow(), lease) is True
    assert subscriptions.claim(db_session, shipment.id, utcnow(), lease) is False
    assert run_job(app, shipment).startswith("skipped")  # held: nobody else sends it
    with app.app_context():
        assert sweep_subscriptions() == 0
    later = utcnow() + lease + timedelta(seconds=1)
    assert subscriptions.due_ids(db_session, later) == [shipment.id]
    shipment.subscription_due_at = utcnow() - timedelta(seconds=1)  # the lease ran out
    db_session.commit()
    assert run_job(app, shipment) == "subscribed"
    db_session.refresh(shipment)
    assert shipment.subscription_attempts == 2 and len(provider_fake.requests) == 1
