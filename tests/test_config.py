"""Settings: a bad value stops the service at start, naming the variable; every
setting is documented in the README's table."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from service.core.config import PROJECT_ROOT, ConfigError, Settings

BAD_VALUES = [
    ("SMTP_PORT", "5x7", "an integer"),
    ("SMTP_PORT", "0", "at least 1"),
    ("MAX_CONTENT_LENGTH", "1MB", "an integer"),
    ("NOTICE_LEASE_SECONDS", "-5", "at least 1"),
    ("EMAIL_BACKEND", "sendmail", "one of file, smtp"),
    ("SMS_BACKEND", "nexmo", "one of file, twilio"),
    ("SMTP_SECURITY", "ssl", "one of none, starttls, tls"),
    ("LOG_FORMAT", "xml", "one of json, text"),
    ("LOG_LEVEL", "loud", "one of DEBUG"),
    ("APP_ENV", "staging", "one of development, production"),
    ("SQL_ECHO", "maybe", "1 or 0"),
    ("DATABASE_URL", "mysql://db/aftersales", "a PostgreSQL or SQLite URL"),
    ("DATABASE_URL", "not a url", "a database URL"),
    ("REDIS_URL", "localhost:6379", "a URL starting with redis://"),
    ("REDIS_URL", "redis://", "a URL with a host"),
    ("PUBLIC_BASE_URL", "example.com/rma", "a URL starting with http://"),
    ("TWILIO_BASE_URL", "ftp://api.twilio.com", "a URL starting with http://"),
    ("DEFAULT_PHONE_REGION", "XX", "an ISO 3166 region code"),
]


@pytest.mark.parametrize(("variable", "value", "expected"), BAD_VALUES)
def test_a_bad_setting_fails_naming_the_variable(monkeypatch, tmp_path, variable, value, expected):
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError) as raised:
        Settings.from_env()

    assert str(raised.value).startswith(f"{variable}={value!r} is not valid")
    assert expected in str(raised.value)


def test_good_settings_are_parsed_by_their_type(monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    for name, value in {
        "SMTP_PORT": "2525",
        "SQL_ECHO": "true",
        "LOG_LEVEL": "debug",
        "EMAIL_BACKEND": "SMTP",
        "APP_ENV": "development",
        "REDIS_URL": "redis://127.0.0.1:6379/3",
        "DEFAULT_PHONE_REGION": "cn",
        "PUBLIC_BASE_URL": "https://rma.example.com/",
    }.items():
        monkeypatch.setenv(name, value)

    settings = Settings.from_env()

    assert (settings.smtp_port, settings.sql_echo, settings.log_level) == (2525, True, "DEBUG")
    assert settings.email_backend == "smtp"
    assert settings.log_format == "text"  # the development default
    assert settings.default_phone_region == "CN"
    assert settings.public_base_url == "https://rma.example.com"
    assert settings.database_url == f"sqlite:///{tmp_path / 'aftersales.db'}"


def test_log_format_defaults_to_json_outside_development(monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert Settings.from_env().log_format == "json"


@pytest.mark.parametrize("command", [["worker.py", "--burst"], ["-c", "import wsgi"]])
def test_a_process_with_a_bad_setting_stops_at_start_naming_it(tmp_path, command):
    env = {**os.environ, "INSTANCE_DIR": str(tmp_path), "SMTP_PORT": "smtp"}
    done = subprocess.run(
        [sys.executable, *command],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "SMTP_PORT='smtp' is not valid: expected an integer" in done.stderr
    assert "Traceback" not in done.stderr


def _readme_settings() -> list[str]:
    readme = Path(PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Configuration (environment)", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, flags=re.MULTILINE)


def test_every_setting_is_in_the_readme_table_and_the_table_has_no_others():
    documented = _readme_settings()
    # Read by the processes around the app (gunicorn, make run), not by Settings.
    process_level = {"PORT", "WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR"}
    expected = {Settings.env_name(f.name) for f in fields(Settings)} | process_level
    assert len(documented) == len(set(documented)), "a setting is listed twice"
    assert set(documented) == expected
