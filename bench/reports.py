"""The monthly report on a large database against `count(*)` over the cases table,
measured in the same run: `python -m bench.reports [--cases 1000000]`.

Steps: create a fresh PostgreSQL database and migrate it; bulk-load by SQL
(generate_series) four storefronts, their customers and `--cases` cases spread evenly
over two years (kinds, channels, statuses, first responses, completions, follow-ups and
causes varied by the row number), one item for every other case, a survey for every
other completed case and a contact for every third case; VACUUM ANALYZE. Then the daily
rollup is built as production builds it: the `report_rollup` job's own function
(`refresh_days`) finds every closed day missing and builds it (timed on its own; the
bulk SQL wrote no change marks, exactly like days never built). Then, warm,
alternately: `SELECT count(*) FROM cases` and the monthly report of one month (every
storefront, and one storefront), the weekly and the daily report of a day in it (every
storefront), `--repeat` times each; the figure is the median. The same monthly report
all live (`use_rollup=False`, the path before the rollup) is measured once for
comparison. Finally EXPLAIN (ANALYZE, BUFFERS) of every statement the monthly report
ran, written to `bench/out/report_plans.txt`.

The claim (issue 10): the monthly report takes at most 3 x the count(*).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service import create_app  # noqa: E402
from service.core import migrate  # noqa: E402
from service.reports.build import build_report  # noqa: E402
from service.reports.periods import period_for  # noqa: E402
from service.reports.rollup import refresh_days  # noqa: E402
from service.storefronts.keys import create_storefront  # noqa: E402
from service.storefronts.models import Storefront  # noqa: E402

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/aftersales_bench_reports"
OUT = ROOT / "bench" / "out"
START = "2025-01-01T00:00:00+00"
DAYS = 730
MONTH = date(2026, 6, 15)

LOAD = [
    (
        "customers",
        """INSERT INTO customers (id, storefront_id, name, locale, time_zone, consent_email,
               consent_sms, created_at, updated_at)
           SELECT gen_random_uuid(), s.id, 'Customer ' || g, 'en', 'UTC', true, true,
                  now(), now()
           FROM storefronts s CROSS JOIN generate_series(1, 250) g""",
    ),
    (
        "cases",
        """WITH people AS (SELECT array_agg(id ORDER BY id) AS ids FROM customers),
                shops AS (SELECT array_agg(id ORDER BY slug) AS ids FROM storefronts),
                rows AS (
                  SELECT g,
                         CAST(:start AS timestamptz) + (g::float8 / :n) * interval ':days days'
                         AS t
                  FROM generate_series(1, :n) g)
           INSERT INTO cases (id, storefront_id, number, kind, channel, status, priority,
               customer_id, description, link_key, version, escalated, created_at,
               updated_at, first_response_due_at, first_responded_at, resolution_due_at,
               completed_at, followup_due_at, followed_up_at, cause)
           SELECT gen_random_uuid(), shops.ids[1 + g % 4], 'B-' || g,
                  (ARRAY['repair','return','exchange','complaint','inquiry'])[1 + g % 5],
                  (ARRAY['web','phone','chat','email','api'])[1 + (g / 5) % 5],
                  CASE WHEN g % 10 < 7 THEN 'closed' WHEN g % 10 = 7 THEN 'cancelled'
                       ELSE 'open' END,
                  'normal', people.ids[1 + g % 1000], 'bench case', md5(g::text)::varchar(32),
                  1, false, t, t, t + interval '24 hours',
                  CASE WHEN g % 7 <> 0 THEN t + (g % 40) * interval '1 hour' END,
                  t + interval '240 hours',
                  CASE WHEN g % 10 < 8 THEN t + (24 + g % 300) * interval '1 hour' END,
                  CASE WHEN g % 10 < 7 THEN t + (96 + g % 300) * interval '1 hour' END,
                  CASE WHEN g % 10 < 6 THEN t + (30 + g % 300) * interval '1 hour' END,
                  (ARRAY['battery','screen','no fault','water damage',NULL])[1 + g % 5]
           FROM rows, people, shops""",
    ),
    (
        "case_items",
        """INSERT INTO case_items (id, case_id, position, sku, name, purchase_date, quantity,
               warranty_months, warranty_until, in_warranty, return_window_days,
               return_until, returnable)
           SELECT gen_random_uuid(), id, 1, 'SKU-' || (abs(hashtext(number)) % 50),
                  'Item', DATE '2024-06-01', 1, 12, DATE '2025-06-01', true, 7,
                  DATE '2024-06-08', false
           FROM cases WHERE abs(hashtext(number)) % 2 = 0""",
    ),
    (
        "surveys",
        """INSERT INTO surveys (id, case_id, status, invite_at, sent_at, answered_at,
               service_attitude, product_quality, price_reasonableness,
               overall_satisfaction, answer_channel, created_at)
           SELECT gen_random_uuid(), id, 'answered', completed_at,
                  completed_at + interval '1 day', completed_at + interval '30 hours',
                  1 + abs(hashtext(number)) % 5, 1 + abs(hashtext(number || 'q')) % 5,
                  1 + abs(hashtext(number || 'p')) % 5, 1 + abs(hashtext(number || 'o')) % 5,
                  'link', completed_at
           FROM cases WHERE status = 'closed' AND abs(hashtext(number || 's')) % 2 = 0""",
    ),
    (
        "contacts",
        """INSERT INTO contacts (id, case_id, direction, channel, summary, staff_name,
               occurred_at, created_at)
           SELECT gen_random_uuid(), id, 'out', 'phone', 'call', 'Agent', first_responded_at,
                  first_responded_at
           FROM cases WHERE first_responded_at IS NOT NULL
             AND abs(hashtext(number || 'c')) % 3 = 0""",
    ),
]


def recreate_database(url: str) -> None:
    name = make_url(url).database
    if "bench" not in (name or ""):
        raise SystemExit(f"refusing to drop {name!r}: the bench's database name contains 'bench'")
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def load(url: str, cases: int) -> dict[str, float]:
    engine = create_engine(url)
    timings = {}
    with Session(engine) as session:
        for n in range(4):
            create_storefront(session, f"Bench shop {n}", f"bench-{n}", time_zone="Asia/Shanghai")
        session.commit()
    with engine.begin() as connection:
        for table, sql in LOAD:
            started = time.perf_counter()
            sql = sql.replace(":days", str(DAYS))
            connection.execute(text(sql), {"start": START, "n": cases} if ":n" in sql else {})
            timings[table] = time.perf_counter() - started
            print(f"  loaded {table} in {timings[table]:.1f} s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        started = time.perf_counter()
        connection.execute(text("VACUUM ANALYZE"))
        timings["vacuum_analyze"] = time.perf_counter() - started
    engine.dispose()
    return timings


def median_seconds(work: Any, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__)
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a database kept by --keep-db (no load)"
    )
    args = parser.parse_args(argv)
    url = args.database_url
    print(f"bench.reports: {args.cases:,} cases on {make_url(url).render_as_string()}", flush=True)
    if not args.reuse:
        recreate_database(url)
        migrate.upgrade(url)
        load(url, args.cases)
    app = create_app(database_url=url, instance_dir=OUT / "instance", secret_key="bench")
    engine = app.extensions["database"].engine
    now = datetime(2027, 1, 1, tzinfo=UTC)
    with app.test_request_context(), Session(engine) as session:
        started = time.perf_counter()
        built = refresh_days(session, now=now)
        rollup_seconds = time.perf_counter() - started
        print(f"  rollup: {built:,} storefront-days built in {rollup_seconds:.1f} s", flush=True)
        shops = list(session.query(Storefront).order_by(Storefront.slug))
        period = period_for("monthly", MONTH, "Asia/Shanghai")
        week = period_for("weekly", MONTH, "Asia/Shanghai")
        day = period_for("daily", MONTH, "Asia/Shanghai")

        def count() -> None:
            session.execute(text("SELECT count(*) FROM cases")).scalar_one()

        def report(which: Any, chosen: Any = None, **kw: Any) -> Any:
            return lambda: build_report(
                session, chosen or shops, which, now, every_storefront=chosen is None, **kw
            )

        works = {
            "count": count,
            "every": report(period),
            "one": report(period, shops[:1]),
            "weekly": report(week),
            "daily": report(day),
        }
        for work in works.values():
            work()  # warm the cache
        timings: dict[str, list[float]] = {name: [] for name in works}
        for _ in range(args.repeat):
            for name, work in works.items():
                timings[name].append(median_seconds(work, 1))
        figures = {k: statistics.median(v) for k, v in timings.items()}
        figures["live"] = median_seconds(report(period, use_rollup=False), 1)
        figures["count_after_live"] = median_seconds(count, 1)
        opened = next(
            m["value"]
            for m in build_report(session, shops, period, now, True)["metrics"]
            if m["key"] == "cases_opened"
        )
        statements: list[tuple[str, Any]] = []

        def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
            statements.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", record)
        build_report(session, shops, period, now, every_storefront=True)
        event.remove(engine, "before_cursor_execute", record)
        raw = session.connection().connection.dbapi_connection
        OUT.mkdir(parents=True, exist_ok=True)
        with (OUT / "report_plans.txt").open("w") as out, raw.cursor() as cursor:
            for statement, parameters in statements:
                if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                    cursor.execute(statement, parameters)  # the SET LOCALs
                    out.write(f"-- {statement}\n\n")
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                out.write(f"-- {statement}\n{plan}\n\n")
    print(f"\nmonthly report ({period.first} - {period.after}, Asia/Shanghai), "
          f"{opened:,} cases opened that month, {len(statements)} statements")  # fmt: skip
    print("| measurement | median ms | ratio to count(*) |")
    print("|---|---|---|")
    print(f"rollup build (every closed day, {built:,} storefront-days): {rollup_seconds:.1f} s")
    labels = {
        "count": "count(*) over cases",
        "every": "monthly report, every storefront",
        "one": "monthly report, one storefront",
        "weekly": "weekly report, every storefront",
        "daily": "daily report, every storefront",
        "live": "monthly report, every storefront, all live (no rollup, once)",
        "count_after_live": "count(*) again, after it (once)",
    }
    for name, label in labels.items():
        print(f"| {label} | {figures[name] * 1000:.1f} | {figures[name] / figures['count']:.2f} |")
    print(f"plans: {OUT / 'report_plans.txt'}")
    if not args.keep_db:
        app.extensions["database"].engine.dispose()
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(
                text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
            )
        admin.dispose()
    claims = ("every", "one", "weekly", "daily")
    return 0 if all(figures[k] <= 3 * figures["count"] for k in claims) else 2


if __name__ == "__main__":
    raise SystemExit(main())
