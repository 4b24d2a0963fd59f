"""This app's delivery backends, built once from its settings and kept on the app (a
backend may hold a loaded TLS context, an SMTP connection kept for the next message,
an HTTP session)."""

from __future__ import annotations

from flask import current_app

from service.core.config import Settings
from service.notifications.backends.files import FileEmailBackend, FileSmsBackend
from service.notifications.backends.smtp import SmtpEmailBackend
from service.notifications.backends.twilio import TwilioSmsBackend


def email_backend() -> SmtpEmailBackend | FileEmailBackend:
    """This app's email backend, built once (it may hold a loaded TLS context)."""
    extensions = current_app.extensions
    if "email_backend" not in extensions:
        extensions["email_backend"] = _make_email_backend(current_app.config["SETTINGS"])
    return extensions["email_backend"]


def sms_backend() -> TwilioSmsBackend | FileSmsBackend:
    extensions = current_app.extensions
    if "sms_backend" not in extensions:
        extensions["sms_backend"] = _make_sms_backend(current_app.config["SETTINGS"])
    return extensions["sms_backend"]


def _make_email_backend(settings: Settings) -> SmtpEmailBackend | FileEmailBackend:
    if settings.email_backend == "smtp":
        return SmtpEmailBackend(
            settings.smtp_host,
            settings.smtp_port,
            settings.email_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            security=settings.smtp_security,
            # A forked work horse ends with its job: nothing would use the connection.
            reuse=settings.worker_mode == "simple",
        )
    return FileEmailBackend(settings.instance_dir / "outbox" / "email", settings.email_from)


def _make_sms_backend(settings: Settings) -> TwilioSmsBackend | FileSmsBackend:
    if settings.sms_backend == "twilio":
        return TwilioSmsBackend(
            settings.twilio_account_sid or "",
            settings.twilio_auth_token or "",
            from_number=settings.twilio_from,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            base_url=settings.twilio_base_url,
        )
    return FileSmsBackend(settings.instance_dir / "outbox" / "sms")
