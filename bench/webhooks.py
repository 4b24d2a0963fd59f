"""Webhook deliveries per second per worker, end to end, against raw RQ no-op jobs per
second on the same Redis, measured in the same run: `python -m bench.webhooks`.

Each of N cases opened gives one `case.created` delivery to one endpoint, a loopback
receiver that verifies every signature with the `standardwebhooks` library (as a
storefront would) and answers 204. One worker process (`worker.py --burst`) claims each
delivery, checks the address (SSRF guard), signs, POSTs through requests-hardened and
records the attempt. The baseline is the same forking RQ worker draining as many jobs
that do nothing, before and after. Rates come from the jobs' own timestamps, so
process start-up is excluded.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

from redis import Redis
from rq import Queue
from rq.job import Job
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.notices import measure_noop, rate, recreate_database, run_worker  # noqa: E402
from service import create_app  # noqa: E402
from service.cases.intake import open_case  # noqa: E402
from service.cases.models import CaseKind  # noqa: E402
from service.core import migrate  # noqa: E402
from service.core.auth import Actor, ActorType  # noqa: E402
from service.storefronts.keys import create_storefront  # noqa: E402
from service.webhooks import handoff  # noqa: E402
from service.webhooks.models import DeliveryStatus, WebhookDelivery  # noqa: E402
from service.webhooks.service import create_endpoint  # noqa: E402
from tests.webhooks.receiver import running_receiver  # noqa: E402

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/aftersales_bench_webhooks"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"


def measure_webhooks(args: argparse.Namespace, instance: str) -> float:
    with running_receiver() as receiver:
        settings = {
            "database_url": args.database_url,
            "redis_url": args.redis_url,
            "instance_dir": instance,
            "secret_key": "bench",
            "webhook_allow_loopback": True,
        }
        app = create_app(**settings)
        with app.app_context():
            database = app.extensions["database"]
            with database.sessionmaker() as session:
                shop = create_storefront(session, "Bench", "bench-webhooks", case_prefix="BW")
                _endpoint, secret = create_endpoint(
                    session,
                    shop.id,
                    {"url": receiver.url, "event_types": ["case.created"]},
                    app.config["SETTINGS"],
                )
                receiver.secrets.append(secret)
                actor = Actor(ActorType.storefront, shop.id, shop.name)
                for n in range(args.cases):
                    data = {
                        "kind": CaseKind.inquiry,
                        "description": "Bench question",
                        "customer": {"name": f"Customer {n}", "email": f"c{n}@example.com"},
                    }
                    open_case(session, shop, data, actor)
                session.commit()
                ids = list(session.scalars(select(WebhookDelivery.id)))
            webhooks = Queue(handoff.DELIVERIES.queue, connection=Redis.from_url(args.redis_url))
            webhooks.empty()
            handoff.enqueue(ids)
            job_ids = webhooks.job_ids
        env = {**os.environ, **{key.upper(): str(value) for key, value in settings.items()}}
        run_worker(env, handoff.DELIVERIES.queue)
        with database.sessionmaker() as session:
            statuses = session.scalars(select(WebhookDelivery.status)).all()
        database.engine.dispose()
        undelivered = [s for s in statuses if s != DeliveryStatus.succeeded]
        if undelivered or len(receiver.accepted()) != args.cases or receiver.refused:
            raise SystemExit(
                f"bench: {len(undelivered)} deliveries not delivered; "
                f"{len(receiver.accepted())} received, {len(receiver.refused)} refused"
            )
        connection = Redis.from_url(args.redis_url)
        jobs = [Job.fetch(job_id, connection=connection) for job_id in job_ids]
        return rate([job.started_at for job in jobs], [job.ended_at for job in jobs])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=300, help="deliveries (one per case)")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_WEBHOOKS_DATABASE_URL", DEFAULT_DB)
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
        before = measure_noop(args.cases, args.redis_url, env)
        webhooks = measure_webhooks(args, instance)
        after = measure_noop(args.cases, args.redis_url, env)
    baseline = (before + after) / 2
    print(
        f"\nwebhook deliveries end to end, 1 worker, {args.cases} deliveries, "
        f"{date.today().isoformat()}"
    )
    print(f"  {'':22} {'jobs/s':>9}")
    print(f"  {'webhook deliveries':22} {webhooks:9.1f}")
    print(f"  {'rq no-op (before/after)':22} {before:9.1f} / {after:.1f}")
    print(f"  ratio deliveries / no-op: {webhooks / baseline:.3f}")
    recreate_database(args.database_url)


if __name__ == "__main__":
    main()
