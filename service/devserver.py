"""`make run`: migrate, seed the demo, then serve web + worker (with scheduler) together.

With REDIS_URL unset the embedded Redis is started here first and handed to the web
and worker processes as a unix-socket URL, so all of them share one server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from service import create_app
from service.cli import seed_demo
from service.core import migrate


def main() -> None:
    app = create_app()
    settings = app.config["SETTINGS"]
    migrate.upgrade(settings.database_url)
    with app.app_context():
        print("\n".join(seed_demo()), flush=True)

    env = dict(os.environ)
    embedded = None
    if not settings.redis_url:
        from service.core.redis_conn import connect

        embedded = connect(None, str(settings.instance_dir / "redis.db"))
        env["REDIS_URL"] = f"unix://{embedded.socket_file}"

    port = os.environ.get("PORT", "5000")
    worker = subprocess.Popen([sys.executable, "worker.py"], env=env)
    web = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", port, "--no-reload"],
        env=env,
    )
    print(
        f"\nAftersales is up: workspace http://127.0.0.1:{port}/login (the staff login above)"
        f"  API http://127.0.0.1:{port}/api/v1/docs  health /healthz\n",
        flush=True,
    )
    try:
        web.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for process in (web, worker):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (web, worker):
            process.wait(timeout=30)
        if embedded is not None:
            embedded.shutdown()


if __name__ == "__main__":
    main()
