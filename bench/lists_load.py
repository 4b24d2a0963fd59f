"""The load of bench.lists: `size` cases in a migrated PostgreSQL database by SQL alone
(`INSERT ... SELECT` over `generate_series`; foreign-key triggers off and the indexes
built after the load, as a restore would). The distribution is described in
bench/lists.py.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

#: (share of the cases, in fortieths) per storefront: 50, 25, 12.5, 7.5 and 5 %.
STOREFRONT_SHARES = (20, 10, 5, 3, 2)
STAFF_PER_STOREFRONT = 8
#: The backlog's statuses (cases opened in the last 30 days), cumulative shares.
BACKLOG = (
    ("open", 0.15),
    ("awaiting_item", 0.25),
    ("received", 0.33),
    ("diagnosing", 0.43),
    ("quote_pending", 0.51),
    ("repairing", 0.63),
    ("ready_to_ship", 0.70),
    ("shipped", 0.78),
    ("delivered", 0.85),
    ("refunded", 0.88),
    ("resolved", 0.93),
    ("closed", 0.98),
    ("cancelled", 1.01),
)
COMPLETED = "('delivered', 'refunded', 'resolved', 'closed', 'cancelled')"
FOLLOWED = "('delivered', 'refunded', 'resolved', 'closed')"


def loaded(url: str, size: int) -> bool:
    """Whether the database at `url` holds `size` cases already (`--reuse`)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(text("SELECT count(*) FROM cases")) == size
    except Exception:  # absent, unmigrated or half loaded: load it again
        return False
    finally:
        engine.dispose()


def _storefront_of(column: str) -> str:
    """SQL: the storefront index of row number `column` (its share by `% 40`)."""
    bounds, total, parts = [], 0, []
    for index, share in enumerate(STOREFRONT_SHARES):
        total += share
        bounds.append((total, index))
    for bound, index in bounds[:-1]:
        parts.append(f"WHEN {column} % 40 < {bound} THEN {index}")
    return f"(CASE {' '.join(parts)} ELSE {bounds[-1][1]} END)"


def _backlog_status(column: str) -> str:
    whens = " ".join(f"WHEN {column} < {share} THEN '{status}'" for status, share in BACKLOG)
    return f"(CASE {whens} END)"


def load(url: str, size: int) -> dict[str, float]:
    """Recreated schema, loaded with `size` cases by SQL; returns the seconds per step."""
    from sqlalchemy.orm import Session

    from service.core import migrate
    from service.staff.models import StaffRole, StaffUser
    from service.storefronts.keys import create_storefront

    timings: dict[str, float] = {}
    started = time.perf_counter()
    migrate.upgrade(url)
    engine = create_engine(url)
    now = datetime.now(UTC)
    customers = max(40, size // 3 // 40 * 40)
    with Session(engine) as session:
        storefronts = [
            create_storefront(session, f"Lists Shop {n}", f"lists-{n}", case_prefix=f"L{n}")
            for n in range(len(STOREFRONT_SHARES))
        ]
        staff = [
            StaffUser(
                email=f"staff{s}-{k}@bench.example",
                name=f"Staff {s}-{k}",
                role=StaffRole.technician if k % 2 else StaffRole.agent,
                password_hash="-",
                storefront_id=storefront.id,
            )
            for s, storefront in enumerate(storefronts)
            for k in range(STAFF_PER_STOREFRONT)
        ]
        session.add_all(staff)
        session.commit()
        sf_rows = ", ".join(
            f"({n}, '{s.id}'::uuid, '{s.case_prefix}')" for n, s in enumerate(storefronts)
        )
        staff_rows = ", ".join(
            f"({n // STAFF_PER_STOREFRONT}, {n % STAFF_PER_STOREFRONT}, '{person.id}'::uuid)"
            for n, person in enumerate(staff)
        )
    with engine.begin() as connection:
        run = connection.exec_driver_sql
        # Consistent by construction: skip the FK triggers, build the indexes after.
        run("SET session_replication_role = replica")
        run("SET maintenance_work_mem = '256MB'")
        run("SET synchronous_commit = off")
        indexes = list(
            connection.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                    "AND tablename IN ('cases', 'customers', 'case_items') "
                    "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
                )
            )
        )
        for name, _definition in indexes:
            run(f'DROP INDEX "{name}"')
        run("CREATE TEMP TABLE bench_sf (sf int PRIMARY KEY, id uuid, prefix text)")
        run(f"INSERT INTO bench_sf VALUES {sf_rows}")
        run("CREATE TEMP TABLE bench_staff (sf int, k int, id uuid, PRIMARY KEY (sf, k))")
        run(f"INSERT INTO bench_staff VALUES {staff_rows}")
        run("SELECT setseed(0.42)")
        mark = time.perf_counter()
        connection.execute(
            text(
                f"""
            INSERT INTO customers (id, storefront_id, name, email, phone, locale, time_zone,
                                   consent_email, consent_sms, created_at, updated_at)
            SELECT md5('customer-' || c)::uuid, sf.id,
                   (ARRAY['Wang','Li','Zhang','Liu','Chen','Smith','Brown','Garcia'])[c % 8 + 1]
                       || ' ' || c,
                   'customer' || c || '@example.com', '+86139' || lpad(c::text, 8, '0'),
                   'zh-CN', 'Asia/Shanghai', true, true,
                   :now - interval '800 days', :now - interval '800 days'
            FROM generate_series(0, :customers - 1) AS c
            JOIN bench_sf sf ON sf.sf = {_storefront_of("c")}
            """
            ),
            {"now": now, "customers": customers},
        )
        timings["customers_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        connection.execute(text(_cases_sql()), {"now": now, "size": size, "customers": customers})
        timings["cases_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        connection.execute(
            text(
                """
            INSERT INTO case_items (id, case_id, position, sku, name, serial_number,
                purchase_date, quantity, warranty_months, warranty_until, in_warranty,
                return_window_days, return_until, returnable)
            SELECT gen_random_uuid(), id, 0, 'SKU-' || (abs(hashtext(number)) % 500),
                   'Bench item', 'SN-' || number, (created_at - interval '100 days')::date, 1,
                   12, (created_at + interval '265 days')::date, true,
                   7, (created_at - interval '93 days')::date, false
            FROM cases WHERE kind IN ('repair', 'return', 'exchange')
            """
            )
        )
        timings["items_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        for _name, definition in indexes:
            run(definition)
        timings["indexes_s"] = time.perf_counter() - mark
        run(f"UPDATE storefronts SET case_seq = {size}")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        mark = time.perf_counter()
        connection.exec_driver_sql("VACUUM ANALYZE")
        timings["vacuum_analyze_s"] = time.perf_counter() - mark
    engine.dispose()
    timings["total_s"] = time.perf_counter() - started
    return {k: round(v, 1) for k, v in timings.items()}


def _cases_sql() -> str:
    status = (
        f"CASE WHEN age_days < 30 THEN {_backlog_status('r2')} "
        "WHEN r2 < 0.88 THEN 'closed' WHEN r2 < 0.98 THEN 'cancelled' ELSE 'delivered' END"
    )
    return f"""
    INSERT INTO cases (id, storefront_id, number, kind, channel, status, priority,
        customer_id, order_reference, description, link_key, version,
        first_response_due_at, first_responded_at, resolution_due_at, resolution_paused_at,
        completed_at, followup_due_at, followed_up_at, next_due_at, assignee_id,
        escalated, customer_replied, created_at, updated_at)
    SELECT id, storefront_id, number, kind, channel, status, priority, customer_id,
        order_reference, 'Bench case', link_key, 1,
        first_response_due_at, first_responded_at, resolution_due_at, resolution_paused_at,
        completed_at, followup_due_at, followed_up_at,
        -- The earliest deadline of a clock still running, as service.sla.clocks keeps it.
        LEAST(
            CASE WHEN status NOT IN ('cancelled', 'closed') AND first_responded_at IS NULL
                 THEN first_response_due_at END,
            CASE WHEN completed_at IS NULL AND resolution_paused_at IS NULL
                 THEN resolution_due_at END,
            CASE WHEN followed_up_at IS NULL THEN followup_due_at END
        ),
        assignee_id, escalated, customer_replied, created_at,
        LEAST(:now, COALESCE(followed_up_at, completed_at, created_at + (:now - created_at) * r6))
    FROM (
        SELECT c.*,
            created_at + interval '24 hours' AS first_response_due_at,
            CASE WHEN status <> 'open' THEN created_at + (:now - created_at) * 0.05 END
                AS first_responded_at,
            created_at + interval '240 hours' AS resolution_due_at,
            CASE WHEN status IN ('awaiting_item', 'quote_pending')
                 THEN created_at + (:now - created_at) * 0.5 END AS resolution_paused_at,
            CASE WHEN status IN {COMPLETED} THEN created_at + (:now - created_at) * 0.8 END
                AS completed_at,
            CASE WHEN status IN {FOLLOWED}
                 THEN created_at + (:now - created_at) * 0.8 + interval '3 days' END
                AS followup_due_at,
            CASE WHEN status = 'closed' THEN created_at + (:now - created_at) * 0.9 END
                AS followed_up_at
        FROM (
            SELECT s.*, gen_random_uuid() AS id, sf.id AS storefront_id,
                sf.prefix || '-' || lpad(g::text, 7, '0') AS number,
                CASE WHEN r1 < 0.5 THEN 'repair' WHEN r1 < 0.7 THEN 'return'
                     WHEN r1 < 0.8 THEN 'exchange' WHEN r1 < 0.9 THEN 'complaint'
                     ELSE 'inquiry' END AS kind,
                (ARRAY['web', 'phone', 'chat', 'email', 'api'])[g % 5 + 1] AS channel,
                {status} AS status,
                CASE WHEN r3 < 0.1 THEN 'low' WHEN r3 < 0.8 THEN 'normal'
                     WHEN r3 < 0.95 THEN 'high' ELSE 'urgent' END AS priority,
                -- A customer of the same storefront: same residue mod 40.
                md5('customer-' || (floor(r5 * (:customers / 40))::int * 40 + g % 40))::uuid
                    AS customer_id,
                'ORD-' || g AS order_reference,
                substr(md5(g::text), 1, 32) AS link_key,
                CASE WHEN r4 < 0.6 THEN st.id END AS assignee_id,
                r7 < 0.05 AS escalated, r7 > 0.97 AS customer_replied,
                :now - age_days * interval '1 day' AS created_at
            FROM (
                SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4,
                       random() AS r5, random() AS r6, random() AS r7,
                       random() * 730 AS age_days
                FROM generate_series(1, :size) AS g
            ) s
            JOIN bench_sf sf ON sf.sf = {_storefront_of("g")}
            JOIN bench_staff st ON st.sf = sf.sf AND st.k = g % {STAFF_PER_STOREFRONT}
        ) c
    ) d
    """
