"""Logs an operator can use: one line per event, tagged, and free of customers' data.

How it works:
1. `configure(settings)` puts one handler on the root logger (stderr), so every library
   (Flask, werkzeug, RQ, SQLAlchemy, gunicorn's app errors) writes through it:
   `LOG_FORMAT=json` gives one JSON object per line (time, level, logger, message,
   request_id / job_id, exc), the default outside development; `text` a readable line.
2. Every record is tagged from context variables: `request_id` inside a request (the
   caller's `X-Request-ID` when it is sane, else a new one, echoed in the response),
   `job_id` inside an RQ job (set by the worker before it forks the work horse).
3. Before anything is written, `MaskingFilter` renders the message with its arguments,
   the traceback and the stack, and masks in that text customer link tokens (`/c/...`),
   API keys and staff tokens, e-mail addresses, phone numbers and SQL parameters.
   Masking the rendered text, not fields, covers exception messages inside tracebacks.
   (The engine also hides SQL parameters from its errors: service.core.db.)
4. Periodic jobs that find nothing to do leave no line: RQ's per-job chatter is dropped
   inside `periodic-*` jobs; the jobs themselves log only when they did something.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
job_id: ContextVar[str | None] = ContextVar("job_id", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
#: A caller's request id is kept only if it looks like one (no spaces, no markup, short).
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\[parameters: .*?\](?=\s|$)", re.DOTALL), "[parameters: masked]"),
    (re.compile(r"/c/[^\s\"'<>]+"), "/c/[token]"),
    (re.compile(r"\b(as[kt]_[0-9a-f]{8})_[\w-]+"), r"\1_[secret]"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    # 8 to 15 digits, optionally with +, spaces, dashes or brackets between them; not
    # part of a longer word (a uuid, a job id) and not a date.
    (
        re.compile(r"(?<![\w+-])(?!\d{4}-\d\d-\d\d)\+?\(?\d(?:[ ()-]{0,2}\d){7,14}(?![\w-])"),
        "[phone]",
    ),
)

#: Our job ids (service.notifications.jobs, service.core.scheduler) and RQ's own.
JOB_ID = re.compile(r"(?:notice|periodic)-[\w-]+|[0-9a-f]{8}-[0-9a-f-]{27}")
#: RQ colours parts of its lines; logs are files, not terminals.
ANSI = re.compile(r"\x1b\[[0-9;]*m")

_plain = logging.Formatter()


def mask(text: str) -> str:
    text = ANSI.sub("", text)
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return text


class MaskingFilter(logging.Filter):
    """Renders and masks message, arguments, traceback and stack of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _plain.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


class ContextFilter(logging.Filter):
    """Tags records with the request or job they belong to; drops RQ's lines about
    periodic jobs (a sweep with nothing to do says nothing)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.job_id = job_id.get() or self._named_job(record)
        quiet = record.name.startswith("rq.") and record.levelno <= logging.INFO
        return not (quiet and (record.job_id or "").startswith("periodic-"))

    @staticmethod
    def _named_job(record: logging.LogRecord) -> str | None:
        # RQ names the job it is about to run before our job context is set.
        if record.name.startswith("rq.") and isinstance(record.args, tuple):
            for arg in record.args:
                if isinstance(arg, str) and JOB_ID.fullmatch(ANSI.sub("", arg)):
                    return ANSI.sub("", arg)
        return None


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "job_id"):
            if value := getattr(record, key, None):
                line[key] = value
        if record.exc_info or record.exc_text:
            line["exc"] = record.exc_text or self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(context)s%(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        tags = [
            f"{key}={value}"
            for key in ("request_id", "job_id")
            if (value := getattr(record, key, None))
        ]
        record.context = f"[{' '.join(tags)}] " if tags else ""
        return super().format(record)


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (as logging's last resort does), so
    a replaced stderr (a test's capture, a daemon's redirect) is followed."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def handler(log_format: str) -> logging.Handler:
    """The one handler: context, then masking, then the format."""
    out = _Stderr()
    out.addFilter(ContextFilter())
    out.addFilter(MaskingFilter())
    out.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    out.set_name("aftersales")
    return out


def configure(log_format: str, level: str) -> None:
    """Install the handler on the root logger (replacing ours from an earlier call)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "aftersales"]:
        root.removeHandler(old)
    root.addHandler(handler(log_format))
    root.setLevel(level)
    # One line per request is ours (with the route and request id); werkzeug's dev
    # server would add a second, with the raw path.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


@contextmanager
def job_context(current_job_id: str) -> Iterator[None]:
    token = job_id.set(current_job_id)
    try:
        yield
    finally:
        job_id.reset(token)


log = logging.getLogger("service.request")


def _start_request() -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()
    g.request_id_token = request_id.set(g.request_id)


def _finish_request(response: Response) -> Response:
    if "request_id" in g:
        response.headers[REQUEST_ID_HEADER] = g.request_id
        elapsed = (time.perf_counter() - g.request_started) * 1000
        route = request.url_rule.rule if request.url_rule else request.path
        log.info("%s %s %s %.0fms", request.method, route, response.status_code, elapsed)
    return response


def _end_request(_exc: BaseException | None) -> None:
    if token := g.pop("request_id_token", None):
        try:
            request_id.reset(token)
        except ValueError:  # torn down in another context than it began in
            request_id.set(None)


def init_app(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    configure(settings.log_format, settings.log_level)
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)
