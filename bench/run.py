"""`make bench`: the API against a bare Flask + SQLAlchemy Core baseline, same run.

    python -m bench.run [--duration 8] [--concurrency 8] [--workers 2] [--only create_case]

Steps: create a fresh PostgreSQL database, migrate it, seed a storefront and key; start
two gunicorns with identical settings (the API `wsgi:app` and the baseline
`bench.baseline:app`); for each scenario in `bench.scenarios.SCENARIOS`, run its
baseline and then it, with the same concurrency and duration; print the ratios and
write them to `bench/out/latest.json`. Everything is torn down at the end, on errors and
on Ctrl-C too.

Exit status: 0 when every run was clean, 1 when the bench could not run, 2 when a
scenario had errors (the table is still printed, with the errors flagged).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import platform
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import OperationalError

from bench import cpu, memory
from bench.load import LoadResult, rounded, run_load
from bench.scenarios import BASELINES, BY_NAME, SCENARIOS, Context, Request, Scenario

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/aftersales_bench"
#: Redis database reserved for the bench: flushed before and after a run.
BENCH_REDIS_URL = "redis://127.0.0.1:6379/15"
#: Baseline throughput differing by more than this before and after its scenario marks
#: the comparison as noisy: something else was using the machine.
NOISY_DRIFT = 0.15
#: Other processes using more than this share of the CPU during a run mark it as noisy.
BUSY_MACHINE = 0.05


class BenchError(Exception):
    """The bench cannot run (no PostgreSQL, a server did not start...)."""


# ---------------------------------------------------------------------------
# Command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    names = [s.name for s in SCENARIOS + BASELINES]
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--duration", type=float, default=8.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn sync workers, per server (default 2)"
    )
    parser.add_argument(
        "--load-processes",
        type=int,
        default=2,
        help="load generator processes sharing --concurrency threads (default 2)",
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=200_000,
        help="cap on requests per run, warm-up included (default 200000)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL,
        help="PostgreSQL database to create, use and drop (its name must contain 'bench')",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=names,
        metavar="NAME",
        help=f"run only this scenario (repeatable): {', '.join(names)}",
    )
    parser.add_argument("--keep-db", action="store_true", help="don't drop the database")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.warmup < 0 or args.concurrency < 1 or args.workers < 1:
        parser.error("--duration, --concurrency and --workers must be positive")
    return args


# ---------------------------------------------------------------------------
# PostgreSQL


def _admin_engine(url: URL) -> Engine:
    """An AUTOCOMMIT engine on a maintenance database of the same server."""
    last: Exception | None = None
    for name in ("postgres", "test", "template1"):
        engine = create_engine(
            url.set(database=name),
            isolation_level="AUTOCOMMIT",
            connect_args={"connect_timeout": 3},
        )
        try:
            with engine.connect():
                return engine
        except OperationalError as exc:
            engine.dispose()
            last = exc
            # "database does not exist": try the next name; anything else is the server.
            if "does not exist" not in str(exc):
                break
    raise OperationalError("connect", {}, last or Exception("no maintenance database"))


def _start_local_postgres(port: int) -> bool:
    """Best effort for a local Debian-style cluster that is installed but stopped."""
    ready = ["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)]
    if shutil.which("pg_isready") and subprocess.run(ready).returncode == 0:
        return False
    if not shutil.which("pg_ctlcluster") or not Path("/etc/postgresql").is_dir():
        return False
    started = False
    for version in sorted(os.listdir("/etc/postgresql")):
        cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"]
        print(f"PostgreSQL is not answering; trying: {shlex.join(cmd)}", file=sys.stderr)
        started |= subprocess.run(cmd).returncode == 0
    return started


def admin_engine(url: URL) -> Engine:
    try:
        return _admin_engine(url)
    except OperationalError as first:
        local = url.host in (None, "", "127.0.0.1", "localhost")
        if local and _start_local_postgres(url.port or 5432):
            for _ in range(20):
                time.sleep(0.5)
                with contextlib.suppress(OperationalError):
                    return _admin_engine(url)
        raise BenchError(
            f"PostgreSQL is not reachable at {url.render_as_string(hide_password=True)}:\n"
            f"  {str(first.orig or first).strip().splitlines()[0]}\n"
            "The bench needs PostgreSQL: start it, or point --database-url / "
            "BENCH_DATABASE_URL at one (postgresql+psycopg://user@host:port/aftersales_bench)."
        ) from None


def recreate_database(admin: Engine, name: str) -> None:
    quoted = admin.dialect.identifier_preparer.quote(name)
    with admin.connect() as connection:
        # FORCE: a previous run killed half-way may have left connections behind.
        connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {quoted}"))


def drop_database(admin: Engine, name: str) -> None:
    quoted = admin.dialect.identifier_preparer.quote(name)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))


def seed_storefront(database_url: str) -> dict[str, str]:
    """A storefront with an API key, and staff (an admin's token, a technician) for the
    transition scenarios; returns the plaintext credentials and ids."""
    from sqlalchemy.orm import Session

    from service.core.auth import issue_staff_token
    from service.core.db import make_engine
    from service.staff.models import StaffRole, StaffUser
    from service.storefronts.keys import create_storefront, issue_key

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            storefront = create_storefront(
                session, "Bench Gadgets", "bench-gadgets", case_prefix="BEN"
            )
            _api_key, key = issue_key(session, storefront, label="bench")
            # Staff rows written directly: no password is ever used here.
            admin = StaffUser(
                email="admin@bench.example",
                name="Bench Admin",
                role=StaffRole.admin,
                password_hash="-",
            )
            technician = StaffUser(
                email="tech@bench.example",
                name="Bench Tech",
                role=StaffRole.technician,
                password_hash="-",
            )
            session.add_all([admin, technician])
            token = issue_staff_token(session, admin)
            session.commit()
            return {"api_key": key, "staff_token": token, "technician_id": str(technician.id)}
    finally:
        engine.dispose()


def redis_url_if_available() -> str | None:
    """The bench's Redis database if a server answers, else None (the API then embeds one)."""
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        client = Redis.from_url(BENCH_REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
        client.flushdb()
        client.close()
        return BENCH_REDIS_URL
    except (RedisError, OSError):
        return None


def flush_redis(url: str | None) -> None:
    if url is None:
        return
    from redis import Redis
    from redis.exceptions import RedisError

    with contextlib.suppress(RedisError, OSError):
        client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        client.flushdb()
        client.close()


# ---------------------------------------------------------------------------
# gunicorn servers


@dataclass
class Server:
    name: str
    app: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def gunicorn_command(app: str, port: int, workers: int, log: Path) -> list[str]:
    """The one command line both servers use, so their settings cannot drift apart."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        # No access log (gunicorn's default, stated): logging every request costs time.
        "--error-logfile",
        str(log),
        "--log-level",
        "warning",
        "--timeout",
        "60",
        app,
    ]


BENCH_BUDGETS = (
    "RATE_LIMIT_KEY_READ_PER_MINUTE",
    "RATE_LIMIT_KEY_WRITE_PER_MINUTE",
    "RATE_LIMIT_STAFF_READ_PER_MINUTE",
    "RATE_LIMIT_STAFF_WRITE_PER_MINUTE",
)


def start_server(name: str, app: str, workers: int, env: dict[str, str], tmp: Path) -> Server:
    port = free_port()
    log = tmp / f"{name}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            gunicorn_command(app, port, workers, log),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            # Own session: Ctrl-C in the terminal reaches us, and we stop gunicorn in order.
            start_new_session=True,
        )
    return Server(name, app, port, process, log)


def wait_ready(server: Server, workers: int, timeout: float = 60.0) -> None:
    """Until /healthz answers 200 a few times (each hit may land on another worker)."""
    deadline = time.monotonic() + timeout
    successes = 0
    last = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(
                f"{server.name} server ({server.app}) exited with {server.process.returncode}:\n"
                f"{server.log_tail()}"
            )
        try:
            status, body = http_request(server.port, Request("GET", "/healthz"), timeout=5)
            last = f"{status} {body[:200]!r}"
            successes = successes + 1 if status == 200 else 0
            if successes >= 2 * workers:
                return
        except OSError as exc:
            last = repr(exc)
        time.sleep(0.1)
    raise BenchError(f"{server.name} server did not become ready: {last}\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        # SIGTERM: gunicorn's graceful stop; workers finish their request and exit.
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=5)


def http_request(port: int, request: Request, timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(request.method, request.path, body=request.body, headers=dict(request.headers))
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class HttpSeeder:
    """The `Seeder` prepare hooks use: one request at a time, failing loudly."""

    def __init__(self, servers: dict[str, Server]) -> None:
        self.servers = servers

    def send(self, target: str, request: Request) -> Any:
        status, body = http_request(self.servers[target].port, request)
        if not 200 <= status < 300:
            raise BenchError(
                f"set-up request {request.method} {request.path} to {target} got {status}:\n"
                f"{body[:1000].decode(errors='replace')}"
            )
        return json.loads(body) if body else None


# ---------------------------------------------------------------------------
# Running and reporting


def selected(only: list[str] | None) -> list[tuple[Scenario, Scenario | None]]:
    """(baseline, api scenario or None) pairs, in declaration order."""
    wanted = set(only or BY_NAME)
    pairs: list[tuple[Scenario, Scenario | None]] = [
        (BY_NAME[s.baseline], s) for s in SCENARIOS if s.name in wanted and s.baseline
    ]
    paired = {base.name for base, _ in pairs}
    if only:
        # A baseline asked for by name alone runs alone.
        pairs += [(b, None) for b in BASELINES if b.name in wanted and b.name not in paired]
    return pairs


@dataclass
class RunSettings:
    """The load shape shared by every run of one bench."""

    duration: float
    warmup: float
    concurrency: int
    processes: int
    max_requests: int
    #: The bench's database name, to tell its PostgreSQL backends from others'.
    database: str


def run_scenario(
    scenario: Scenario,
    servers: dict[str, Server],
    ctx: Context,
    settings: RunSettings,
) -> LoadResult:
    ctx.nonce += 1
    print(f"  {scenario.name:<14} ({scenario.target}) ...", end="", flush=True)
    roots = [server.process.pid for server in servers.values()]
    before = cpu.sample(time.monotonic(), roots, settings.database)
    result = run_load(
        servers[scenario.target].port,
        scenario.name,
        replace(ctx, data=dict(ctx.data)),
        duration=settings.duration,
        warmup=settings.warmup,
        concurrency=settings.concurrency,
        processes=settings.processes,
        max_requests=settings.max_requests,
    )
    after = cpu.sample(time.monotonic(), roots, settings.database)
    result.other_cpu = cpu.other_share(before, after)
    flag = f"  ERRORS: {result.error_count}" if result.error_count else ""
    if result.other_cpu is not None and result.other_cpu > BUSY_MACHINE:
        flag += f"  (other work used {result.other_cpu:.0%} of the CPU)"
    print(
        f" {result.rps:8.1f} req/s  p50 {result.percentile(50):7.2f} ms"
        f"  p95 {result.percentile(95):7.2f} ms{flag}"
    )
    return result


def _ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def compare(api: LoadResult, before: LoadResult, after: LoadResult) -> dict[str, Any]:
    """The scenario against its baseline pooled from the runs right before and after it,
    so slow drift in the machine's speed affects both sides alike."""
    base = LoadResult.pooled([before, after])
    drift = _ratio(after.rps - before.rps, base.rps)
    shares = [r.other_cpu for r in (before, api, after) if r.other_cpu is not None]
    other_cpu = max(shares, default=None)
    return {
        "scenario": api.scenario,
        "rps": rounded(api.rps, 1),
        "p50_ms": rounded(api.percentile(50)),
        "p95_ms": rounded(api.percentile(95)),
        "baseline": base.scenario,
        "baseline_rps": rounded(base.rps, 1),
        "baseline_p50_ms": rounded(base.percentile(50)),
        "baseline_p95_ms": rounded(base.percentile(95)),
        "throughput_ratio": rounded(_ratio(api.rps, base.rps), 3),
        "p95_ratio": rounded(_ratio(api.percentile(95), base.percentile(95)), 3),
        "baseline_rps_before_after": [rounded(before.rps, 1), rounded(after.rps, 1)],
        "baseline_drift": rounded(drift, 3),
        "other_cpu_share": None if other_cpu is None else round(other_cpu, 3),
        "noisy": (not math.isnan(drift) and abs(drift) > NOISY_DRIFT)
        or (other_cpu is not None and other_cpu > BUSY_MACHINE),
        "errors": api.error_count,
        "baseline_errors": base.error_count,
    }


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None or math.isnan(value) else format(value, spec)


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (readable in a terminal too, and pasted as is into RESULTS.md)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def comparison_table(comparisons: list[dict[str, Any]]) -> str:
    headers = [
        "scenario",
        "req/s",
        "p95 ms",
        "baseline",
        "baseline req/s",
        "baseline p95 ms",
        "throughput ratio (api/baseline)",
        "p95 ratio",
        "baseline drift",
        "notes",
    ]
    rows = []
    for c in comparisons:
        notes = []
        if c["errors"] or c["baseline_errors"]:
            notes.append(f"ERRORS {c['errors']} api / {c['baseline_errors']} baseline")
        if c["noisy"]:
            share = c["other_cpu_share"]
            busy = f", other work used up to {share:.0%} CPU" if share else ""
            notes.append(f"NOISY (baseline drift {c['baseline_drift']:+.0%}{busy})")
        rows.append(
            [
                c["scenario"],
                _fmt(c["rps"], ".1f"),
                _fmt(c["p95_ms"], ".2f"),
                c["baseline"],
                _fmt(c["baseline_rps"], ".1f"),
                _fmt(c["baseline_p95_ms"], ".2f"),
                _fmt(c["throughput_ratio"], ".3f"),
                _fmt(c["p95_ratio"], ".2f"),
                _fmt(c["baseline_drift"], "+.0%"),
                "; ".join(notes),
            ]
        )
    return format_table(headers, rows)


def runs_table(results: list[LoadResult]) -> str:
    headers = [
        "run",
        "target",
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "other CPU",
    ]
    rows = [
        [
            r.scenario,
            r.target,
            str(r.requests),
            str(r.error_count) + (" <--" if r.error_count else ""),
            _fmt(r.rps, ".1f"),
            _fmt(r.percentile(50), ".2f"),
            _fmt(r.percentile(95), ".2f"),
            _fmt(r.percentile(99), ".2f"),
            _fmt(r.other_cpu, ".0%"),
        ]
        for r in results
    ]
    return format_table(headers, rows)


#: The memory figure is read once the API has served at least this many requests.
MEMORY_AFTER_REQUESTS = 2000


def web_memory(
    servers: dict[str, Server], results: list[LoadResult], ctx: Context
) -> dict[str, Any]:
    """RSS of every gunicorn worker, once the API has served MEMORY_AFTER_REQUESTS
    requests (the measured runs count; a short top-up of reads and creates makes up
    the rest), so the figure includes what the app grows to in use."""
    served = sum(r.requests for r in results if r.target == "api")
    mix = [BY_NAME[name] for name in ("get_case", "list_cases", "create_case") if name in BY_NAME]
    seq = 0
    while served < MEMORY_AFTER_REQUESTS and mix and ctx.data.get("case_ids"):
        http_request(servers["api"].port, mix[seq % len(mix)].request(ctx, 10**6 + seq))
        seq, served = seq + 1, served + 1

    def workers(name: str) -> list[float]:
        if name not in servers:
            return []
        return sorted(
            round(memory.rss_mb(pid) or 0, 1) for pid in memory.children(servers[name].process.pid)
        )

    return {
        "api_requests": served,
        "api_worker_rss_mb": workers("api"),
        "baseline_worker_rss_mb": workers("baseline"),
    }


def machine_info(admin: Engine) -> dict[str, Any]:
    with admin.connect() as connection:
        server_version = connection.execute(text("SHOW server_version")).scalar_one()
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgresql": server_version,
    }


def command_line() -> str:
    return shlex.join(["python", "-m", "bench.run", *sys.argv[1:]])


# ---------------------------------------------------------------------------
# Main


def _raise_keyboard_interrupt(_signum: int, _frame: FrameType | None) -> None:
    # SIGTERM (e.g. a CI timeout) tears down like Ctrl-C does.
    raise KeyboardInterrupt


@contextlib.contextmanager
def bench_database(url: URL, keep: bool) -> Iterator[Engine]:
    admin = admin_engine(url)
    name = url.database or ""
    try:
        recreate_database(admin, name)
        yield admin
    finally:
        if not keep:
            with contextlib.suppress(OperationalError):
                drop_database(admin, name)
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    # Ctrl-C must tear down even when started with SIGINT ignored (a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return _main(args)
    except BenchError as exc:
        print(f"\nbench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        dropped = "" if args.keep_db else " and database dropped"
        print(f"\nbench: interrupted; servers stopped{dropped}.", file=sys.stderr)
        return 130


def _main(args: argparse.Namespace) -> int:
    url = make_url(args.database_url)
    if url.get_backend_name() != "postgresql":
        raise BenchError(f"the bench runs on PostgreSQL only, not {url.get_backend_name()}")
    if "bench" not in (url.database or ""):
        # It drops and recreates the database: refuse anything not obviously ours.
        raise BenchError(f"refusing to drop database {url.database!r}: its name lacks 'bench'")
    database_url = url.render_as_string(hide_password=False)
    settings = RunSettings(
        args.duration,
        args.warmup,
        args.concurrency,
        args.load_processes,
        args.max_requests,
        url.database or "",
    )
    pairs = selected(args.only)
    servers: dict[str, Server] = {}
    redis_url = redis_url_if_available()
    started = time.monotonic()
    # Other work on the machine skews every figure; say so up front.
    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        print(
            f"bench: warning: load average {load_before:.2f} before starting; "
            "other work on the machine will skew the results",
            file=sys.stderr,
        )

    with (
        tempfile.TemporaryDirectory(prefix="aftersales-bench-") as tmp_name,
        bench_database(url, args.keep_db) as admin,
    ):
        tmp = Path(tmp_name)
        try:
            print(f"bench: database {url.database} on {url.host}:{url.port or 5432}; migrating")
            from service.core import migrate

            migrate.upgrade(database_url)
            credentials = seed_storefront(database_url)

            common = {**os.environ, "DATABASE_URL": database_url, "SQL_ECHO": "0"}
            api_env = {**common, "SECRET_KEY": "bench", "INSTANCE_DIR": str(tmp / "instance")}
            # The limiter runs (its cost is part of every request) with budgets no
            # benchmark spends: one API key here sends thousands of requests a minute.
            api_env |= {name: str(10**9) for name in BENCH_BUDGETS}
            api_env.pop("REDIS_URL", None)
            if redis_url:
                api_env["REDIS_URL"] = redis_url
            servers["api"] = start_server("api", "wsgi:app", args.workers, api_env, tmp)
            servers["baseline"] = start_server(
                "baseline", "bench.baseline:app", args.workers, common, tmp
            )
            for server in servers.values():
                wait_ready(server, args.workers)
            print(
                f"bench: gunicorn -w {args.workers} (sync) for api and baseline; "
                f"redis {redis_url or 'embedded'}; {args.concurrency} in flight from "
                f"{min(args.load_processes, args.concurrency)} load processes; "
                f"{args.warmup:g} s warm-up + {args.duration:g} s per run"
            )

            ctx = Context(
                api_key=credentials["api_key"],
                today=date.today(),
                staff_token=credentials["staff_token"],
                technician_id=credentials["technician_id"],
            )
            seeder = HttpSeeder(servers)
            results: list[LoadResult] = []
            comparisons: list[dict[str, Any]] = []

            # Every prepare hook first: set-up never runs between measured runs, and it
            # warms both servers (imports, connection pools, caches) before the first.
            for scenario in dict.fromkeys(s for pair in pairs for s in pair if s is not None):
                if scenario.prepare is not None:
                    ctx.nonce += 1
                    scenario.prepare(seeder, ctx)

            def run(scenario: Scenario) -> LoadResult:
                results.append(run_scenario(scenario, servers, ctx, settings))
                return results[-1]

            for base, scenario in pairs:
                # Baseline, scenario, baseline: the scenario is compared with both runs
                # around it. Consecutive scenarios on one baseline share the run between.
                previous = results[-1] if results else None
                before = previous if previous and previous.scenario == base.name else run(base)
                if scenario is not None:
                    result = run(scenario)
                    comparisons.append(compare(result, before, run(base)))
            memory = web_memory(servers, results, ctx)
            info = machine_info(admin)
        finally:
            for server in servers.values():
                stop_server(server)
            flush_redis(redis_url)

    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command_line(),
        "machine": {**info, "loadavg_1min_before": round(load_before, 2)},
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "concurrency": args.concurrency,
            "gunicorn_workers": args.workers,
            "load_processes": min(args.load_processes, args.concurrency),
            "max_requests": args.max_requests,
            "redis": redis_url or "embedded",
        },
        "comparisons": comparisons,
        "memory": memory,
        "runs": [r.summary() for r in results],
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "latest.json").write_text(json.dumps(report, indent=2) + "\n")

    print()
    if comparisons:
        print(comparison_table(comparisons))
        print()
    print(runs_table(results))
    api_rss = ", ".join(f"{mb} MB" for mb in memory["api_worker_rss_mb"])
    baseline_rss = ", ".join(f"{mb} MB" for mb in memory["baseline_worker_rss_mb"])
    print(
        f"\nRSS per web worker after {memory['api_requests']} API requests: {api_rss}"
        f" (the baseline's workers: {baseline_rss})"
    )
    print(
        f"\n{info['nproc']} CPUs, Python {info['python']}, PostgreSQL {info['postgresql']}; "
        f"{report['elapsed_s']} s; written to {OUT_DIR.relative_to(ROOT) / 'latest.json'}"
    )
    failed = [r for r in results if r.error_count]
    for r in failed:
        print(
            f"\nERRORS in {r.scenario}: {dict(r.errors)}\n  first: {r.first_error}",
            file=sys.stderr,
        )
    capped = [r.scenario for r in results if r.capped]
    if capped:
        print(f"note: --max-requests ended {', '.join(capped)} early", file=sys.stderr)
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
