"""Delivery backends: email over SMTP, SMS over Twilio, and file writers for development.

Every backend takes a message carrying an idempotency key and either returns the
provider's id for it or raises :class:`TransientSendError` (retry later) or
:class:`PermanentSendError` (never retry). Idempotency across retries is the outbox's
job (check-and-mark around the send); the backends make a repeated send recognisable
where the protocol allows it: SMTP gets a Message-ID derived from the key, and the file
backends write one file per key.
"""

from service.notifications.backends.base import (
    Attachment,
    EmailMessage,
    Handover,
    PermanentSendError,
    SendError,
    SmsMessage,
    TransientSendError,
    UncertainSendError,
)
from service.notifications.backends.files import FileEmailBackend, FileSmsBackend
from service.notifications.backends.smtp import SmtpEmailBackend, message_id_for
from service.notifications.backends.twilio import TwilioSmsBackend

__all__ = [
    "Attachment",
    "EmailMessage",
    "FileEmailBackend",
    "FileSmsBackend",
    "Handover",
    "PermanentSendError",
    "SendError",
    "SmsMessage",
    "SmtpEmailBackend",
    "TransientSendError",
    "TwilioSmsBackend",
    "UncertainSendError",
    "message_id_for",
]
