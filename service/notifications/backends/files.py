"""Development backends: one readable file per message under a directory, named after
its idempotency key, so a repeated send finds the first copy and `make run` shows every
notice."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from service.notifications.backends.base import EmailMessage, SmsMessage, TransientSendError
from service.notifications.backends.smtp import build_mime, message_id_for
from service.notifications.sms_segments import count_segments

_SAFE_FILENAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def file_stem(idempotency_key: str) -> str:
    # Keys come from our own outbox, but they still must not be able to name "../x".
    if not idempotency_key:
        raise ValueError("idempotency_key must not be empty")
    if _SAFE_FILENAME.fullmatch(idempotency_key):
        return idempotency_key
    return "k-" + hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
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
        return self.directory / f"{file_stem(idempotency_key)}.eml"

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
        mime = build_mime(msg, self.from_addr, message_id, readable=True)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_atomically(path, mime.as_bytes())
        except OSError as exc:
            raise TransientSendError(f"cannot write {path}: {exc}") from exc
        return message_id


class FileSmsBackend:
    """Development backend: one readable text file per SMS, named after its key."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def path_for(self, idempotency_key: str) -> Path:
        return self.directory / f"{file_stem(idempotency_key)}.sms.txt"

    def find_sent(self, msg: SmsMessage, since: datetime) -> str | None:
        if self.path_for(msg.idempotency_key).exists():
            return f"file-sms:{file_stem(msg.idempotency_key)}"
        return None

    def send(self, msg: SmsMessage) -> str:
        stem = file_stem(msg.idempotency_key)
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
            write_atomically(path, content.encode("utf-8"))
        except OSError as exc:
            raise TransientSendError(f"cannot write {path}: {exc}") from exc
        return local_id
