"""Delivery backends: email over SMTP, SMS over Twilio, and file writers for development.

Every backend takes a message carrying an idempotency key and either returns the
provider's id for it or raises :class:`TransientSendError` (retry later) or
:class:`PermanentSendError` (never retry). Idempotency across retries is the outbox's
job (check-and-mark around the send); the backends make a repeated send recognisable
where the protocol allows it: SMTP gets a Message-ID derived from the key, and the file
backends write one file per key.
"""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy as email_policy
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Final, Literal
from urllib.parse import quote

import requests

from .sms_segments import count_segments


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


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    text: str
    html: str
    idempotency_key: str


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    body: str
    idempotency_key: str


# RFC 5322 dot-atom: the only form of an idempotency key that can sit in a Message-ID as is.
_ATEXT: Final = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM: Final = re.compile(rf"{_ATEXT}(\.{_ATEXT})*")
_SAFE_FILENAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_E164: Final = re.compile(r"\+[1-9][0-9]{1,14}")


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


def _file_stem(idempotency_key: str) -> str:
    # Keys come from our own outbox, but they still must not be able to name "../x".
    if not idempotency_key:
        raise ValueError("idempotency_key must not be empty")
    if _SAFE_FILENAME.fullmatch(idempotency_key):
        return idempotency_key
    return "k-" + hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()


# CRLF line ends and 7-bit-safe bodies for SMTP; plain LF files for people to read.
_WIRE_POLICY: Final = email_policy.SMTP.clone(cte_type="7bit")
_READABLE_POLICY: Final = email_policy.default


def _build_mime(
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
        # RFC 3834: tells auto-responders (out-of-office) not to answer a notice.
        mime["Auto-Submitted"] = "auto-generated"
        # 8bit keeps development files legible; on the wire, quoted-printable/base64
        # so a relay without 8BITMIME cannot mangle Chinese text.
        cte = "8bit" if readable else None
        mime.set_content(msg.text, subtype="plain", charset="utf-8", cte=cte)
        mime.add_alternative(msg.html, subtype="html", charset="utf-8", cte=cte)
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

    def find_sent(self, msg: EmailMessage, since: datetime) -> str | None:
        """SMTP cannot tell; the caller sends again."""
        return None

    def send(self, msg: EmailMessage) -> str:
        """Send one email; return the Message-ID header it carried."""
        message_id = message_id_for(msg.idempotency_key, self.message_id_domain)
        mime = _build_mime(msg, self.from_addr, message_id, readable=False)
        try:
            smtp = self._connect()
            try:
                smtp.send_message(mime, from_addr=self.from_addr, to_addrs=[msg.to])
            finally:
                try:
                    smtp.quit()
                except (smtplib.SMTPException, OSError):
                    smtp.close()
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
            # Disconnects, refused connections, timeouts, TLS handshakes: all worth retrying.
            raise TransientSendError(f"SMTP connection failed: {exc!r}") from exc
        return message_id


def _write_atomically(path: Path, data: bytes) -> None:
    # Write-then-rename so a reader (or a crash) never sees half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class FileEmailBackend:
    """Development backend: one readable .eml file per message, named after its key."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        from_addr: str = "Aftersales <noreply@aftersales.invalid>",
        *,
        message_id_domain: str = "aftersales",
    ) -> None:
        self.directory = Path(directory)
        self.from_addr = from_addr
        self.message_id_domain = message_id_domain

    def path_for(self, idempotency_key: str) -> Path:
        return self.directory / f"{_file_stem(idempotency_key)}.eml"

    def find_sent(self, msg: EmailMessage, since: datetime) -> str | None:
        if self.path_for(msg.idempotency_key).exists():
            return message_id_for(msg.idempotency_key, self.message_id_domain)
        return None

    def send(self, msg: EmailMessage) -> str:
        message_id = message_id_for(msg.idempotency_key, self.message_id_domain)
        path = self.path_for(msg.idempotency_key)
        if path.exists():
            # A retry of something already "sent": the first copy stands.
            return message_id
        mime = _build_mime(msg, self.from_addr, message_id, readable=True)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, mime.as_bytes())
        except OSError as exc:
            raise TransientSendError(f"cannot write {path}: {exc}") from exc
        return message_id


# Twilio error codes where the message can never be delivered as sent, whatever the
# HTTP status says. Listed so the intent is explicit; any other 4xx is permanent too.
TWILIO_PERMANENT_CODES: Final[frozenset[str]] = frozenset(
    {
        "21211",  # invalid 'To' phone number
        "21408",  # permission to send to this region is not enabled
        "21610",  # recipient replied STOP: unsubscribed from this sender
        "21612",  # 'To' is not reachable via this sender / unroutable
        "21614",  # 'To' is not a valid mobile number
        "21617",  # body exceeds the maximum length
    }
)


class TwilioSmsBackend:
    """Sends SMS through Twilio's Programmable Messaging REST API (Messages resource).

    ``POST {base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP Basic
    auth (Account SID : Auth Token) and a form-encoded body (To, From or
    MessagingServiceSid, Body, optional StatusCallback). Success is 201 with the
    Message resource as JSON; errors are JSON ``{code, message, more_info, status}``.

    Idempotency: Twilio documents no idempotency key or header for creating a Message
    (the ``I-Twilio-Idempotency-Token`` header is one Twilio *sends* on its webhooks to
    us, not one it honours on API requests). So none is sent; a retry after an
    ambiguous failure (timeout after Twilio accepted) can duplicate an SMS, and the
    outbox's check-and-mark is what keeps that window as small as it can be.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        base_url: str = "https://api.twilio.com",
        timeout: float = 10.0,
        status_callback: str | None = None,
    ) -> None:
        if not account_sid or not auth_token:
            raise ValueError("account_sid and auth_token are required")
        # Twilio wants exactly one sender: From is to be empty with MessagingServiceSid.
        if bool(from_number) == bool(messaging_service_sid):
            raise ValueError("give exactly one of from_number or messaging_service_sid")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.status_callback = status_callback

    @property
    def messages_url(self) -> str:
        account = quote(self.account_sid, safe="")
        return f"{self.base_url}/2010-04-01/Accounts/{account}/Messages.json"

    def find_sent(self, msg: SmsMessage, since: datetime) -> str | None:
        """The SID of a message Twilio already accepted with this recipient and body
        since `since`, found through the Messages list (`To`, `DateSent>` filters).

        Used before a retry: a worker may have died after Twilio accepted the message
        but before the outbox recorded it. Errors here are transient (retry later)
        rather than a reason to send blind.
        """
        params = {
            "To": msg.to,
            "DateSent>": since.astimezone(UTC).date().isoformat(),
            "PageSize": "100",
        }
        url: str | None = self.messages_url
        while url:
            try:
                response = requests.get(
                    url,
                    params=params,
                    auth=(self.account_sid, self.auth_token),
                    headers={"Accept": "application/json"},
                    timeout=self.timeout,
                )
            except requests.RequestException as exc:
                raise TransientSendError(f"Twilio list request failed: {exc!r}") from exc
            with response:
                if response.status_code != 200:
                    raise TransientSendError(f"Twilio list answered {response.status_code}")
                page = self._json(response)
            for message in page.get("messages") or []:
                if isinstance(message, dict) and message.get("body") == msg.body:
                    return str(message.get("sid"))
            next_uri = page.get("next_page_uri")
            url, params = (f"{self.base_url}{next_uri}", {}) if next_uri else (None, {})
        return None

    def send(self, msg: SmsMessage) -> str:
        """Create the Message; return Twilio's Message SID (SM...)."""
        if not _E164.fullmatch(msg.to):
            raise PermanentSendError(f"recipient {msg.to!r} is not an E.164 number")
        if not msg.body:
            raise PermanentSendError("SMS body is empty")
        form = {"To": msg.to, "Body": msg.body}
        if self.messaging_service_sid:
            form["MessagingServiceSid"] = self.messaging_service_sid
        else:
            form["From"] = self.from_number or ""
        if self.status_callback:
            form["StatusCallback"] = self.status_callback
        try:
            response = requests.post(
                self.messages_url,
                data=form,
                auth=(self.account_sid, self.auth_token),
                headers={"Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.Timeout as exc:
            raise TransientSendError(f"Twilio request timed out: {exc}") from exc
        except requests.RequestException as exc:
            raise TransientSendError(f"Twilio request failed: {exc!r}") from exc

        with response:
            if 200 <= response.status_code < 300:
                return self._sid_from(response)
            raise self._error_from(response)

    @staticmethod
    def _json(response: requests.Response) -> dict[str, object]:
        try:
            data = response.json()
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _sid_from(self, response: requests.Response) -> str:
        sid = self._json(response).get("sid")
        if not isinstance(sid, str) or not sid:
            # Twilio accepted something but we cannot tell what; at-least-once delivery
            # prefers a possible duplicate over a silently lost notice.
            raise TransientSendError(
                f"Twilio answered {response.status_code} without a message sid"
            )
        return sid

    def _error_from(self, response: requests.Response) -> SendError:
        data = self._json(response)
        raw_code = data.get("code")
        code = str(raw_code) if raw_code not in (None, "") else None
        detail = data.get("message") or response.text[:200] or response.reason
        message = f"Twilio {response.status_code}: {detail}"
        if data.get("more_info"):
            message += f" ({data['more_info']})"
        status = response.status_code
        if status == 429 or status >= 500:
            return TransientSendError(message, code=code)
        if status in (401, 403) and code not in TWILIO_PERMANENT_CODES:
            # Bad or suspended credentials (20003): our configuration, not this message;
            # keep the notice for when it is fixed.
            return TransientSendError(message, code=code)
        return PermanentSendError(message, code=code)


class FileSmsBackend:
    """Development backend: one readable text file per SMS, named after its key."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def path_for(self, idempotency_key: str) -> Path:
        return self.directory / f"{_file_stem(idempotency_key)}.sms.txt"

    def find_sent(self, msg: SmsMessage, since: datetime) -> str | None:
        if self.path_for(msg.idempotency_key).exists():
            return f"file-sms:{_file_stem(msg.idempotency_key)}"
        return None

    def send(self, msg: SmsMessage) -> str:
        stem = _file_stem(msg.idempotency_key)
        local_id = f"file-sms:{stem}"
        path = self.path_for(msg.idempotency_key)
        if path.exists():
            return local_id
        encoding, segments = count_segments(msg.body)
        content = (
            f"To: {msg.to}\n"
            f"Idempotency-Key: {msg.idempotency_key}\n"
            f"Written-At: {datetime.now(UTC).isoformat(timespec='seconds')}\n"
            f"Encoding: {encoding}, {segments} segment(s), {len(msg.body)} characters\n"
            f"\n{msg.body}\n"
        )
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, content.encode("utf-8"))
        except OSError as exc:
            raise TransientSendError(f"cannot write {path}: {exc}") from exc
        return local_id
