"""The load generator: closed-loop HTTP clients in processes of their own.

`run_load` spawns `processes` fresh Python processes (spawn, not fork: nothing of the
runner's engines, sockets or threads leaks into them), each running its share of
`concurrency` threads. Every thread keeps exactly one request in flight on its own
`http.client.HTTPConnection` to 127.0.0.1, so the load is bounded by construction.

Timing: all processes start together after a barrier; requests started during the first
`warmup` seconds are sent but not counted (workers are still importing, pools filling),
then requests are counted for `duration` seconds. A run also stops after `max_requests`
requests, a safety cap for a server far faster than expected.

Only 2xx responses count towards throughput and latency; anything else (non-2xx, or a
connection that failed) is an error, counted by kind, with the first one kept verbatim.
"""

from __future__ import annotations

import http.client
import math
import multiprocessing
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from bench.scenarios import BY_NAME, Context, Request, RequestFactory

#: Seconds a single request may take before it counts as an error.
REQUEST_TIMEOUT = 30.0
#: Errors that mean "the server closed a kept-alive connection before we reused it".
_STALE_CONNECTION = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def rounded(value: float, digits: int = 2) -> float | None:
    """For JSON: NaN (no successful request) becomes null, which JSON can express."""
    return None if math.isnan(value) else round(value, digits)


@dataclass
class LoadResult:
    scenario: str
    target: str
    concurrency: int
    #: Measured (post-warm-up) successful requests and their latencies in ms.
    latencies_ms: list[float] = field(default_factory=list)
    #: Seconds from the end of warm-up to the last measured response.
    seconds: float = 0.0
    warmup_requests: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    first_error: str | None = None
    #: Requests retried once on a fresh connection after a stale kept-alive one.
    reconnects: int = 0
    #: True when `max_requests` ended the run before `duration` did.
    capped: bool = False
    #: Share of the machine's CPU used by other work during the run (`bench.cpu`).
    other_cpu: float | None = None

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the successful requests' latencies, in ms."""
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    @classmethod
    def pooled(cls, runs: list[LoadResult]) -> LoadResult:
        """Several runs of one scenario as one: requests over total measured seconds,
        percentiles over all their latencies."""
        first = runs[0]
        result = cls(scenario=first.scenario, target=first.target, concurrency=first.concurrency)
        for run in runs:
            result.latencies_ms.extend(run.latencies_ms)
            result.seconds += run.seconds
            result.warmup_requests += run.warmup_requests
            result.errors.update(run.errors)
            result.first_error = result.first_error or run.first_error
            result.reconnects += run.reconnects
            result.capped = result.capped or run.capped
        shares = [run.other_cpu for run in runs if run.other_cpu is not None]
        result.other_cpu = max(shares, default=None)
        return result

    def summary(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "target": self.target,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rps": rounded(self.rps, 1),
            "p50_ms": rounded(self.percentile(50)),
            "p95_ms": rounded(self.percentile(95)),
            "p99_ms": rounded(self.percentile(99)),
            "max_ms": rounded(max(self.latencies_ms, default=math.nan)),
            "warmup_requests": self.warmup_requests,
            "errors": self.error_count,
            "errors_by_kind": dict(self.errors),
            "first_error": self.first_error,
            "reconnects": self.reconnects,
            "capped": self.capped,
            "other_cpu_share": None if self.other_cpu is None else round(self.other_cpu, 3),
        }


@dataclass(frozen=True)
class _Plan:
    """What one load process needs; pickled into it."""

    port: int
    scenario: str
    ctx: Context
    warmup: float
    duration: float
    #: Global index of this process's first client thread, and its thread count.
    first_worker: int
    threads: int
    #: Client threads over all processes (the stride of each thread's `seq`).
    concurrency: int
    max_requests: int


@dataclass
class _Partial:
    """One process's measurements, sent back to the runner."""

    latencies_ms: list[float] = field(default_factory=list)
    warmup_requests: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    first_error: str | None = None
    reconnects: int = 0
    capped: bool = False
    measure_from: float = 0.0
    last_end: float = 0.0
    #: A traceback when the process or a client thread failed (a bug, not a bad response).
    crash: str | None = None


def run_load(
    port: int,
    scenario: str,
    ctx: Context,
    *,
    duration: float,
    warmup: float,
    concurrency: int,
    processes: int,
    max_requests: int,
) -> LoadResult:
    """Drive `scenario` against 127.0.0.1:`port` and return its measurements."""
    processes = max(1, min(processes, concurrency))
    mp = multiprocessing.get_context("spawn")
    barrier = mp.Barrier(processes + 1)
    results = mp.Queue()
    children = []
    first = 0
    for index in range(processes):
        threads = concurrency // processes + (index < concurrency % processes)
        plan = _Plan(
            port=port,
            scenario=scenario,
            ctx=ctx,
            warmup=warmup,
            duration=duration,
            first_worker=first,
            threads=threads,
            concurrency=concurrency,
            # Split the cap so the processes together never exceed it.
            max_requests=max(1, max_requests // processes),
        )
        first += threads
        child = mp.Process(target=_process_main, args=(plan, barrier, results), daemon=True)
        child.start()
        children.append(child)
    try:
        # Spawned processes take a moment to import; the clock starts when all are ready.
        try:
            barrier.wait(timeout=60)
        except threading.BrokenBarrierError:
            # A child that failed while starting aborts the barrier; show its traceback.
            crash = results.get(timeout=5).crash if not results.empty() else None
            raise RuntimeError(f"load generator did not start for {scenario}:\n{crash}") from None
        deadline = time.monotonic() + warmup + duration + REQUEST_TIMEOUT + 30
        # Read before joining: a child blocks on exit until its queued result is consumed.
        partials: list[_Partial] = []
        for _ in children:
            partials.append(results.get(timeout=max(1.0, deadline - time.monotonic())))
        for child in children:
            child.join(timeout=10)
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
                child.join(timeout=5)
    for part in partials:
        if part.crash:
            raise RuntimeError(f"load generator failed for {scenario}:\n{part.crash}")
    return _merge(scenario, concurrency, partials)


def _merge(scenario: str, concurrency: int, partials: list[_Partial]) -> LoadResult:
    result = LoadResult(scenario=scenario, target=BY_NAME[scenario].target, concurrency=concurrency)
    for part in partials:
        result.latencies_ms.extend(part.latencies_ms)
        result.warmup_requests += part.warmup_requests
        result.errors.update(part.errors)
        result.first_error = result.first_error or part.first_error
        result.reconnects += part.reconnects
        result.capped = result.capped or part.capped
    # CLOCK_MONOTONIC is system-wide on Linux, so the processes' clocks compare.
    start = min(part.measure_from for part in partials)
    end = max(part.last_end for part in partials)
    result.seconds = max(0.0, end - start)
    return result


def _process_main(plan: _Plan, barrier: Barrier, results: Queue[_Partial]) -> None:
    started = False
    try:
        factory = BY_NAME[plan.scenario].request
        partial = _Partial()
        lock = threading.Lock()
        budget = [plan.max_requests]

        def take() -> bool:
            with lock:
                if budget[0] <= 0:
                    return False
                budget[0] -= 1
                return True

        barrier.wait(timeout=60)
        started = True
        start = time.monotonic()
        partial.measure_from = start + plan.warmup
        partial.last_end = partial.measure_from
        end = partial.measure_from + plan.duration
        threads = [
            threading.Thread(
                target=_client,
                args=(plan, factory, plan.first_worker + i, start, end, take, partial, lock),
                daemon=True,
            )
            for i in range(plan.threads)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results.put(partial)
    except KeyboardInterrupt:
        # Ctrl-C reaches the whole process group; the runner cleans up and reports.
        pass
    except Exception:
        results.put(_Partial(crash=traceback.format_exc()))
        if not started:
            barrier.abort()


def _client(
    plan: _Plan,
    factory: RequestFactory,
    worker: int,
    start: float,
    end: float,
    take: Callable[[], bool],
    partial: _Partial,
    lock: threading.Lock,
) -> None:
    try:
        _client_loop(plan, factory, worker, start, end, take, partial, lock)
    except Exception:
        with lock:
            partial.crash = partial.crash or traceback.format_exc()


def _client_loop(
    plan: _Plan,
    factory: RequestFactory,
    worker: int,
    start: float,
    end: float,
    take: Callable[[], bool],
    partial: _Partial,
    lock: threading.Lock,
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", plan.port, timeout=REQUEST_TIMEOUT)
    measure_from = start + plan.warmup
    # Thread-local tallies, merged once at the end, so the hot loop takes no lock.
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    first_error: str | None = None
    warmup_requests = reconnects = 0
    last_end = measure_from
    seq = worker
    capped = False
    while True:
        began = time.monotonic()
        if began >= end:
            break
        if not take():
            capped = True
            break
        request = factory(plan.ctx, seq)
        seq += plan.concurrency
        t0 = time.perf_counter()
        try:
            status, body, retried = _send(conn, request)
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            errors[type(exc).__name__] += 1
            first_error = first_error or f"{request.method} {request.path}: {exc!r}"
            # Don't spin on a server that refuses connections.
            time.sleep(0.01)
            continue
        latency_ms = (time.perf_counter() - t0) * 1000
        reconnects += retried
        if not 200 <= status < 300:
            errors[f"HTTP {status}"] += 1
            text = body[:500].decode(errors="replace")
            first_error = first_error or f"{request.method} {request.path} -> {status}: {text}"
        elif began < measure_from:
            warmup_requests += 1
        else:
            latencies.append(latency_ms)
            last_end = time.monotonic()
    conn.close()
    with lock:
        partial.latencies_ms.extend(latencies)
        partial.warmup_requests += warmup_requests
        partial.errors.update(errors)
        partial.first_error = partial.first_error or first_error
        partial.reconnects += reconnects
        partial.capped = partial.capped or capped
        partial.last_end = max(partial.last_end, last_end)


def _send(conn: http.client.HTTPConnection, request: Request) -> tuple[int, bytes, bool]:
    """Send on `conn`, retrying once on a fresh connection if a kept-alive one was stale.

    gunicorn's sync workers answer `Connection: close`, and http.client then opens a new
    connection for the next request by itself; the retry only matters for servers that
    keep connections alive and time them out between our requests.
    """
    reused = conn.sock is not None
    try:
        return (*_exchange(conn, request), False)
    except _STALE_CONNECTION:
        conn.close()
        if not reused:
            raise
    return (*_exchange(conn, request), True)


def _exchange(conn: http.client.HTTPConnection, request: Request) -> tuple[int, bytes]:
    conn.request(request.method, request.path, body=request.body, headers=dict(request.headers))
    response = conn.getresponse()
    # Read the whole body: it is part of the work and frees the connection.
    return response.status, response.read()
