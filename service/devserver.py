"""`make run`: migrate, seed the demo, then serve web + worker (with scheduler) together.

1. Settings are checked first: a bad one stops here, naming the variable.
2. With REDIS_URL unset the embedded Redis is started here and handed to the web and
   worker processes as a unix-socket URL, so all of them share one server.
3. The web process (Flask's development server) and the worker start in their own
   process groups; "up" is printed only once `/healthz` answers.
4. SIGTERM and Ctrl-C (SIGINT) are one path: both children get SIGTERM (the worker
   finishes its job; a child that has not stopped within 30 s is killed), then the
   embedded Redis is shut down, and the exit status is 0. A child that dies on its
   own stops the rest too, with status 1.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from types import FrameType

from redis.exceptions import RedisError

from service import create_app
from service.cli import seed_demo
from service.core import migrate
from service.core.config import ConfigError
from service.core.redis_conn import connect

STARTUP_SECONDS = 120
STOP_SECONDS = 30


class Stop(Exception):
    """SIGTERM or SIGINT arrived."""


def _stop(signum: int, _frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _wait_until_up(url: str, children: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not _answers(url):
        if any(child.poll() is not None for child in children):
            raise RuntimeError("a process exited while starting; see its output above")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {STARTUP_SECONDS} s")
        time.sleep(0.3)


def _terminate(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def _shutdown_embedded(embedded: object) -> None:
    pid = embedded.pid  # type: ignore[attr-defined]
    # The server closes the connection as it goes.
    with contextlib.suppress(RedisError, OSError):
        embedded.shutdown(save=True, now=True, force=True)  # type: ignore[attr-defined]
    deadline = time.monotonic() + STOP_SECONDS
    while pid and time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    os.environ.setdefault("APP_ENV", "development")
    try:
        app = create_app()
    except ConfigError as exc:
        print(f"aftersales: {exc}", file=sys.stderr)
        return 2
    settings = app.config["SETTINGS"]
    port = os.environ.get("PORT", "5000")
    env = dict(os.environ)
    children: list[subprocess.Popen] = []
    embedded = None
    status = 0
    try:
        migrate.upgrade(settings.database_url)
        with app.app_context():
            print("\n".join(seed_demo()), flush=True)
        if not settings.redis_url:
            embedded = connect(None, str(settings.instance_dir / "redis.db"))
            env["REDIS_URL"] = f"unix://{embedded.socket_file}"
            print(f"embedded Redis: pid {embedded.pid}, {env['REDIS_URL']}", flush=True)
        flask = [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--no-reload"]
        for command in ([sys.executable, "worker.py"], [*flask, "--port", port]):
            children.append(subprocess.Popen(command, env=env, start_new_session=True))
        _wait_until_up(f"http://127.0.0.1:{port}/healthz", children)
        print(
            f"\nAftersales is up: workspace http://127.0.0.1:{port}/login (the staff login"
            f" above)  API http://127.0.0.1:{port}/api/v1/docs  health /healthz"
            "  (Ctrl-C to stop)\n",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("aftersales: a process exited; stopping the others", file=sys.stderr)
        status = 1
    except Stop as stop:
        print(f"\naftersales: {stop}, stopping web, worker and Redis", flush=True)
    except RuntimeError as exc:
        print(f"aftersales: {exc}", file=sys.stderr)
        status = 1
    finally:
        # A second signal while stopping must not cut the clean-up short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _terminate(children)
        if embedded is not None:
            _shutdown_embedded(embedded)
    return status


if __name__ == "__main__":
    sys.exit(main())
