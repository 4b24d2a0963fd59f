"""Delivery backends against real protocol peers: an aiosmtpd server and a loopback HTTP
server that checks requests the way Twilio's Messages API documents them."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from service.notifications.backends import (
    EmailMessage,
    FileEmailBackend,
    FileSmsBackend,
    PermanentSendError,
    SmsMessage,
    SmtpEmailBackend,
    TransientSendError,
    TwilioSmsBackend,
    message_id_for,
)

# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def email_msg(key: str = "notice-42.email", to: str = "jane@example.com") -> EmailMessage:
    return EmailMessage(
        to=to,
        subject="您的商品已寄出：SF 1234567890",
        text="Hi Jane,\n\nYour item is on its way. 您的商品已寄出。\n",
        html="<p>Hi Jane,</p><p>Your item is on its way. 您的商品已寄出。</p>",
        idempotency_key=key,
    )


@dataclass
class CollectingHandler:
    """aiosmtpd handler that records what it receives and can refuse on cue."""

    rcpt_reply: str | None = None
    data_reply: str | None = None
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, CollectingHandler]]:
    handler = CollectingHandler()
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), server_hostname="localhost"
    )
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1, made with the openssl CLI."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl CLI not available to generate a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login == b"mailer" and auth_data.password == b"s3cret"
    )
    return AuthResult(success=ok, handled=False)


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


# --------------------------------------------------------------------------- SMTP


def test_smtp_delivers_multipart_with_deterministic_message_id(smtp_server) -> None:
    controller, handler = smtp_server
    backend = SmtpEmailBackend("127.0.0.1", controller.port, "Acme Service <service@acme.test>")

    returned = backend.send(email_msg())

    assert returned == message_id_for("notice-42.email") == "<notice-42.email@aftersales>"
    assert len(handler.messages) == 1
    mail_from, rcpt_tos, raw = handler.messages[0]
    assert mail_from == "service@acme.test"
    assert rcpt_tos == ["jane@example.com"]
    parsed = parse(raw)
    assert parsed["Message-ID"] == returned
    assert parsed["Subject"] == "您的商品已寄出：SF 1234567890"
    assert parsed["To"] == "jane@example.com"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed.get_content_type() == "multipart/alternative"
    parts = {p.get_content_type(): p.get_content() for p in parsed.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    assert "您的商品已寄出。" in parts["text/plain"]
    assert "<p>Hi Jane,</p>" in parts["text/html"]
    # Bodies must survive relays without 8BITMIME.
    assert all(
        p["Content-Transfer-Encoding"] in ("7bit", "quoted-printable", "base64")
        for p in parsed.iter_parts()
    )


def test_smtp_retry_with_same_key_carries_same_message_id(smtp_server) -> None:
    controller, handler = smtp_server
    backend = SmtpEmailBackend("127.0.0.1", controller.port, "service@acme.test")
    first = backend.send(email_msg(key="outbox:17:email"))
    second = backend.send(email_msg(key="outbox:17:email"))
    assert first == second
    # ":" is not allowed in a Message-ID's left part, so the key is hashed.
    assert first.startswith("<k.") and first.endswith("@aftersales>")
    assert [parse(raw)["Message-ID"] for _, _, raw in handler.messages] == [first, first]


def test_smtp_550_on_rcpt_is_permanent(smtp_server) -> None:
    controller, handler = smtp_server
    handler.rcpt_reply = "550 5.1.1 No such user here"
    backend = SmtpEmailBackend("127.0.0.1", controller.port, "service@acme.test")
    with pytest.raises(PermanentSendError) as info:
        backend.send(email_msg())
    assert info.value.code == "550"
    assert handler.messages == []


def test_smtp_451_on_rcpt_is_transient(smtp_server) -> None:
    controller, handler = smtp_server
    handler.rcpt_reply = "451 4.7.1 Greylisted, please try again later"
    backend = SmtpEmailBackend("127.0.0.1", controller.port, "service@acme.test")
    with pytest.raises(TransientSendError) as info:
        backend.send(email_msg())
    assert info.value.code == "451"


def test_smtp_554_on_data_is_permanent(smtp_server) -> None:
    controller, handler = smtp_server
    handler.data_reply = "554 5.7.1 Message rejected"
    backend = SmtpEmailBackend("127.0.0.1", controller.port, "service@acme.test")
    with pytest.raises(PermanentSendError) as info:
        backend.send(email_msg())
    assert info.value.code == "554"


def test_smtp_nothing_listening_is_transient() -> None:
    backend = SmtpEmailBackend("127.0.0.1", free_port(), "service@acme.test", timeout=2)
    with pytest.raises(TransientSendError):
        backend.send(email_msg())


def test_smtp_server_that_never_greets_times_out_as_transient() -> None:
    # A listening socket nobody accepts from: the TCP connect succeeds, the greeting
    # never comes.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        backend = SmtpEmailBackend("127.0.0.1", port, "service@acme.test", timeout=0.3)
        with pytest.raises(TransientSendError):
            backend.send(email_msg())


def test_smtp_refuses_credentials_without_tls() -> None:
    with pytest.raises(ValueError):
        SmtpEmailBackend("127.0.0.1", 25, "a@b.test", username="u", password="p")


def test_smtp_starttls_with_auth(tls_files) -> None:
    cert, key = tls_files
    handler = CollectingHandler()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        server_hostname="localhost",
        tls_context=server_tls_context(cert, key),
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    )
    controller.start()
    try:
        client_ctx = ssl.create_default_context(cafile=str(cert))
        backend = SmtpEmailBackend(
            "127.0.0.1",
            controller.port,
            "service@acme.test",
            username="mailer",
            password="s3cret",
            security="starttls",
            ssl_context=client_ctx,
        )
        backend.send(email_msg())
        assert len(handler.messages) == 1

        wrong = SmtpEmailBackend(
            "127.0.0.1",
            controller.port,
            "service@acme.test",
            username="mailer",
            password="wrong",
            security="starttls",
            ssl_context=client_ctx,
        )
        # Bad credentials are our configuration, not the message: keep it for a retry.
        with pytest.raises(TransientSendError) as info:
            wrong.send(email_msg())
        assert info.value.code == "535"

        # A certificate we do not trust must not be accepted silently.
        untrusting = SmtpEmailBackend(
            "127.0.0.1", controller.port, "service@acme.test", security="starttls"
        )
        with pytest.raises(TransientSendError):
            untrusting.send(email_msg())
        assert len(handler.messages) == 1
    finally:
        controller.stop()


def test_smtp_implicit_tls(tls_files) -> None:
    cert, key = tls_files
    handler = CollectingHandler()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        server_hostname="localhost",
        ssl_context=server_tls_context(cert, key),
    )
    controller.start()
    try:
        backend = SmtpEmailBackend(
            "127.0.0.1",
            controller.port,
            "service@acme.test",
            security="tls",
            ssl_context=ssl.create_default_context(cafile=str(cert)),
        )
        backend.send(email_msg())
        assert len(handler.messages) == 1
    finally:
        controller.stop()


# --------------------------------------------------------------------------- file email


def test_file_email_writes_one_readable_eml_per_key(tmp_path: Path) -> None:
    backend = FileEmailBackend(tmp_path / "outbox")
    first = backend.send(email_msg(key="notice-7.email"))
    second = backend.send(email_msg(key="notice-7.email"))
    assert first == second == "<notice-7.email@aftersales>"
    files = list((tmp_path / "outbox").iterdir())
    assert [f.name for f in files] == ["notice-7.email.eml"]
    raw = files[0].read_bytes()
    # Readable as is: the Chinese body is plain UTF-8, not base64.
    assert "您的商品已寄出。".encode() in raw
    parsed = parse(raw)
    assert parsed["Subject"] == "您的商品已寄出：SF 1234567890"
    assert parsed["Message-ID"] == first
    assert {p.get_content_type() for p in parsed.iter_parts()} == {"text/plain", "text/html"}


def test_file_email_never_escapes_its_directory(tmp_path: Path) -> None:
    backend = FileEmailBackend(tmp_path / "outbox")
    backend.send(email_msg(key="../../etc/evil"))
    files = list((tmp_path / "outbox").iterdir())
    assert len(files) == 1 and files[0].name.startswith("k-")
    assert not (tmp_path / "etc").exists()


# --------------------------------------------------------------------------- Twilio

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "token-" + "x" * 26
FROM_NUMBER = "+15005550006"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]
    problems: list[str]


class FakeTwilio(ThreadingHTTPServer):
    # Handler threads are joined on close so no request outlives its test.
    daemon_threads = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), TwilioHandler)
        self.requests: list[Recorded] = []
        self.respond: Callable[[Recorded], tuple[int, dict[str, Any]]] = created
        self.delay = threading.Event()
        self.delay_seconds = 0.0

    def handle_error(self, request, client_address) -> None:
        # The slow-server test's client has gone by the time the reply is written.
        pass

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def created(req: Recorded) -> tuple[int, dict[str, Any]]:
    return 201, {
        "sid": "SM" + "f" * 32,
        "account_sid": ACCOUNT_SID,
        "to": req.form.get("To", [""])[0],
        "body": req.form.get("Body", [""])[0],
        "status": "queued",
        "num_segments": "1",
    }


def twilio_error(status: int, code: int, message: str) -> Callable[[Recorded], Any]:
    def respond(req: Recorded) -> tuple[int, dict[str, Any]]:
        return status, {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }

    return respond


class TwilioHandler(BaseHTTPRequestHandler):
    server: FakeTwilio

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _record(self) -> Recorded:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8")
        form = parse_qs(body, keep_blank_values=True, strict_parsing=bool(body))
        problems: list[str] = []
        expected_path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        if self.command != "POST":
            problems.append(f"method {self.command}")
        if self.path != expected_path:
            problems.append(f"path {self.path}")
        expected_auth = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode(
            "ascii"
        )
        if self.headers.get("Authorization") != expected_auth:
            problems.append("authorization")
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip()
        if content_type != "application/x-www-form-urlencoded":
            problems.append(f"content type {content_type}")
        if any(len(v) != 1 for v in form.values()):
            problems.append("repeated form field")
        if not {"To", "Body"} <= form.keys():
            problems.append("To and Body are required")
        if ("From" in form) == ("MessagingServiceSid" in form):
            problems.append("exactly one of From / MessagingServiceSid")
        unknown = form.keys() - {"To", "From", "MessagingServiceSid", "Body", "StatusCallback"}
        if unknown:
            problems.append(f"unexpected fields {sorted(unknown)}")
        return Recorded(self.command, self.path, dict(self.headers), form, problems)

    def _answer(self) -> None:
        req = self._record()
        self.server.requests.append(req)
        if self.server.delay_seconds:
            self.server.delay.wait(self.server.delay_seconds)
        if req.problems:
            status, payload = 400, {"code": 99999, "message": "; ".join(req.problems)}
        else:
            status, payload = self.server.respond(req)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = _answer
    do_GET = _answer
    do_PUT = _answer


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    server = FakeTwilio()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.delay.set()
        server.shutdown()
        thread.join()
        server.server_close()


def sms(to: str = "+8613800138000", body: str = "【Acme】您的商品已寄出") -> SmsMessage:
    return SmsMessage(to=to, body=body, idempotency_key="notice-9.sms")


def backend_for(server: FakeTwilio, **kwargs: Any) -> TwilioSmsBackend:
    kwargs.setdefault("from_number", FROM_NUMBER)
    return TwilioSmsBackend(ACCOUNT_SID, AUTH_TOKEN, base_url=server.base_url, **kwargs)


def test_twilio_send_matches_documented_request(twilio: FakeTwilio) -> None:
    backend = backend_for(twilio, status_callback="https://svc.example/hooks/twilio/status")
    sid = backend.send(sms())
    assert sid == "SM" + "f" * 32
    [req] = twilio.requests
    assert req.problems == []
    assert req.form == {
        "To": ["+8613800138000"],
        "From": [FROM_NUMBER],
        "Body": ["【Acme】您的商品已寄出"],
        "StatusCallback": ["https://svc.example/hooks/twilio/status"],
    }


def test_twilio_messaging_service_replaces_from(twilio: FakeTwilio) -> None:
    backend = backend_for(twilio, from_number=None, messaging_service_sid="MG" + "1" * 32)
    backend.send(sms())
    [req] = twilio.requests
    assert req.problems == []
    assert req.form["MessagingServiceSid"] == ["MG" + "1" * 32]
    assert "From" not in req.form


def test_twilio_needs_exactly_one_sender() -> None:
    with pytest.raises(ValueError):
        TwilioSmsBackend(ACCOUNT_SID, AUTH_TOKEN)
    with pytest.raises(ValueError):
        TwilioSmsBackend(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, "MG" + "1" * 32)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (21211, "The 'To' number +1555 is not a valid phone number."),
        (21610, "Attempt to send to unsubscribed recipient"),
        (21614, "'To' number is not a valid mobile number"),
    ],
)
def test_twilio_400_is_permanent_with_code(twilio: FakeTwilio, code: int, message: str) -> None:
    twilio.respond = twilio_error(400, code, message)
    with pytest.raises(PermanentSendError) as info:
        backend_for(twilio).send(sms())
    assert info.value.code == str(code)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("status", "code"),
    [(500, 20500), (503, 20503), (429, 20429)],
)
def test_twilio_5xx_and_429_are_transient(twilio: FakeTwilio, status: int, code: int) -> None:
    twilio.respond = twilio_error(status, code, "try again")
    with pytest.raises(TransientSendError) as info:
        backend_for(twilio).send(sms())
    assert info.value.code == str(code)


def test_twilio_bad_credentials_are_transient(twilio: FakeTwilio) -> None:
    twilio.respond = twilio_error(401, 20003, "Authenticate")
    with pytest.raises(TransientSendError) as info:
        backend_for(twilio).send(sms())
    assert info.value.code == "20003"


def test_twilio_slow_server_times_out_as_transient(twilio: FakeTwilio) -> None:
    twilio.delay_seconds = 5
    with pytest.raises(TransientSendError):
        backend_for(twilio, timeout=0.3).send(sms())
    twilio.delay.set()


def test_twilio_nothing_listening_is_transient() -> None:
    backend = TwilioSmsBackend(
        ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, base_url=f"http://127.0.0.1:{free_port()}"
    )
    with pytest.raises(TransientSendError):
        backend.send(sms())


def test_twilio_success_without_sid_is_not_taken_as_sent(twilio: FakeTwilio) -> None:
    twilio.respond = lambda req: (201, {"status": "queued"})
    with pytest.raises(TransientSendError):
        backend_for(twilio).send(sms())


def test_twilio_rejects_non_e164_locally(twilio: FakeTwilio) -> None:
    with pytest.raises(PermanentSendError):
        backend_for(twilio).send(sms(to="13800138000"))
    assert twilio.requests == []


# --------------------------------------------------------------------------- file SMS


def test_file_sms_writes_one_readable_file_per_key(tmp_path: Path) -> None:
    backend = FileSmsBackend(tmp_path / "sms")
    first = backend.send(sms())
    second = backend.send(sms(body="a different body on retry"))
    assert first == second
    files = list((tmp_path / "sms").iterdir())
    assert len(files) == 1
    text = files[0].read_text(encoding="utf-8")
    assert "To: +8613800138000" in text
    assert "【Acme】您的商品已寄出" in text
    assert "UCS-2" in text
    assert "a different body" not in text
