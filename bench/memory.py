"""Resident memory (RSS) of the bench's processes, read from /proc (Linux)."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def rss_mb(pid: int) -> float | None:
    """The process's resident set in MB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def children(pid: int) -> list[int]:
    """The direct children of `pid` (gunicorn's workers, a worker's work horse)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command may hold spaces and parentheses: the fields follow the last ")".
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry))
    return found


class PeakRss(threading.Thread):
    """Samples a process and its children until stopped; `peak` is the highest RSS one
    process reached (MB), so a forking worker reports its largest work horse or itself."""

    def __init__(self, pid: int, every: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak = 0.0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            for pid in [self.pid, *children(self.pid)]:
                self.peak = max(self.peak, rss_mb(pid) or 0.0)
            self.stopping.wait(self.every)

    def stop(self) -> float:
        self.stopping.set()
        self.join()
        return round(self.peak, 1)
