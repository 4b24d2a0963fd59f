"""`GET /api/v1/cases` at 10,000 and at 1,000,000 cases: does each list stay flat?

    python -m bench.lists [--small 10000] [--large 1000000] [--requests 200] [--reuse]

Two PostgreSQL databases (`aftersales_bench_lists_<size>`), migrated, each bulk-loaded by
SQL alone (`INSERT ... SELECT` over `generate_series`, indexes built after the load) with
the same distribution: five storefronts of skewed size (50/25/12.5/7.5/5 %), cases
opened over two years, the last 30 days a desk's backlog spread over every status and
the older ones closed or cancelled (a few delivered and never followed up: a follow-up
clock still running), 60 % assigned to one of the storefront's eight staff, clocks as
the lifecycle keeps them (`next_due_at` included), one item for item kinds (500 SKUs),
a customer per three cases, `updated_at` somewhere between opening and now.

Each scenario is one list request, timed in process (the WSGI app, no network) with
its storefront's API key (or a staff token across storefronts): requests alternate
between the two databases, so a machine that slows down slows both. Prints p50/p95 per
size and the ratios large/small (target: p95 ratio <= 1.2), the load average, and writes
bench/out/lists.json; then EXPLAIN (ANALYZE, BUFFERS) of every scenario's list query on
the large database to bench/out/lists_explain.md (pasted into bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import Engine, make_url

from bench.lists_load import load, loaded

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
DATABASE_PREFIX = "aftersales_bench_lists"
TARGET = 1.2
ADMIN_EMAIL = "admin@bench.example"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.lists", description=__doc__)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per size")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_LISTS_SERVER_URL", DEFAULT_SERVER),
        help="PostgreSQL server URL; the databases are created on it",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep a database already loaded at its size"
    )
    parser.add_argument("--keep-db", action="store_true", help="leave the databases afterwards")
    return parser.parse_args(argv)


def _admin(server: str) -> Engine:
    url = make_url(server).set(database="postgres")
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _database_url(server: str, size: int) -> str:
    url = make_url(server).set(database=f"{DATABASE_PREFIX}_{size}")
    return url.render_as_string(hide_password=False)


# --- the scenarios ------------------------------------------------------------------------


def credentials(url: str) -> dict[str, Any]:
    """A key of the largest storefront, a staff token, and the arguments the scenarios
    need, read from the loaded data (the 80 %-deep cursor among them)."""
    from sqlalchemy.orm import Session

    from service.core.auth import issue_staff_token
    from service.core.pagination import encode_cursor
    from service.staff.models import StaffRole, StaffUser
    from service.storefronts.keys import issue_key
    from service.storefronts.models import Storefront

    engine = create_engine(url)
    with Session(engine) as session:
        storefront = session.scalars(select(Storefront).where(Storefront.slug == "lists-0")).one()
        _row, key = issue_key(session, storefront, label="bench lists")
        admin = session.scalars(
            select(StaffUser).where(StaffUser.email == ADMIN_EMAIL)
        ).first() or StaffUser(
            email=ADMIN_EMAIL, name="Admin", role=StaffRole.admin, password_hash="-"
        )
        session.add(admin)
        session.flush()
        token = issue_staff_token(session, admin)
        session.commit()
        sf = storefront.id
        one = session.execute(
            text("SELECT count(*) FROM cases WHERE storefront_id = :sf"),
            {"sf": sf},
        ).scalar_one()
        deep = session.execute(
            text(
                "SELECT created_at, id FROM cases WHERE storefront_id = :sf "
                "ORDER BY created_at DESC, id DESC OFFSET :offset LIMIT 1"
            ),
            {"sf": sf, "offset": int(one * 0.8)},
        ).one()
        middle = session.execute(
            text(
                "SELECT c.number, cu.email, cu.phone FROM cases c "
                "JOIN customers cu ON cu.id = c.customer_id "
                "WHERE c.storefront_id = :sf AND c.kind = 'repair' "
                "ORDER BY c.created_at DESC, c.id DESC OFFSET :offset LIMIT 1"
            ),
            {"sf": sf, "offset": int(one * 0.25)},
        ).one()
        assignee = session.execute(
            text("SELECT id FROM staff_users WHERE storefront_id = :sf ORDER BY email LIMIT 1"),
            {"sf": sf},
        ).scalar_one()
    engine.dispose()
    created_at, row_id = deep
    created_at = created_at.replace(tzinfo=UTC) if created_at.tzinfo is None else created_at
    return {
        "api_key": key,
        "staff_token": token,
        "cursor": encode_cursor(created_at, row_id),
        "serial_number": f"SN-{middle.number}",
        "customer_email": middle.email,
        "customer_phone": middle.phone,
        "assignee_id": str(assignee),
        "storefront_cases": one,
    }


def scenarios(found: dict[str, Any], since: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, principal, query) of each list timed."""
    return [
        ("first_page", "key", {}),
        ("deep_cursor_80pct", "key", {"cursor": found["cursor"]}),
        ("status_repairing", "key", {"status": "repairing"}),
        ("status_closed", "key", {"status": "closed"}),
        ("overdue", "key", {"overdue": "true"}),
        ("sort_due", "key", {"sort": "due"}),
        ("assignee", "key", {"assignee_id": found["assignee_id"]}),
        ("updated_after_sync", "key", {"updated_after": since, "sort": "updated_at"}),
        ("updated_after_newest", "key", {"updated_after": since}),
        ("serial_number", "key", {"serial_number": found["serial_number"]}),
        ("sku", "key", {"sku": "SKU-42"}),
        ("customer_email", "key", {"customer_email": found["customer_email"]}),
        ("customer_phone", "key", {"customer_phone": found["customer_phone"]}),
        ("with_allowed_actions", "key", {"include": "allowed_actions"}),
        ("staff_first_page", "staff", {}),
        ("staff_overdue", "staff", {"overdue": "true"}),
        ("staff_status_repairing", "staff", {"status": "repairing"}),
    ]


def sync_point(url: str) -> str:
    """`updated_after` for the sync scenarios: the time after which the small database's
    largest storefront changed 60 cases, so both sizes answer full pages (the large one
    has ~100 times as many changes after it)."""
    engine = create_engine(url)
    with engine.connect() as connection:
        at = connection.execute(
            text(
                "SELECT updated_at FROM cases WHERE storefront_id = "
                "(SELECT id FROM storefronts WHERE slug = 'lists-0') "
                "ORDER BY updated_at DESC OFFSET 60 LIMIT 1"
            )
        ).scalar_one()
    engine.dispose()
    return (at.replace(tzinfo=UTC) if at.tzinfo is None else at).isoformat()


class Target:
    """One database's app, its credentials and a counter of the SQL it runs."""

    def __init__(self, size: int, url: str) -> None:
        from service import create_app

        self.size = size
        self.url = url
        self.found = credentials(url)
        instance = tempfile.mkdtemp(prefix="bench-lists-")
        self.app = create_app(
            instance_dir=instance, database_url=url, secret_key="bench", rate_limits_enabled=False
        )
        self.client = self.app.test_client()
        self.statements: list[tuple[str, Any]] = []
        self.capturing = False
        event.listen(self.app.extensions["database"].engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_a: Any) -> None:
        if self.capturing:
            self.statements.append((statement, parameters))

    def headers(self, principal: str) -> dict[str, str]:
        secret = self.found["api_key"] if principal == "key" else self.found["staff_token"]
        return {"Authorization": f"Bearer {secret}"}

    def request(self, principal: str, query: dict[str, Any]) -> tuple[float, int]:
        start = time.perf_counter()
        response = self.client.get(
            "/api/v1/cases", query_string=query, headers=self.headers(principal)
        )
        body = response.get_data()
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, (query, response.status_code, body[:300])
        return elapsed, len(json.loads(body)["items"])

    def list_query(self, principal: str, query: dict[str, Any]) -> list[tuple[str, Any]]:
        """The SELECTs of cases one request runs (the list, and any second run)."""
        self.statements, self.capturing = [], True
        try:
            self.request(principal, query)
        finally:
            self.capturing = False
        return [(s, p) for s, p in self.statements if "FROM cases" in s and "list_customer" in s]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    # Nearest rank.
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def measure(targets: list[Target], count: int, warmup: int, since: str) -> list[dict[str, Any]]:
    small, large = targets
    results = []
    for (name, principal, query), (_n, _p, large_query) in zip(
        scenarios(small.found, since), scenarios(large.found, since), strict=True
    ):
        times: dict[int, list[float]] = {small.size: [], large.size: []}
        rows: dict[int, int] = {}
        for n in range(warmup + count):
            # Alternate which goes first, so neither always follows the other.
            pair = ((small, query), (large, large_query))
            for target, args in pair if n % 2 else reversed(pair):
                elapsed, rows[target.size] = target.request(principal, args)
                if n >= warmup:
                    times[target.size].append(elapsed)
        entry: dict[str, Any] = {"scenario": name, "query": query}
        for target in targets:
            values = times[target.size]
            entry[str(target.size)] = {
                "rows": rows[target.size],
                "p50_ms": round(statistics.median(values), 2),
                "p95_ms": round(_percentile(values, 0.95), 2),
            }
        entry["p50_ratio"] = round(
            entry[str(large.size)]["p50_ms"] / entry[str(small.size)]["p50_ms"], 2
        )
        entry["p95_ratio"] = round(
            entry[str(large.size)]["p95_ms"] / entry[str(small.size)]["p95_ms"], 2
        )
        results.append(entry)
        print(
            f"  {name}: p95 {entry[str(small.size)]['p95_ms']} / "
            f"{entry[str(large.size)]['p95_ms']} ms (x{entry['p95_ratio']})",
            flush=True,
        )
    return results


def explain(target: Target, since: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of each scenario's list query(ies) on `target`."""
    engine = create_engine(target.url)
    parts = [
        f"EXPLAIN (ANALYZE, BUFFERS) of each list query at {target.size:,} cases "
        f"(`python -m bench.lists --large {target.size}`):\n"
    ]
    with engine.connect() as connection:
        for name, principal, query in scenarios(target.found, since):
            shown = {k: ("<cursor>" if k == "cursor" else v) for k, v in query.items()}
            parts.append(f"\n#### {name} `{shown}`\n")
            for statement, parameters in target.list_query(principal, query):
                plan = connection.exec_driver_sql(
                    f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters
                )
                parts.append("```\n" + "\n".join(row[0] for row in plan) + "\n```\n")
    engine.dispose()
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    admin = _admin(args.server)
    sizes = [args.small, args.large]
    urls = {size: _database_url(args.server, size) for size in sizes}
    loads: dict[int, Any] = {}
    try:
        for size in sizes:
            if args.reuse and loaded(urls[size], size):
                print(f"lists: reusing the database of {size:,} cases", flush=True)
                loads[size] = "reused"
                continue
            name = make_url(urls[size]).database
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            print(f"lists: loading {size:,} cases into {name}...", flush=True)
            loads[size] = load(urls[size], size)
            print(f"  {loads[size]} (load average {os.getloadavg()[0]:.1f})", flush=True)
        return _run(args, sizes, urls, loads)
    finally:
        if not args.keep_db and not args.reuse:
            with admin.connect() as connection:
                for url in urls.values():
                    name = make_url(url).database
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _run(args: argparse.Namespace, sizes: list[int], urls: dict[int, str], loads: Any) -> int:
    targets = [Target(size, urls[size]) for size in sizes]
    since = sync_point(urls[sizes[0]])
    load_before = os.getloadavg()
    print(f"lists: {args.requests} timed requests per scenario and size, in process", flush=True)
    results = measure(targets, args.requests, args.warmup, since)
    load_after = os.getloadavg()
    small, large = sizes
    print(
        f"\nGET /api/v1/cases at {small:,} vs {large:,} cases (PostgreSQL, in process); "
        f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f} "
        f"(cores: {os.cpu_count()})"
    )
    print(
        f"| scenario | rows | p50 ms {small:,} | p95 ms {small:,} | p50 ms {large:,} "
        f"| p95 ms {large:,} | p50 ratio | p95 ratio | p95 target <= {TARGET} |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        a, b = r[str(small)], r[str(large)]
        verdict = "met" if r["p95_ratio"] <= TARGET else "MISSED"
        print(
            f"| {r['scenario']} | {b['rows']} | {a['p50_ms']} | {a['p95_ms']} | {b['p50_ms']} "
            f"| {b['p95_ms']} | {r['p50_ratio']} | {r['p95_ratio']} | {verdict} |"
        )
    OUT.mkdir(parents=True, exist_ok=True)
    plans = explain(targets[1], since)
    (OUT / "lists_explain.md").write_text(plans)
    print(f"\nEXPLAIN ANALYZE at {large:,}: bench/out/lists_explain.md")
    (OUT / "lists.json").write_text(
        json.dumps(
            {
                "sizes": sizes,
                "requests": args.requests,
                "loads": {str(k): v for k, v in loads.items()},
                "machine": {
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "load_average_before": load_before,
                    "load_average_after": load_after,
                },
                "results": results,
            },
            indent=2,
        )
    )
    for target in targets:
        target.app.extensions["database"].engine.dispose()
    missed = [r["scenario"] for r in results if r["p95_ratio"] > TARGET]
    if missed:
        print(f"p95 ratio above {TARGET}: {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
