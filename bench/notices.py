"""Notices per second per worker, end to end, against raw RQ no-op jobs per second on
the same Redis, measured in the same run: `python -m bench.notices`.

The notices are real outbox rows (a case opened for each of N customers gives one email
and one SMS each); one worker process (`worker.py --burst`) claims, sends to a loopback
SMTP server (aiosmtpd) and a loopback Twilio-style HTTP server, and marks each sent.
The baseline is the same forking RQ worker draining as many jobs that do nothing.
Both rates are taken from the jobs' own timestamps, so process start-up is excluded.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from redis import Redis
from rq import Queue
from rq.job import Job
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service import create_app  # noqa: E402
from service.cases.intake import open_case  # noqa: E402
from service.cases.models import CaseKind  # noqa: E402
from service.core import migrate  # noqa: E402
from service.core.auth import Actor, ActorType  # noqa: E402
from service.notifications.jobs import enqueue  # noqa: E402
from service.notifications.models import NoticeStatus, Notification  # noqa: E402
from service.storefronts.keys import create_storefront  # noqa: E402

# The loopback providers the tests use: a real SMTP server and a Twilio-shaped server.
from tests.notifications.providers import (  # noqa: E402
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    running_smtp,
    running_twilio,
)

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/aftersales_bench_notices"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"


def recreate_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def rate(starts: list, ends: list) -> float:
    """Jobs per second between the first start and the last end."""
    span = (max(ends) - min(starts)).total_seconds()
    return len(ends) / span if span > 0 else float("inf")


def run_worker(env: dict[str, str], *queues: str) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "worker.py"), "--burst", "--no-scheduler", *queues],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=600,
    )


def measure_notices(args: argparse.Namespace, redis_url: str, instance: str) -> float:
    with running_smtp() as smtp, running_twilio() as twilio:
        settings = {
            "database_url": args.database_url,
            "redis_url": redis_url,
            "instance_dir": instance,
            "secret_key": "bench",
            "email_backend": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_security": "none",
            "sms_backend": "twilio",
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_from": FROM_NUMBER,
            "twilio_base_url": twilio.base_url,
        }
        app = create_app(**settings)
        with app.app_context():
            database = app.extensions["database"]
            with database.sessionmaker() as session:
                shop = create_storefront(
                    session,
                    "Bench",
                    "bench-notices",
                    case_prefix="BN",
                    quiet_start_hour=0,
                    quiet_end_hour=0,
                )
                actor = Actor(ActorType.storefront, shop.id, shop.name)
                for n in range(args.cases):
                    data = {
                        "kind": CaseKind.inquiry,
                        "description": "Bench question",
                        "customer": {
                            "name": f"Customer {n}",
                            "email": f"c{n}@example.com",
                            "phone": f"+861380013{n:04d}",
                            "locale": "en",
                            "time_zone": "Asia/Shanghai",
                        },
                    }
                    open_case(session, shop, data, actor)
                session.commit()
                ids = list(session.scalars(select(Notification.id)))
            Queue("notifications", connection=Redis.from_url(redis_url)).empty()
            enqueue(ids)
        env = {**os.environ, **{key.upper(): str(value) for key, value in settings.items()}}
        run_worker(env, "notifications")
        with database.sessionmaker() as session:
            rows = session.scalars(select(Notification)).all()
        database.engine.dispose()
        unsent = [row for row in rows if row.status != NoticeStatus.sent]
        if unsent or len(smtp.messages) != args.cases or len(twilio.messages) != args.cases:
            raise SystemExit(
                f"bench: {len(unsent)} notices not sent; "
                f"{len(smtp.messages)} emails, {len(twilio.messages)} SMS"
            )
        jobs = [Job.fetch(f"notice-{row.id}", connection=Redis.from_url(redis_url)) for row in rows]
        return rate([job.started_at for job in jobs], [job.ended_at for job in jobs])


def measure_noop(count: int, redis_url: str, env: dict[str, str]) -> float:
    connection = Redis.from_url(redis_url)
    queue = Queue("bench_noop", connection=connection)
    queue.empty()
    jobs = [queue.enqueue("bench.noop.noop", result_ttl=600) for _ in range(count)]
    run_worker(env, "bench_noop")
    for job in jobs:
        job.refresh()
    return rate([job.started_at for job in jobs], [job.ended_at for job in jobs])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=150, help="cases; each makes 2 notices")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_NOTICES_DATABASE_URL", DEFAULT_DB)
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    args = parser.parse_args()
    recreate_database(args.database_url)
    migrate.upgrade(args.database_url)
    with tempfile.TemporaryDirectory() as instance:
        env = {
            **os.environ,
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "INSTANCE_DIR": instance,
            "SECRET_KEY": "bench",
        }
        # Baseline first and last: the ratio uses their mean, so drift shows.
        before = measure_noop(args.cases * 2, args.redis_url, env)
        notices = measure_notices(args, args.redis_url, instance)
        after = measure_noop(args.cases * 2, args.redis_url, env)
    baseline = (before + after) / 2
    print(
        f"\nnotices (email + SMS) end to end, 1 worker, {args.cases * 2} notices, "
        f"{date.today().isoformat()}"
    )
    print(f"  {'':22} {'jobs/s':>9}")
    print(f"  {'notices':22} {notices:9.1f}")
    print(f"  {'rq no-op (before/after)':22} {before:9.1f} / {after:.1f}")
    print(f"  ratio notices / no-op: {notices / baseline:.3f}")
    recreate_database(args.database_url)


if __name__ == "__main__":
    main()
