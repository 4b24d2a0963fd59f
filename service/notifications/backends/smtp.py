"""Email over SMTP (smtplib), and the MIME message both email backends build.

SMTP offers no way to ask a server whether it already accepted a message, so the
Message-ID is derived from the notice's key: a retried send carries the same id and
receiving systems can collapse the duplicate.
"""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy as email_policy
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime
from typing import Final, Literal

from service.notifications.backends.base import (
    EmailMessage,
    Handover,
    PermanentSendError,
    SendError,
    TransientSendError,
    UncertainSendError,
)

# RFC 5322 dot-atom: the only form of an idempotency key that can sit in a Message-ID as is.
_ATEXT: Final = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM: Final = re.compile(rf"{_ATEXT}(\.{_ATEXT})*")


def message_id_for(idempotency_key: str, domain: str = "aftersales") -> str:
    """Deterministic Message-ID for a key, so a retried send carries the same id.

    Keys that are already valid dot-atoms are kept readable; anything else is hashed.
    """
    if not idempotency_key:
        raise ValueError("idempotency_key must not be empty")
    if len(idempotency_key) <= 128 and _DOT_ATOM.fullmatch(idempotency_key):
        left = idempotency_key
    else:
        left = "k." + hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()
    return f"<{left}@{domain}>"


# CRLF line ends and 7-bit-safe bodies for SMTP; plain LF files for people to read.
_WIRE_POLICY: Final = email_policy.SMTP.clone(cte_type="7bit")
_READABLE_POLICY: Final = email_policy.default


def build_mime(
    msg: EmailMessage, from_addr: str, message_id: str, *, readable: bool
) -> MimeMessage:
    """multipart/alternative with the plain text first, as RFC 2046 orders preference."""
    mime = MimeMessage(policy=_READABLE_POLICY if readable else _WIRE_POLICY)
    try:
        mime["From"] = from_addr
        mime["To"] = msg.to
        mime["Subject"] = msg.subject
        mime["Date"] = format_datetime(datetime.now(UTC))
        mime["Message-ID"] = message_id
        if msg.reply_to:
            mime["Reply-To"] = msg.reply_to
        # RFC 3834: tells auto-responders (out-of-office) not to answer a notice.
        mime["Auto-Submitted"] = "auto-generated"
        # 8bit keeps development files legible; on the wire, quoted-printable/base64
        # so a relay without 8BITMIME cannot mangle Chinese text.
        cte = "8bit" if readable else None
        mime.set_content(msg.text, subtype="plain", charset="utf-8", cte=cte)
        mime.add_alternative(msg.html, subtype="html", charset="utf-8", cte=cte)
        for attachment in msg.attachments:
            # The alternatives become the first part of a multipart/mixed.
            maintype, _slash, subtype = attachment.content_type.partition("/")
            mime.add_attachment(
                attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
            )
    except (ValueError, TypeError) as exc:
        # A header with a line break or an address the parser rejects will be just as
        # wrong on the next attempt.
        raise PermanentSendError(f"cannot build email: {exc}") from exc
    return mime


def _smtp_code_error(code: int, text: bytes | str, what: str) -> SendError:
    detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    message = f"{what}: {code} {detail}".strip()
    if 500 <= code < 600:
        return PermanentSendError(message, code=str(code))
    return TransientSendError(message, code=str(code))


Security = Literal["none", "starttls", "tls"]


class SmtpEmailBackend:
    # SMTP offers no way to ask a server whether it already accepted a message, so a
    # retry after an unacknowledged send sends again; the Message-ID, derived from the
    # notice, lets receiving systems collapse such a duplicate.
    """Sends through an SMTP server (relay or submission port) with smtplib."""

    def __init__(
        self,
        host: str,
        port: int,
        from_addr: str,
        username: str | None = None,
        password: str | None = None,
        security: Security = "none",
        timeout: float = 10.0,
        *,
        ssl_context: ssl.SSLContext | None = None,
        message_id_domain: str = "aftersales",
        reuse: bool = False,
        max_idle: float = 30.0,
    ) -> None:
        if security not in ("none", "starttls", "tls"):
            raise ValueError(f"security must be 'none', 'starttls' or 'tls', not {security!r}")
        if username and security == "none":
            raise ValueError("refusing to send SMTP credentials over an unencrypted connection")
        self.host = host
        self.port = port
        self.from_addr = from_addr
        self.username = username
        self.password = password
        self.security = security
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.message_id_domain = message_id_domain
        #: Keep the connection open for the next message (a worker that sends job after
        #: job in one process, WORKER_MODE=simple): no TCP, EHLO, TLS and AUTH per e-mail.
        self.reuse = reuse
        self.max_idle = max_idle
        self._idle: tuple[smtplib.SMTP, float] | None = None

    def _tls_context(self) -> ssl.SSLContext:
        # Loading the system's CA bundle takes tens of milliseconds: do it once per
        # backend, and only when the connection is encrypted.
        if self.ssl_context is None:
            self.ssl_context = ssl.create_default_context()
        return self.ssl_context

    def _connect(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP
        if self.security == "tls":
            context = self._tls_context()
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _take_idle(self) -> smtplib.SMTP | None:
        """The connection the last message left open, if the server still answers on it
        (RSET, before any of this message is sent: a failure here costs nothing)."""
        if self._idle is None:
            return None
        smtp, since = self._idle
        self._idle = None
        if time.monotonic() - since <= self.max_idle:
            try:
                if smtp.rset()[0] == 250:
                    return smtp
            except (smtplib.SMTPException, OSError):
                pass
        _close(smtp)
        return None

    def close(self) -> None:
        """Say goodbye on the connection kept for the next message, if any."""
        if self._idle is not None:
            _close(self._idle[0])
            self._idle = None

    def find_sent(self, msg: EmailMessage, since: datetime) -> str | None:
        """SMTP cannot tell; the caller sends again."""
        return None

    def send(self, msg: EmailMessage, handover: Handover | None = None) -> str:
        """Send one email; return the Message-ID header it carried.

        A `handover` is told just before DATA and as soon as the server's 250 arrives,
        before QUIT. A connection lost between the two is an `UncertainSendError`.
        """
        message_id = message_id_for(msg.idempotency_key, self.message_id_domain)
        mime = build_mime(msg, self.from_addr, message_id, readable=False)
        data_began = False

        def began() -> None:
            nonlocal data_began
            if handover is not None:
                handover.before_data()
            data_began = True

        try:
            smtp = self._take_idle() or self._connect()
            kept = False
            try:
                _watch_data(smtp, began, lambda: handover and handover.accepted(message_id))
                smtp.send_message(mime, from_addr=self.from_addr, to_addrs=[msg.to])
                if self.reuse:
                    del smtp.data  # the next message watches its own DATA
                    self._idle, kept = (smtp, time.monotonic()), True
            finally:
                if not kept:
                    _close(smtp)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _smtp_code_error(code, text, f"recipient {msg.to} refused") from exc
        except smtplib.SMTPConnectError as exc:
            # Refused at the greeting: the server will not talk to us at all right now,
            # which says nothing about this message.
            raise TransientSendError(
                f"SMTP server refused the connection: {exc.smtp_code}", code=str(exc.smtp_code)
            ) from exc
        except smtplib.SMTPAuthenticationError as exc:
            # Our credentials are wrong, not the message: keep it queued until someone
            # fixes the configuration instead of failing every notice for good.
            raise TransientSendError(
                f"SMTP authentication failed: {exc.smtp_code}", code=str(exc.smtp_code)
            ) from exc
        except smtplib.SMTPResponseException as exc:
            # Sender refused, data rejected, unexpected reply: the class of the code decides.
            raise _smtp_code_error(exc.smtp_code, exc.smtp_error, "SMTP server refused") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise TransientSendError(f"SMTP server lacks a required extension: {exc}") from exc
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            if data_began:
                # No answer to DATA: the server may have the message, and cannot be asked.
                raise UncertainSendError(f"SMTP connection lost during DATA: {exc!r}") from exc
            # Disconnects, refused connections, timeouts, TLS handshakes: all worth retrying.
            raise TransientSendError(f"SMTP connection failed: {exc!r}") from exc
        return message_id


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _watch_data(
    smtp: smtplib.SMTP, before: Callable[[], None], accepted: Callable[[], object]
) -> None:
    """Run `before` just before this connection's DATA and `accepted` right after a 250
    answers it. smtplib's `send_message` keeps its address and SMTPUTF8 handling; only
    its last step is wrapped."""
    data = smtp.data

    def watched(payload: bytes | str) -> tuple[int, bytes]:
        before()
        code, reply = data(payload)
        if code == 250:
            accepted()
        return code, reply

    smtp.data = watched  # type: ignore[method-assign]
