"""Notices per second per worker, end to end, against raw RQ no-op jobs per second on
the same Redis, measured in the same run: `python -m bench.notices`.

The notices are real outbox rows (a case opened for each of N customers gives one email
and one SMS each); one worker process (`worker.py --burst`) claims, sends to a loopback
SMTP server (aiosmtpd) and a loopback Twilio-style HTTP server, and marks each sent.
The baseline is a worker of the same class (WORKER_MODE: `simple` runs jobs in its own
process, `fork` forks a work horse per job) draining as many jobs that do nothing.
Both rates are taken from the jobs' own timestamps, so process start-up is excluded.
Then a burst (`--burst`, 2,000 notices) is drained by one worker of the first mode, and
each worker's peak RSS (its work horses' included) is reported.

Last, the providers' dialogue alone: the same notices handed to the same loopback
servers by `delivery.send` in this process (kept SMTP connection, kept HTTP session; no
database, no RQ). A notice costs at least a no-op job plus that dialogue, so
`no-op time / (no-op time + dialogue)` is the most any notice path can reach against
the no-op baseline, with a database that costs nothing.

    python -m bench.notices [--cases 150] [--burst 2000] [--modes simple,fork]
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from redis import Redis
from rq import Queue
from rq.job import Job
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.memory import PeakRss  # noqa: E402
from service import create_app  # noqa: E402
from service.cases.intake import open_case  # noqa: E402
from service.cases.models import Case, CaseKind  # noqa: E402
from service.core import migrate  # noqa: E402
from service.core.auth import Actor, ActorType  # noqa: E402
from service.notifications import delivery  # noqa: E402
from service.notifications.backends.configured import email_backend  # noqa: E402
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
#: Issue 12's burst before this work: 2,000 notices drained by one worker in 134 s.
TODAY_BURST_RATE = 2000 / 134


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


def job_times(ids: list[str], redis_url: str) -> tuple[list, list]:
    connection = Redis.from_url(redis_url)
    jobs = [
        job
        for chunk in range(0, len(ids), 500)
        for job in Job.fetch_many(ids[chunk : chunk + 500], connection=connection)
    ]
    return [job.started_at for job in jobs], [job.ended_at for job in jobs]


def run_worker(env: dict[str, str], *queues: str) -> float:
    """One `worker.py --burst` until its queues are empty; returns its peak RSS (MB),
    its work horses' included."""
    command = [sys.executable, str(ROOT / "worker.py"), "--burst", "--no-scheduler", *queues]
    if profile := env.get("BENCH_PROFILE"):
        # py-spy's collapsed stacks of the whole run (`pip install py-spy`).
        command = ["py-spy", "record", "--format", "raw", "--rate", "200", "-o", profile, "--"]
        command += [sys.executable, str(ROOT / "worker.py"), "--burst", "--no-scheduler", *queues]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak = PeakRss(process.pid)
    peak.start()
    try:
        if process.wait(timeout=1200) != 0:
            raise SystemExit(f"bench: worker exited with {process.returncode}")
    finally:
        process.kill()
    return peak.stop()


@dataclass
class Providers:
    settings: dict[str, object]
    smtp: object
    twilio: object


@contextmanager
def providers(args: argparse.Namespace, redis_url: str, instance: str) -> Iterator[Providers]:
    with running_smtp() as smtp, running_twilio() as twilio:
        yield Providers(
            {
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
            },
            smtp,
            twilio,
        )


def write_notices(app, cases: int, label: str) -> list:
    """`cases` new cases of a new storefront: one e-mail and one SMS each, due now."""
    with app.app_context(), app.extensions["database"].sessionmaker() as session:
        shop = create_storefront(
            session,
            f"Bench {label}",
            f"bench-{label}",
            case_prefix=label[:4].upper(),
            quiet_start_hour=0,
            quiet_end_hour=0,
        )
        actor = Actor(ActorType.storefront, shop.id, shop.name)
        for n in range(cases):
            data = {
                "kind": CaseKind.inquiry,
                "description": "Bench question",
                "customer": {
                    "name": f"Customer {n}",
                    "email": f"c{n}@example.com",
                    "phone": f"+86138{n:08d}",
                    "locale": "en",
                    "time_zone": "Asia/Shanghai",
                },
            }
            open_case(session, shop, data, actor)
        session.commit()
        return list(
            session.scalars(
                select(Notification.id)
                .join(Case, Case.id == Notification.case_id)
                .where(Case.storefront_id == shop.id)
            )
        )


def measure_notices(
    app, env: dict[str, str], redis_url: str, cases: int, label: str, sent: Providers
) -> tuple[float, float, float]:
    """(notices/s from the jobs' own times, seconds from the first job's start to the
    last one's end, the worker's peak RSS in MB)."""
    ids = write_notices(app, cases, label)
    emails, texts = len(sent.smtp.messages), len(sent.twilio.messages)
    Queue("notifications", connection=Redis.from_url(redis_url)).empty()
    with app.app_context():
        enqueue(ids)
    peak = run_worker(env, "notifications")
    with app.extensions["database"].sessionmaker() as session:
        unsent = session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.id.in_(ids), Notification.status != NoticeStatus.sent)
        )
    new_emails = len(sent.smtp.messages) - emails
    new_texts = len(sent.twilio.messages) - texts
    if unsent or new_emails != cases or new_texts != cases:
        raise SystemExit(f"bench: {unsent} notices not sent; {new_emails} emails, {new_texts} SMS")
    starts, ends = job_times([f"notice-{notice_id}" for notice_id in ids], redis_url)
    return rate(starts, ends), (max(ends) - min(starts)).total_seconds(), peak


def measure_dialogue(app, ids: list) -> float:
    """Seconds per notice of the provider step alone (`delivery.send`, first attempt)."""
    with app.app_context(), app.extensions["database"].sessionmaker() as session:
        rows = session.scalars(select(Notification).where(Notification.id.in_(ids))).all()
        claims = [
            delivery.Claimed(
                id=uuid.uuid4(),  # new keys: the loopback servers take them as new notices
                channel=row.channel,
                recipient=row.recipient or "",
                subject=row.subject,
                body_text=row.body_text or "",
                body_html=row.body_html,
                attempts=1,
                created_at=row.created_at,
            )
            for row in rows
        ]
        for claimed in claims[:20]:  # connections opened, code warm
            delivery.send(claimed)
        started = time.perf_counter()
        for claimed in claims:
            delivery.send(claimed)
        elapsed = time.perf_counter() - started
        email_backend().close()  # the kept SMTP connection
    return elapsed / len(claims)


def measure_noop(count: int, redis_url: str, env: dict[str, str]) -> float:
    connection = Redis.from_url(redis_url)
    queue = Queue("bench_noop", connection=connection)
    queue.empty()
    jobs = [queue.enqueue("bench.noop.noop", result_ttl=600) for _ in range(count)]
    run_worker(env, "bench_noop")
    starts, ends = job_times([job.id for job in jobs], redis_url)
    return rate(starts, ends)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=150, help="cases; each makes 2 notices")
    parser.add_argument(
        "--burst", type=int, default=2000, help="notices of the burst one worker drains (0: none)"
    )
    parser.add_argument(
        "--modes",
        default="simple,fork",
        help="WORKER_MODE values to compare, the first also drains the burst",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_NOTICES_DATABASE_URL", DEFAULT_DB)
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--profile", help="py-spy the burst's worker into this file")
    args = parser.parse_args()
    # The loopback SMTP server stands for a provider elsewhere: its line per command
    # would be CPU of the bench process charged to the notices.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    load = os.getloadavg()
    recreate_database(args.database_url)
    migrate.upgrade(args.database_url)
    rows = []
    burst = None
    with (
        tempfile.TemporaryDirectory() as instance,
        providers(args, args.redis_url, instance) as sent,
    ):
        app = create_app(**sent.settings)
        base_env = {**os.environ, **{k.upper(): str(v) for k, v in sent.settings.items()}}
        for mode in modes:
            env = {**base_env, "WORKER_MODE": mode}
            # Baseline first and last: the ratio uses their mean, so drift shows.
            before = measure_noop(args.cases * 2, args.redis_url, env)
            notices, _span, peak = measure_notices(
                app, env, args.redis_url, args.cases, f"n{mode}", sent
            )
            after = measure_noop(args.cases * 2, args.redis_url, env)
            rows.append((mode, notices, before, after, peak))
        dialogue = measure_dialogue(app, write_notices(app, args.cases, "dialogue"))
        if args.burst:
            env = {**base_env, "WORKER_MODE": modes[0]}
            if args.profile:
                env["BENCH_PROFILE"] = args.profile
            burst = measure_notices(
                app, env, args.redis_url, args.burst // 2, f"burst{modes[0]}", sent
            )
        app.extensions["database"].engine.dispose()
    print(
        f"\nnotices (email + SMS) end to end, 1 worker, {args.cases * 2} notices per mode, "
        f"{date.today().isoformat()}, load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}"
    )
    print(
        "| WORKER_MODE | notices/s | no-op jobs/s (before / after) | ratio notices / no-op "
        "| peak RSS of the worker, MB |"
    )
    print("|---|---|---|---|---|")
    for mode, notices, before, after, peak in rows:
        ratio = notices / ((before + after) / 2)
        print(f"| {mode} | {notices:.1f} | {before:.1f} / {after:.1f} | {ratio:.3f} | {peak} |")
    for mode, _notices, before, after, _peak in rows:
        noop = 2 / (before + after)
        print(
            f"\nprovider dialogue alone: {dialogue * 1000:.2f} ms per notice; a {mode} no-op job "
            f"{noop * 1000:.2f} ms; ceiling of the {mode} ratio with a free database: "
            f"{noop / (noop + dialogue):.3f}"
        )
    if burst is not None:
        burst_rate, span, peak = burst
        print(
            f"\nburst: {args.burst // 2 * 2} notices drained by one {modes[0]} worker in "
            f"{span:.1f} s ({burst_rate:.1f}/s: {burst_rate / TODAY_BURST_RATE:.1f}x the "
            f"{TODAY_BURST_RATE:.1f}/s of the issue's 2,000 in 134 s); peak RSS {peak} MB"
        )
    recreate_database(args.database_url)


if __name__ == "__main__":
    main()
