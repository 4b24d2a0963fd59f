"""Adding, listing, reading and removing a case's attachments.

Plain functions over a session (flush, never commit), shared by the API, the workspace
and the customer's status page. The file is judged (service.attachments.processing)
before anything is stored or written; its bytes go to the store before the row is
flushed, and are removed again if the flush fails, so a refused upload leaves nothing
behind. (A process killed between the store's write and the commit leaves an object no
row names: unreachable, and harmless.)
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import IO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.attachments.models import Attachment, AttachmentKind
from service.attachments.processing import FileRefused, Limits, process
from service.attachments.storage import Storage
from service.cases.lifecycle import record_event
from service.cases.models import Case
from service.core import db
from service.core.auth import Actor
from service.core.config import Settings
from service.core.db import utcnow

#: What a multipart request may add around its file (the other fields, the part headers).
FORM_OVERHEAD_BYTES = 64 * 1024
NOTE_MAX = 2000
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\"\\/<>:|?*]")


class AttachmentRefused(ValueError):
    """Nothing was stored: `status`, the failing `field` (file, kind, note), why, and
    the `reason` by name (missing, too_large, count, kind, note, or FileRefused's)."""

    def __init__(self, status: int, field: str, message: str, reason: str) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def upload_body_limit(settings: Settings) -> int:
    """The largest request body an upload route reads (others keep MAX_CONTENT_LENGTH)."""
    return settings.attachment_max_bytes + FORM_OVERHEAD_BYTES


def read_upload(file: IO[bytes] | None, filename: str | None, settings: Settings) -> Upload:
    """The uploaded file's bytes, at most ATTACHMENT_MAX_BYTES of them."""
    if file is None:
        raise AttachmentRefused(422, "file", "Choose a file to upload.", "missing")
    data = file.read(settings.attachment_max_bytes + 1)
    if len(data) > settings.attachment_max_bytes:
        raise AttachmentRefused(
            413,
            "file",
            f"The file is larger than {settings.attachment_max_bytes} bytes.",
            "too_large",
        )
    return Upload(clean_filename(filename), data)


def clean_filename(raw: str | None) -> str:
    """A name to show and to download as: no folders, no control or unpaired surrogate
    characters, no quoting trouble; at most 120 characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = name.encode("utf-8", "replace").decode("utf-8")
    name = unicodedata.normalize("NFC", _UNSAFE_NAME.sub("_", name)).strip(" .")
    return name[-120:] or "upload"


def parse_kind(raw: str | None, default: AttachmentKind) -> AttachmentKind:
    if raw in (None, ""):
        return default
    try:
        return AttachmentKind(raw)
    except ValueError:
        choices = ", ".join(kind.value for kind in AttachmentKind)
        raise AttachmentRefused(422, "kind", f"Must be one of: {choices}.", "kind") from None


def parse_note(raw: str | None) -> str | None:
    from service.core.fields import UNSAFE_TEXT_MESSAGE, unsafe_text

    note = (raw or "").strip()
    if unsafe_text(note):
        raise AttachmentRefused(422, "note", UNSAFE_TEXT_MESSAGE, "note")
    if len(note) > NOTE_MAX:
        raise AttachmentRefused(422, "note", f"At most {NOTE_MAX} characters.", "note")
    return note or None


def _limits(settings: Settings) -> Limits:
    return Limits(
        max_pixels=settings.attachment_max_pixels,
        max_side=settings.attachment_image_max_side,
        thumbnail_side=settings.attachment_thumbnail_side,
    )


def attachment_count(session: Session, case: Case) -> int:
    return session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.case_id == case.id)
    )


def add_attachment(
    session: Session,
    store: Storage,
    settings: Settings,
    case: Case,
    upload: Upload,
    kind: AttachmentKind,
    note: str | None,
    actor: Actor,
) -> Attachment:
    """Judge, re-encode, store and record one file; AttachmentRefused when not kept.

    The caller holds the case's row lock, so the count limit holds under concurrency.
    """
    if attachment_count(session, case) >= settings.attachment_max_per_case:
        raise AttachmentRefused(
            409,
            "file",
            f"This case already has {settings.attachment_max_per_case} attachments.",
            "count",
        )
    try:
        kept = process(upload.data, _limits(settings))
    except FileRefused as refused:
        raise AttachmentRefused(
            refused.status, "file", refused.message, refused.reason
        ) from refused
    now = utcnow()
    attachment_id = uuid.uuid4()
    stem = upload.filename.rsplit(".", 1)[0] if "." in upload.filename else upload.filename
    attachment = Attachment(
        id=attachment_id,
        case_id=case.id,
        kind=kind,
        note=note,
        # The name says what the file really is, whatever it was called.
        filename=f"{stem[:100] or 'upload'}.{kept.extension}",
        content_type=kept.content_type,
        size_bytes=len(kept.data),
        uploaded_bytes=len(upload.data),
        width=kept.width,
        height=kept.height,
        sha256=hashlib.sha256(kept.data).hexdigest(),
        storage_key=f"{case.id}/{attachment_id}/file.{kept.extension}",
        thumbnail_key=f"{case.id}/{attachment_id}/thumbnail.jpg" if kept.thumbnail else None,
        uploaded_by_type=actor.type.value,
        uploaded_by_id=actor.id,
        uploaded_by_name=actor.name,
        created_at=now,
    )
    written: list[str] = []
    try:
        store.put(attachment.storage_key, kept.data, kept.content_type)
        written.append(attachment.storage_key)
        if attachment.thumbnail_key and kept.thumbnail:
            store.put(attachment.thumbnail_key, kept.thumbnail, "image/jpeg")
            written.append(attachment.thumbnail_key)
        session.add(attachment)
        record_event(
            session,
            case,
            "attach",
            actor,
            case.status,
            note,
            {
                "attachment_id": str(attachment_id),
                "kind": kind.value,
                "filename": attachment.filename,
            },
            now,
        )
    except BaseException:
        for key in written:
            store.delete(key)
        raise
    # Should the request's transaction roll back later, the files go too.
    db.on_rollback(lambda: [store.delete(key) for key in written])
    return attachment


def case_attachments(session: Session, case: Case) -> list[Attachment]:
    return list(
        session.scalars(
            select(Attachment)
            .where(Attachment.case_id == case.id)
            .order_by(Attachment.created_at, Attachment.id)
        )
    )


def find_attachment(session: Session, case: Case, attachment_id: uuid.UUID) -> Attachment | None:
    """The attachment of this case (never another case's, whatever id is asked for)."""
    return session.scalars(
        select(Attachment).where(Attachment.case_id == case.id, Attachment.id == attachment_id)
    ).one_or_none()


def remove_attachment(
    session: Session, store: Storage, case: Case, attachment: Attachment, actor: Actor
) -> None:
    """Delete the row now and the files once that is committed (a rolled-back delete
    must not lose them)."""
    keys = [key for key in (attachment.storage_key, attachment.thumbnail_key) if key]
    session.delete(attachment)
    record_event(
        session,
        case,
        "detach",
        actor,
        case.status,
        None,
        {"attachment_id": str(attachment.id), "filename": attachment.filename},
        utcnow(),
        internal=True,
    )
    db.after_commit(lambda: [store.delete(key) for key in keys])
