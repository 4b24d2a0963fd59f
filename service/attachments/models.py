"""An attachment: one stored file of a case, and who put it there."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, IdMixin, str_enum, utcnow


class AttachmentKind(enum.StrEnum):
    #: The customer's photos of the fault or damage (at intake, from the status page).
    damage_photo = "damage_photo"
    #: The desk's photos of the goods as they arrived (at receipt).
    goods_in_photo = "goods_in_photo"
    #: Proof of purchase.
    invoice = "invoice"
    #: Anything else: a repair report, a delivery note.
    document = "document"


class Attachment(IdMixin, Base):
    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_case_created", "case_id", "created_at"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[AttachmentKind] = mapped_column(str_enum(AttachmentKind, "attachment_kind"))
    note: Mapped[str | None] = mapped_column(Text)
    #: The name the file was sent with, for display and download only (never a path).
    filename: Mapped[str] = mapped_column(String(255))
    #: What the stored file is (sniffed, and re-encoded for images).
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    #: The size of what was uploaded (images are re-encoded, so usually differ).
    uploaded_bytes: Mapped[int]
    width: Mapped[int | None]
    height: Mapped[int | None]
    #: SHA-256 of the stored file: its ETag.
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    thumbnail_key: Mapped[str | None] = mapped_column(String(255))
    #: staff, storefront or customer (service.core.auth.ActorType).
    uploaded_by_type: Mapped[str] = mapped_column(String(16))
    uploaded_by_id: Mapped[uuid.UUID | None]
    uploaded_by_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
