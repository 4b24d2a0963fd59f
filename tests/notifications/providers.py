"""Loopback stand-ins for the outside providers, checking requests as documented.

- `SmtpSink`: a real SMTP server (aiosmtpd) that keeps what it accepted. Behaviour per
  message can be scripted: accept and then stall before answering (to kill a worker
  that the server already has the message from), or hang up instead of answering; and
  hooks can look at the outbox when DATA arrives and when the client says QUIT.
- `TwilioSink`: an HTTP server speaking Twilio's Messages API: `POST .../Messages.json`
  (Basic auth with the account SID and auth token, form-encoded To/From/Body) answers
  201 with a Message resource; `GET .../Messages.json?To=&DateSent>=` lists messages.
  Behaviour per request can be scripted: fail with 500, refuse with a Twilio error code,
  or stall after accepting (to kill a worker mid-send).
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"
FROM_NUMBER = "+15005550006"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _SmtpHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        sink = self.sink
        message = message_from_bytes(envelope.content, policy=policy.default)
        if sink.on_data is not None:
            await asyncio.get_running_loop().run_in_executor(None, sink.on_data, message)
        with sink.lock:
            sink.messages.append(message)
            sink.peers.append(session.peer)
            behaviour = sink.script.pop(0) if sink.script else "ok"
        if behaviour == "stall":
            # Accepted, but the answer never reaches the client (it gets killed).
            sink.stalled.set()
            await asyncio.get_running_loop().run_in_executor(None, sink.release.wait, 60)
        elif behaviour == "hang up":
            server.transport.close()
        return "250 Message accepted"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.on_quit is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.sink.on_quit)
        return "221 Bye"


class SmtpSink:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[EmailMessage] = []
        #: The client's address and port for each message: the same for messages that
        #: came over one connection.
        self.peers: list[tuple[str, int]] = []
        #: Behaviours for the next messages, consumed in order: "ok", "stall", "hang up"
        #: (the message is kept in every case: the server has it).
        self.script: list[str] = []
        self.stalled = threading.Event()
        self.release = threading.Event()
        #: Called with each message as its DATA ends, before the server answers.
        self.on_data: Callable[[EmailMessage], None] | None = None
        #: Called when a client says QUIT, before the server answers.
        self.on_quit: Callable[[], None] | None = None
        self.port = free_port()
        self.controller = Controller(_SmtpHandler(self), hostname="127.0.0.1", port=self.port)

    def wait_for(self, count: int, timeout: float = 20) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        return list(self.messages)


@dataclass
class SentSms:
    sid: str
    to: str
    sender: str
    body: str
    date_sent: str


@dataclass
class TwilioSink:
    server: ThreadingHTTPServer
    messages: list[SentSms] = field(default_factory=list)
    #: Behaviours for the next POSTs, consumed in order: "ok", "500", "21211", "stall".
    script: list[str] = field(default_factory=list)
    posts: int = 0
    lists: int = 0
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait_for(self, count: int, timeout: float = 20) -> list[SentSms]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.05)
        return list(self.messages)


def _handler(sink: TwilioSink) -> type[BaseHTTPRequestHandler]:
    path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    expected_auth = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _checked(self) -> bool:
            if urlparse(self.path).path != path:
                sink.problems.append(f"unexpected path {self.path}")
                self._json(404, {"code": 20404, "message": "not found", "status": 404})
                return False
            if self.headers.get("Authorization") != expected_auth:
                sink.problems.append("bad auth")
                self._json(401, {"code": 20003, "message": "Authenticate", "status": 401})
                return False
            return True

        def do_GET(self) -> None:
            if not self._checked():
                return
            query = parse_qs(urlparse(self.path).query)
            to = query.get("To", [None])[0]
            with sink.lock:
                sink.lists += 1
                found = [m for m in sink.messages if to is None or m.to == to]
            self._json(
                200,
                {
                    "messages": [
                        {
                            "sid": m.sid,
                            "to": m.to,
                            "from": m.sender,
                            "body": m.body,
                            "status": "sent",
                            "date_sent": m.date_sent,
                        }
                        for m in found
                    ],
                    "next_page_uri": None,
                },
            )

        def do_POST(self) -> None:
            if not self._checked():
                return
            if (
                self.headers.get("Content-Type", "").split(";")[0]
                != "application/x-www-form-urlencoded"
            ):
                sink.problems.append("not form-encoded")
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            missing = {"To", "From", "Body"} - set(form)
            if missing:
                sink.problems.append(f"missing {missing}")
                self._json(400, {"code": 21604, "message": "missing", "status": 400})
                return
            with sink.lock:
                sink.posts += 1
                behaviour = sink.script.pop(0) if sink.script else "ok"
            if behaviour == "500":
                self._json(500, {"code": 20500, "message": "Internal error", "status": 500})
                return
            if behaviour == "21211":
                self._json(
                    400,
                    {
                        "code": 21211,
                        "message": "Invalid 'To' Phone Number",
                        "more_info": "https://www.twilio.com/docs/errors/21211",
                        "status": 400,
                    },
                )
                return
            message = SentSms(
                "SM" + uuid.uuid4().hex,
                form["To"],
                form["From"],
                form["Body"],
                time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
            )
            with sink.lock:
                sink.messages.append(message)
            if behaviour == "stall":
                # Accepted, but the answer never reaches the worker (it gets killed).
                sink.stalled.set()
                sink.release.wait(60)
                return
            self._json(
                201,
                {
                    "sid": message.sid,
                    "to": message.to,
                    "body": message.body,
                    "status": "queued",
                    "account_sid": ACCOUNT_SID,
                },
            )

    return Handler


@contextmanager
def running_twilio() -> Iterator[TwilioSink]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    sink = TwilioSink(server)
    server.RequestHandlerClass = _handler(sink)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        sink.release.set()
        server.shutdown()
        server.server_close()


@contextmanager
def running_smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.controller.start()
    try:
        yield sink
    finally:
        sink.release.set()
        sink.controller.stop()
