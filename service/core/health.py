"""`/healthz`: is this process able to serve? Checks the database and Redis.

`/healthz?deep=1` also checks the service's timed work: a periodic job whose last tick
ran longer ago than `SCHEDULER_STALL_PERIODS` periods (or never) makes it 503, naming
the job (`service.core.scheduler.stalled`). Load balancers use the plain check (a
stalled scheduler is not this web process's fault); monitoring uses the deep one.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from service.core import db
from service.core.redis_conn import redis
from service.core.scheduler import last_ticks, stalled

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    checks: dict[str, Any] = {}
    try:
        db.session().execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        redis().ping()
        checks["redis"] = "ok"
    except (RedisError, OSError) as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    if request.args.get("deep") not in (None, "", "0") and checks["database"] == "ok":
        healthy = _scheduler(checks) and healthy
    return {"status": "ok" if healthy else "unavailable", **checks}, 200 if healthy else 503


def _scheduler(checks: dict[str, Any]) -> bool:
    try:
        session = db.session()
        late = stalled(session)
        ticks = last_ticks(session)
    except SQLAlchemyError as exc:
        checks["scheduler"] = f"error: {type(exc).__name__}"
        return False
    checks["scheduler"] = f"stalled: {', '.join(sorted(late))}" if late else "ok"
    checks["last_ticks"] = {
        name: ran.isoformat() if ran else None for name, ran in sorted(ticks.items())
    }
    return not late
