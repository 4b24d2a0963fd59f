"""A loopback webhook receiver that verifies every request with the `standardwebhooks`
library, as a storefront would, and keeps what it accepted.

Its answers can be scripted per request: an int is the status to answer (500, 410,
302...), "stall" accepts the request and then waits (so a test can kill the worker
mid-delivery), ("retry-after", seconds) answers 503 with Retry-After. Once the script
is empty it answers `default` (204).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass
class Received:
    message_id: str
    payload: dict
    headers: dict[str, str]


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    #: The secrets it accepts (any one verifying is enough).
    secrets: list[str] = field(default_factory=list)
    script: list[Any] = field(default_factory=list)
    default: int = 204
    #: Every verified request, retries included, in arrival order.
    requests: list[Received] = field(default_factory=list)
    #: Requests whose signature did not verify (answered 401).
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def accepted(self) -> list[Received]:
        """Each event once (the first 2xx of each webhook-id), in the order accepted:
        what a receiver that drops repeated ids, as the spec asks, has applied."""
        with self.lock:
            seen, kept = set(), []
            for received in self.requests:
                if (
                    received.message_id not in seen
                    and received.headers.get("answered", "")[:1] == "2"
                ):
                    seen.add(received.message_id)
                    kept.append(received)
            return kept

    def verifies(self, body: bytes, headers: dict[str, str]) -> bool:
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
                return True
            except WebhookVerificationError:
                continue
        return False


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            if not receiver.verifies(body, headers):
                with receiver.lock:
                    receiver.refused.append(headers.get("webhook-id", ""))
                self._answer(401)
                return
            with receiver.lock:
                behaviour = receiver.script.pop(0) if receiver.script else receiver.default
            received = Received(headers["webhook-id"], json.loads(body), headers)
            if behaviour == "stall":
                received.headers["answered"] = "stalled"
                with receiver.lock:
                    receiver.requests.append(received)
                receiver.stalled.set()
                receiver.release.wait(60)
                return
            extra = {}
            if isinstance(behaviour, tuple):
                extra, behaviour = {"Retry-After": str(behaviour[1])}, 503
            received.headers["answered"] = str(behaviour)
            with receiver.lock:
                receiver.requests.append(received)
            if 300 <= behaviour < 400:
                extra["Location"] = "http://127.0.0.1:1/elsewhere"
            self._answer(behaviour, extra)

        def _answer(self, status: int, headers: dict[str, str] | None = None) -> None:
            text = b'{"ok": true}' if status < 300 else b"nope " * 1000
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

    return Handler


@contextmanager
def running_receiver(*secrets: str) -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.daemon_threads = True
    receiver = Receiver(server, list(secrets))
    server.RequestHandlerClass = _handler(receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
