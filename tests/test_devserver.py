"""`make run`'s process (service.devserver): "up" only once the server answers, and a
SIGTERM or a Ctrl-C (SIGINT) stops web, worker and the embedded Redis, with exit
status 0."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import psutil
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _lines(stream, into: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        into.put(line)
    into.put(None)


def _read_until(lines: queue.Queue, pattern: str, seen: list[str], timeout: float = 180) -> str:
    while True:
        line = lines.get(timeout=timeout)
        assert line is not None, "devserver exited:\n" + "".join(seen)
        seen.append(line)
        if re.search(pattern, line):
            return line


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_stop_signal_stops_web_worker_and_embedded_redis_and_exits_0(tmp_path, signum):
    port = free_port()
    env = {**os.environ, "INSTANCE_DIR": str(tmp_path), "PORT": str(port)}
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "service.devserver"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(server.stdout, lines), daemon=True).start()
    seen: list[str] = []
    try:
        redis_line = _read_until(lines, r"embedded Redis: pid \d+", seen)
        redis_pid = int(re.search(r"pid (\d+)", redis_line).group(1))
        _read_until(lines, r"Aftersales is up", seen)
        # "up" means answering, not merely started.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
            assert answer.status == 200
        children = [p.pid for p in psutil.Process(server.pid).children(recursive=True)]
        assert len(children) >= 2 and alive(redis_pid)

        server.send_signal(signum)
        assert server.wait(timeout=90) == 0, "".join(seen)
    finally:
        if server.poll() is None:
            server.kill()
    assert [pid for pid in [*children, redis_pid] if alive(pid)] == []
