"""Timed work: ticks claimed once in the database by any live worker, recorded when they
run, and resumed on their own after Redis loses everything or a worker is killed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from rq.registry import FailedJobRegistry
from sqlalchemy.engine import make_url

from service.core.db import utcnow
from service.core.scheduler import PERIODIC, claim_tick, last_ticks, next_tick, tick_of
from service.notifications.models import NoticeStatus
from tests.live import kill, notice, notices, open_case, redis_for, seed, wait_until

#: Short periods for the live tests (every periodic job's, so none is left behind); the
#: deep health check calls 2 missed periods a stall.
FAST = {job.setting.upper(): "1" for job in PERIODIC}
FAST_APP = {**{job.setting: 1 for job in PERIODIC}, "scheduler_stall_periods": 2}


def test_ticks_are_aligned_so_every_worker_computes_the_same():
    period = timedelta(seconds=30)
    now = datetime(2026, 11, 23, 12, 0, 17, tzinfo=UTC)
    assert tick_of(period, now) == datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
    assert next_tick(period, now) == datetime(2026, 11, 23, 12, 0, 30, tzinfo=UTC)
    assert tick_of(period, now.replace(second=30)) == datetime(2026, 11, 23, 12, 0, 30, tzinfo=UTC)


def test_each_tick_is_claimed_by_one_worker_only(app, db_session):
    name = f"test-{uuid.uuid4().hex[:8]}"
    tick = datetime(2030, 1, 1, 0, 0, 30, tzinfo=UTC)
    now = tick + timedelta(seconds=1)
    assert claim_tick(db_session, name, tick, now, "worker-a") is True  # its first tick ever
    assert claim_tick(db_session, name, tick, now, "worker-b") is False
    assert claim_tick(db_session, name, tick - timedelta(seconds=30), now, "worker-b") is False
    later = tick + timedelta(seconds=30)
    assert claim_tick(db_session, name, later, later, "worker-b") is True
    assert claim_tick(db_session, name, later, later, "worker-a") is False


def test_last_ticks_names_every_periodic_job(app, db_session):
    assert set(last_ticks(db_session)) == {job.name for job in PERIODIC}


def ticks(app) -> dict[str, datetime | None]:
    with app.extensions["database"].sessionmaker() as session:
        return last_ticks(session)


def all_ran_since(app, moment: datetime) -> bool:
    return all(ran is not None and ran > moment for ran in ticks(app).values())


def test_timed_jobs_resume_within_a_period_after_redis_is_flushed(web, worker, live, app):
    service = web(**FAST_APP)
    ticking = worker(scheduler=True, **FAST)
    started = utcnow()
    wait_until(lambda: all_ran_since(service, started))

    redis_for(live["REDIS_URL"], app).flushdb()  # Redis restarted empty
    flushed = utcnow()
    # A change committed while Redis is unreachable: its notices wait in the outbox.
    down = web(redis_url="redis://127.0.0.1:1")
    payload, key = seed(down)
    case = open_case(down, payload, key)
    assert {n.status for n in notices(service, case["id"])} == {NoticeStatus.pending}

    wait_until(lambda: all_ran_since(service, flushed))
    wait_until(lambda: {n.status for n in notices(service, case["id"])} == {NoticeStatus.sent})
    assert ticking.poll() is None  # the same worker, never restarted


def test_a_worker_killed_and_restarted_resumes_sweeps_within_the_lease(web, worker, smtp, twilio):
    app = web(**FAST_APP)
    payload, key = seed(app)
    twilio.script = ["stall"]
    first = worker(scheduler=True, **FAST)
    case = open_case(app, payload, key)
    assert twilio.stalled.wait(30), "the SMS never reached the provider"
    kill(first)  # SIGKILL, mid-send: whatever it held in Redis stays behind
    killed = utcnow()
    assert notice(app, case["id"], "sms").status == NoticeStatus.sending

    worker(scheduler=True, **FAST)
    # Nobody sweeps by hand: the new worker's ticker does, once the dead one's lease ends.
    wait_until(lambda: notice(app, case["id"], "sms").status == NoticeStatus.sent)
    assert ticks(app)["sweep_outbox"] > killed
    assert twilio.posts == 1 and twilio.lists >= 1  # asked, not sent again
    assert notice(app, case["id"], "sms").attempts == 2


def unreachable(database_url: str) -> str:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return "sqlite:////nonexistent-directory/aftersales.db"
    return url.set(host="127.0.0.1", port=1).render_as_string(hide_password=False)


def test_a_notice_whose_job_failed_on_a_dead_database_is_sent_within_the_lease(
    web, worker, live, app, smtp, twilio
):
    service = web(**FAST_APP)
    payload, key = seed(service)
    dead = worker(DATABASE_URL=unreachable(live["DATABASE_URL"]))
    case = open_case(service, payload, key)
    failed = FailedJobRegistry("notifications", connection=redis_for(live["REDIS_URL"], app))
    jobs = {f"notice-{n.id}" for n in notices(service, case["id"])}
    wait_until(lambda: jobs <= set(failed.get_job_ids()))  # both jobs met the dead database
    kill(dead)
    assert {n.status for n in notices(service, case["id"])} == {NoticeStatus.queued}

    worker(scheduler=True, **FAST)
    wait_until(lambda: {n.status for n in notices(service, case["id"])} == {NoticeStatus.sent})
    assert len(smtp.messages) == 1 and twilio.posts == 1


def test_deep_health_reports_a_stalled_scheduler_naming_the_jobs(web, worker):
    app = web(**FAST_APP)
    client = app.test_client()
    ticking = worker(scheduler=True, **FAST)
    wait_until(lambda: client.get("/healthz?deep=1").status_code == 200)
    healthy = client.get("/healthz?deep=1").get_json()
    assert healthy["scheduler"] == "ok"
    assert set(healthy["last_ticks"]) == {job.name for job in PERIODIC}

    kill(ticking)  # no worker left to tick
    wait_until(lambda: "sweep_outbox" in client.get("/healthz?deep=1").get_json()["scheduler"])
    response = client.get("/healthz?deep=1")
    stalled = response.get_json()
    assert response.status_code == 503 and stalled["status"] == "unavailable"
    assert stalled["scheduler"].startswith("stalled: ")
    assert (stalled["database"], stalled["redis"]) == ("ok", "ok")
    # The plain check is for load balancers: this web process can still serve.
    assert client.get("/healthz").status_code == 200
