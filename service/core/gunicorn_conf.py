"""gunicorn's configuration for production: `gunicorn -c service/core/gunicorn_conf.py`.

It lives in the package (the top-level layout is fixed) and is plain gunicorn settings:
- `bind` from BIND, else `0.0.0.0:$PORT` (PORT default 8000); `workers` from
  WEB_CONCURRENCY (gunicorn's own variable; default 2 x CPUs + 1).
- Sync workers: requests are short and database-bound; the database pool is per worker
  and the app is loaded after the fork (`preload_app = False`), so no connection or
  Redis socket is ever shared between processes.
- Metrics across workers: PROMETHEUS_MULTIPROC_DIR is set (a fresh directory unless
  given) before any worker imports prometheus-client, emptied at start, and a dead
  worker's live gauges are dropped (`child_exit`), so /metrics adds up every worker.
- Logs: no access log (the app writes one line per request, with its request id and
  route, masked); gunicorn's own lines go through the app's handler to stderr.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from pathlib import Path
from typing import Any

wsgi_app = "wsgi:app"
bind = os.environ.get("BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
preload_app = False
# A worker stuck longer than this is killed and replaced; graceful stops wait as long.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so slow leaks never accumulate.
max_requests = 2000
max_requests_jitter = 200
accesslog = None
# gunicorn's own lines (master and worker life) through the app's handler: the same
# format (LOG_FORMAT, else json outside development) and the same masking.
_log_format = os.environ.get("LOG_FORMAT") or (
    "text" if os.environ.get("APP_ENV") == "development" else "json"
)
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"app": {"()": "service.core.logging.handler", "log_format": _log_format.lower()}},
    # The root logger is the app's to set up (service.core.logging), in each worker.
    "root": {"level": "INFO", "handlers": []},
    "loggers": {
        "gunicorn.error": {"handlers": ["app"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}
# Stopped and reloaded by signals (systemd, make); no control socket in $HOME shared
# by every gunicorn of the user.
control_socket_disable = True
# Trust X-Forwarded-* only from a proxy on this host (set FORWARDED_ALLOW_IPS otherwise).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

_multiproc = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(
    prefix="aftersales-prom-"
)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _multiproc


def on_starting(_server: Any) -> None:
    # Files of a previous run would be added to this run's counters.
    path = Path(_multiproc)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # only prometheus-client's files, whatever the dir
        stale.unlink()


def child_exit(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
