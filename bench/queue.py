"""The workspace queue's first page at 10,000 cases: server time per request, against
the same app's sign-in page measured in the same run.

    python -m bench.queue [--cases 10000] [--requests 200] [--database-url URL]

Steps: recreate a PostgreSQL database (name must contain `bench`; SQLite with a
`sqlite:///` URL also works), migrate it, bulk-insert `--cases` cases across three
storefronts (customers, statuses, clocks, assignees spread as a desk's day would have
them; about a quarter closed or cancelled), sign a desk agent in through the login form,
then time requests in process (the WSGI app, no network): `login_page` (the baseline:
the same stack — session, CSRF, Babel, template, headers — and no data), then each
queue view. Each timing is the app's handling of one request, from call to the last
byte of the body (wall clock), and the CPU time this process spent on it (which a busy
machine does not inflate). Prints p50/p95/mean ms, CPU p50, SQL statements per request,
the p50 ratio to the baseline and the load average; writes bench/out/queue.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.run import admin_engine, drop_database, recreate_database

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "queue.json"
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/aftersales_bench_queue"
PASSWORD = "bench password, long enough"

#: The views timed, after the baseline: (name, path).
VIEWS = [
    ("queue_first_page", "/queue"),
    ("queue_htmx_rows", "/queue"),
    ("queue_mine", "/queue?assignee=me"),
    ("queue_overdue", "/queue?overdue=1"),
    ("queue_newest", "/queue?sort=newest"),
    ("queue_search_name", "/queue?q=Wang"),
    ("queue_search_phone", "/queue?q=%2B86%20139%200000%200042"),
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.queue", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per view")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per view first")
    parser.add_argument("--keep-db", action="store_true", help="leave the database for a look")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_QUEUE_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    return parser.parse_args(argv)


def seed(database_url: str, cases: int) -> str:
    """Bulk-insert the cases; returns the desk agent's e-mail."""
    from werkzeug.security import generate_password_hash

    from service.cases.models import Case, CaseChannel, CaseKind, CasePriority, CaseStatus
    from service.core.db import make_engine
    from service.customers.models import Customer
    from service.sla.clocks import next_due
    from service.staff.models import StaffRole, StaffUser
    from service.storefronts.keys import create_storefront

    rng = random.Random(8)
    now = datetime.now(UTC)
    engine = make_engine(database_url)
    statuses = [s for s in CaseStatus]
    weights = [12, 8, 8, 8, 6, 8, 6, 6, 5, 3, 4, 18, 8]
    surnames = ["Wang", "Li", "Zhang", "Liu", "Chen", "Smith", "Brown", "Garcia", "Kim", "Ade"]
    with Session(engine) as session:
        storefronts = [
            create_storefront(session, f"Bench Shop {n}", f"bench-{n}", case_prefix=f"B{n}")
            for n in range(3)
        ]
        password_hash = generate_password_hash(PASSWORD)
        staff = [
            StaffUser(
                email=f"{role.value}{n}@bench.example",
                name=f"{role.value.title()} {n}",
                role=role,
                password_hash=password_hash,
            )
            for n in range(3)
            for role in (StaffRole.agent, StaffRole.technician)
        ]
        session.add_all(staff)
        session.flush()
        customers = []
        for n in range(max(1, cases // 3)):
            created = now - timedelta(days=rng.uniform(0, 400))
            customers.append(
                {
                    "id": uuid.uuid4(),
                    "storefront_id": storefronts[n % 3].id,
                    "name": f"{rng.choice(surnames)} {n}",
                    "email": f"customer{n}@example.com",
                    "phone": f"+86139{n:08d}",
                    "locale": "zh-CN" if n % 2 else "en",
                    "time_zone": "Asia/Shanghai",
                    "created_at": created,
                    "updated_at": created,
                }
            )
        session.execute(insert(Customer), customers)
        rows = []
        for n in range(cases):
            customer = customers[n % len(customers)]
            created = now - timedelta(hours=rng.uniform(0, 24 * 60))
            status = rng.choices(statuses, weights)[0]
            kind = rng.choice(list(CaseKind))
            case = Case(
                status=status,
                first_response_due_at=created + timedelta(hours=24),
                first_responded_at=None
                if status == CaseStatus.open
                else created + timedelta(hours=rng.uniform(1, 30)),
                resolution_due_at=created + timedelta(hours=rng.choice([24, 48, 120, 240])),
                resolution_paused_at=created + timedelta(hours=2)
                if status in (CaseStatus.awaiting_item, CaseStatus.quote_pending)
                else None,
                completed_at=created + timedelta(days=3)
                if status
                in (
                    CaseStatus.delivered,
                    CaseStatus.refunded,
                    CaseStatus.resolved,
                    CaseStatus.closed,
                    CaseStatus.cancelled,
                )
                else None,
                followup_due_at=created + timedelta(days=6)
                if status
                in (
                    CaseStatus.delivered,
                    CaseStatus.refunded,
                    CaseStatus.resolved,
                    CaseStatus.closed,
                )
                else None,
                followed_up_at=created + timedelta(days=5) if status == CaseStatus.closed else None,
            )
            storefront = next(s for s in storefronts if s.id == customer["storefront_id"])
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "storefront_id": storefront.id,
                    "number": f"{storefront.case_prefix}-{n:06d}",
                    "kind": kind,
                    "channel": rng.choice(list(CaseChannel)),
                    "status": status,
                    "priority": rng.choice(list(CasePriority)),
                    "customer_id": customer["id"],
                    "order_reference": f"ORD-{n}",
                    "description": "Bench case",
                    "link_key": uuid.uuid4().hex,
                    "version": 1,
                    "assignee_id": rng.choice(staff).id if rng.random() < 0.6 else None,
                    "escalated": rng.random() < 0.05,
                    "first_response_due_at": case.first_response_due_at,
                    "first_responded_at": case.first_responded_at,
                    "resolution_due_at": case.resolution_due_at,
                    "resolution_paused_at": case.resolution_paused_at,
                    "completed_at": case.completed_at,
                    "followup_due_at": case.followup_due_at,
                    "followed_up_at": case.followed_up_at,
                    "next_due_at": next_due(case),
                    "created_at": created,
                    "updated_at": created,
                }
            )
        for start in range(0, len(rows), 2000):
            session.execute(insert(Case), rows[start : start + 2000])
        session.commit()
        email = staff[0].email
    engine.dispose()
    return email


def timed(
    client: Any, path: str, headers: dict[str, str], count: int
) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of each request. On a busy machine the wall time grows
    with the wait for a core; the CPU time (this process's, so without PostgreSQL's own
    work) does not."""
    wall, cpu = [], []
    for _ in range(count):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(path, headers=headers)
        response.get_data()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = make_url(args.database_url)
    sqlite = url.drivername.startswith("sqlite")
    admin = None
    if not sqlite:
        if "bench" not in (url.database or ""):
            raise SystemExit("refusing a database whose name lacks 'bench' (it is dropped)")
        admin = admin_engine(url)
        recreate_database(admin, url.database)
    elif url.database and Path(url.database).exists():
        Path(url.database).unlink()
    database_url = url.render_as_string(hide_password=False)
    try:
        return _run(args, database_url)
    finally:
        if admin is not None:
            if not args.keep_db:
                drop_database(admin, url.database)
            admin.dispose()


def _run(args: argparse.Namespace, database_url: str) -> int:
    from service import create_app
    from service.core import migrate

    migrate.upgrade(database_url)
    started = time.perf_counter()
    email = seed(database_url, args.cases)
    print(f"seeded {args.cases} cases in {time.perf_counter() - started:.1f} s", flush=True)
    instance = tempfile.mkdtemp(prefix="bench-queue-")
    app = create_app(
        instance_dir=instance,
        database_url=database_url,
        secret_key="bench",
        rate_limits_enabled=False,
    )
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    signed = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert signed.status_code == 303, signed.status_code

    statements = {"count": 0}
    event.listen(
        app.extensions["database"].engine,
        "before_cursor_execute",
        lambda *_a, **_k: statements.__setitem__("count", statements["count"] + 1),
    )
    signed_out = app.test_client()
    load_before = f"{os.getloadavg()[0]:.1f}"
    results = []
    for name, path in [("login_page", "/login"), *VIEWS]:
        target = signed_out if name == "login_page" else client
        headers = {"HX-Request": "true"} if name == "queue_htmx_rows" else {}
        timed(target, path, headers, args.warmup)
        statements["count"] = 0
        times, cpu = timed(target, path, headers, args.requests)
        rows = target.get(path, headers=headers).get_data(as_text=True).count("<tr data-case=")
        results.append(
            {
                "view": name,
                "path": path,
                "rows": rows,
                "p50_ms": round(statistics.median(times), 2),
                "p95_ms": round(statistics.quantiles(times, n=20)[-1], 2),
                "mean_ms": round(statistics.fmean(times), 2),
                "cpu_p50_ms": round(statistics.median(cpu), 2),
                "sql_per_request": round(statements["count"] / args.requests, 1),
            }
        )
    baseline = results[0]["p50_ms"]
    print(
        f"\n{args.cases} cases, {args.requests} timed requests per view, "
        f"{database_url.split(':')[0]}"
    )
    print(
        f"load average before: {load_before}, after: {os.getloadavg()[0]:.1f} "
        f"(cores: {os.cpu_count()})"
    )
    print(
        "| view | rows | p50 ms | p95 ms | mean ms | CPU p50 ms | SQL/request "
        "| p50 ratio (view/login_page) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['view']} | {r['rows']} | {r['p50_ms']} | {r['p95_ms']} | {r['mean_ms']} "
            f"| {r['cpu_p50_ms']} | {r['sql_per_request']} | {r['p50_ms'] / baseline:.1f} |"
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "cases": args.cases,
                "requests": args.requests,
                "backend": database_url.split(":")[0],
                "machine": {
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "load_average_before": load_before,
                },
                "results": results,
            },
            indent=2,
        )
    )
    app.extensions["database"].engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
