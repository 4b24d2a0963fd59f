"""What every backend shares: the messages they send and the errors they raise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class SendError(Exception):
    """A notice could not be handed to the provider."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.message} (code {self.code})" if self.code else self.message


class TransientSendError(SendError):
    """Worth retrying later: timeouts, refused connections, 4xx SMTP, HTTP 429 and 5xx."""


class PermanentSendError(SendError):
    """Retrying cannot help: the recipient or the message itself was rejected."""


class UncertainSendError(TransientSendError):
    """The connection broke after the message was handed over (SMTP: after DATA began)
    and before the server answered: it may have been delivered, and cannot be asked."""


class Handover(Protocol):
    """Told about an e-mail's SMTP transaction as it happens, so the outbox can record
    it at once (`service.notifications.delivery.Handover`)."""

    def before_data(self) -> None:
        """The message is about to be handed to the server; raising aborts the send."""

    def accepted(self, provider_id: str) -> None:
        """The server answered 250: it has the message. Must not raise."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    #: e.g. "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    content_type: str
    data: bytes


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    text: str
    html: str
    idempotency_key: str
    #: Where the customer's answer should go (the case's reply address).
    reply_to: str | None = None
    #: Files sent with the message (the scheduled reports attach their workbook).
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    body: str
    idempotency_key: str
