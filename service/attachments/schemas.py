"""The attachment as the API shows it, and the upload's multipart body (for the spec)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import url_for

from service.attachments.models import Attachment, AttachmentKind
from service.attachments.processing import accepted_types
from service.core.api import Schema


def _url(attachment: Attachment, endpoint: str) -> str:
    return url_for(
        f"attachments.{endpoint}",
        case_ref=str(attachment.case_id),
        attachment_id=attachment.id,
        _external=False,
    )


class UploaderSchema(Schema):
    type = ma.fields.String(metadata={"description": "staff, storefront or customer"})
    name = ma.fields.String()


class AttachmentSchema(Schema):
    id = ma.fields.UUID()
    case_id = ma.fields.UUID()
    kind = ma.fields.Enum(AttachmentKind, by_value=True)
    note = ma.fields.String(allow_none=True)
    filename = ma.fields.String(
        metadata={"description": "The name sent, with the extension of what the file is."}
    )
    content_type = ma.fields.String(
        metadata={"description": "Sniffed from the content; images as re-encoded."}
    )
    size_bytes = ma.fields.Integer()
    width = ma.fields.Integer(allow_none=True)
    height = ma.fields.Integer(allow_none=True)
    sha256 = ma.fields.String(metadata={"description": "Of the stored file (its ETag)."})
    uploaded_by = ma.fields.Method("_uploader")
    created_at = ma.fields.AwareDateTime()
    content_url = ma.fields.Method("_content_url")
    thumbnail_url = ma.fields.Method(
        "_thumbnail_url",
        allow_none=True,
        metadata={"description": "A JPEG at most ATTACHMENT_THUMBNAIL_SIDE wide; null for PDFs."},
    )

    def _uploader(self, attachment: Attachment) -> dict[str, Any]:
        return {"type": attachment.uploaded_by_type, "name": attachment.uploaded_by_name}

    def _content_url(self, attachment: Attachment) -> str:
        return _url(attachment, "attachment_content")

    def _thumbnail_url(self, attachment: Attachment) -> str | None:
        return _url(attachment, "attachment_thumbnail") if attachment.thumbnail_key else None


#: The upload's body as the spec documents it (the view reads the form itself, after
#: finding the case, so another storefront's caller learns nothing from a 422).
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "The file; its type is read from its content: "
                        + ", ".join(accepted_types())
                        + ". Images are re-encoded without their metadata.",
                    },
                    "kind": {
                        "type": "string",
                        "enum": [kind.value for kind in AttachmentKind],
                        "default": AttachmentKind.document.value,
                    },
                    "note": {"type": "string", "maxLength": 2000},
                },
            }
        }
    },
}


BINARY = {"type": "string", "format": "binary"}


def binary_response(description: str, content_types: list[str]) -> dict[str, Any]:
    return {
        "description": description,
        "content": {kind: {"schema": BINARY} for kind in content_types},
    }
