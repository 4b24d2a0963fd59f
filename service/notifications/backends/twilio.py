"""SMS over Twilio's Programmable Messaging REST API."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Final
from urllib.parse import quote

import requests

from service.notifications.backends.base import (
    PermanentSendError,
    SendError,
    SmsMessage,
    TransientSendError,
)

_E164: Final = re.compile(r"\+[1-9][0-9]{1,14}")


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
        # One session per backend: a worker that sends job after job (WORKER_MODE=simple)
        # keeps its TLS connection to Twilio alive instead of a handshake per SMS.
        self.http = requests.Session()
        self.http.auth = (account_sid, auth_token)
        self.http.headers["Accept"] = "application/json"

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
                response = self.http.get(url, params=params, timeout=self.timeout)
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
            response = self.http.post(self.messages_url, data=form, timeout=self.timeout)
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
