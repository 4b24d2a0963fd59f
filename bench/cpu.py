"""How much CPU went to work that is not the bench's, during a run (Linux `/proc`).

On a shared machine a test suite or a build running at the same time takes CPU from the
servers and skews a comparison; the runner reports this figure per run and flags the
comparisons it touched, so a noisy result is not mistaken for a regression.

"The bench's" CPU is: this process and its reaped children (the load generator), the
gunicorn process trees, the PostgreSQL backends connected to the bench database, and
PostgreSQL's own background processes (WAL writer, checkpointer, autovacuum: the bench
causes most of their work). Backends of other databases — a test suite on the same
server — are someone else's. The rest is the machine's total process time minus the
bench's. Elsewhere than Linux it is unknown.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


@dataclass(frozen=True)
class Sample:
    at: float  # time.monotonic()
    total_busy: int  # clock ticks, all CPUs
    bench: int  # clock ticks of the bench's processes


def _stat(pid: str) -> tuple[str, int, int, int] | None:
    """(command, parent pid, own ticks, reaped children's ticks) of one process."""
    try:
        raw = (_PROC / pid / "stat").read_text()
    except OSError:  # exited since the directory listing
        return None
    # The command is in parentheses and may itself contain spaces and parentheses.
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    ppid = int(fields[1])
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return comm, ppid, utime + stime, cutime + cstime


def _is_other_backend(pid: int, database: str) -> bool:
    """Whether a postgres process serves a client of another database.

    PostgreSQL titles a client backend `postgres: 15/main: USER DATABASE HOST(PORT) STATE`;
    background processes have other titles and count as the bench's.
    """
    try:
        title = (_PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, UnicodeDecodeError):
        return False
    words = title.rsplit(": ", 1)[-1].split()
    is_client = len(words) >= 3 and ("(" in words[2] or words[2] == "[local]")
    return is_client and words[1] != database


def _total_busy() -> int:
    values = [int(v) for v in (_PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system = values[:3]
    # Process time only. Interrupt and softirq time (loopback TCP is mostly softirq) is
    # charged to no process, so it could not be split between the bench and others; guest
    # time is already inside user; steal is the hypervisor's.
    return user + nice + system


def sample(at: float, roots: list[int], database: str) -> Sample | None:
    """A snapshot; `roots` are the pids whose whole process trees belong to the bench,
    `database` the bench's PostgreSQL database."""
    if not (_PROC / "stat").exists():
        return None
    procs = {}
    for entry in os.listdir(_PROC):
        if entry.isdigit() and (stat := _stat(entry)) is not None:
            procs[int(entry)] = stat
    children: dict[int, list[int]] = {}
    for pid, (_comm, ppid, _own, _reaped) in procs.items():
        children.setdefault(ppid, []).append(pid)
    bench = 0
    me = procs.get(os.getpid())
    if me is not None:
        bench += me[2] + me[3]
    stack = [pid for pid in roots if pid in procs]
    seen = set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        bench += procs[pid][2]
        stack.extend(children.get(pid, []))
    bench += sum(
        own
        for pid, (comm, _ppid, own, _reaped) in procs.items()
        if comm == "postgres" and not _is_other_backend(pid, database)
    )
    return Sample(at=at, total_busy=_total_busy(), bench=bench)


def other_share(start: Sample | None, end: Sample | None) -> float | None:
    """The share of the machine's CPU capacity (0..1) used by others between two samples."""
    if start is None or end is None or end.at <= start.at:
        return None
    ticks = os.sysconf("SC_CLK_TCK") * (end.at - start.at) * (os.cpu_count() or 1)
    other = (end.total_busy - start.total_busy) - (end.bench - start.bench)
    return max(0.0, other / ticks)
