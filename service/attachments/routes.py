"""Attachments over the API: upload (multipart), list, metadata, the file, its
thumbnail, and removal (staff).

Every route finds the case in the caller's scope first: another storefront's caller
gets the 404 of a case that does not exist, whatever else is wrong with the request.
"""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from flask import current_app, g, request, url_for
from flask.views import MethodView
from flask_smorest import abort

from service.attachments.models import Attachment, AttachmentKind
from service.attachments.processing import THUMBNAIL_TYPE, accepted_types
from service.attachments.schemas import UPLOAD_BODY, AttachmentSchema, binary_response
from service.attachments.service import (
    AttachmentRefused,
    add_attachment,
    case_attachments,
    find_attachment,
    parse_kind,
    parse_note,
    read_upload,
    remove_attachment,
)
from service.attachments.serving import file_response, upload_body
from service.attachments.storage import storage
from service.cases.intake import get_case
from service.cases.models import Case
from service.core import db
from service.core.api import Blueprint, transaction
from service.core.auth import require_staff

blp = Blueprint(
    "attachments", __name__, url_prefix="/cases", description="Photos and documents on a case"
)

ATTACHMENT = "/<string:case_ref>/attachments/<uuid:attachment_id>"
#: Where each field of the multipart body is named in an error.
LOCATIONS = {"file": "files", "kind": "form", "note": "form"}


def _case_or_404(ref: str, for_update: bool = False) -> Case:
    case = get_case(db.session(), g.principal.scope, ref, for_update=for_update)
    if case is None:
        abort(404, message=f"No case {ref}.")
    return case


def _attachment_or_404(case_ref: str, attachment_id: uuid.UUID) -> Attachment:
    attachment = find_attachment(db.session(), _case_or_404(case_ref), attachment_id)
    if attachment is None:
        abort(404, message=f"No attachment {attachment_id} on case {case_ref}.")
    return attachment


def _refused(error: AttachmentRefused) -> NoReturn:
    location = LOCATIONS[error.field]
    abort(error.status, message=error.message, errors={location: {error.field: [error.message]}})


def _too_large(message: str) -> NoReturn:
    abort(413, message=message, errors={"files": {"file": [message]}})


@blp.route("/<string:case_ref>/attachments")
class AttachmentsViews(MethodView):
    @blp.auth_required
    @blp.response(200, AttachmentSchema(many=True))
    def get(self, case_ref: str) -> list[Attachment]:
        """The case's attachments, oldest first"""
        return case_attachments(db.session(), _case_or_404(case_ref))

    @blp.auth_required
    @upload_body(_too_large)
    @blp.doc(requestBody=UPLOAD_BODY)
    @blp.alt_response(400, description="A bad Idempotency-Key, or not a multipart body")
    @blp.alt_response(409, description="The case already has ATTACHMENT_MAX_PER_CASE files")
    @blp.alt_response(413, description="The file is larger than ATTACHMENT_MAX_BYTES")
    @blp.alt_response(415, description="Not a file type we keep (judged from its content)")
    @blp.alt_response(422, description="An unreadable or too large image, or a bad kind or note")
    @transaction(idempotent=True)
    @blp.response(201, AttachmentSchema)
    def post(self, case_ref: str) -> Any:
        """Attach a photo or document (multipart/form-data: file, kind, note)

        The type is read from the content, never from the name or the declared type.
        Images (JPEG, PNG, WebP, HEIC) are turned upright, stripped of their metadata (EXIF
        with its GPS position among it), scaled to ATTACHMENT_IMAGE_MAX_SIDE and given
        a thumbnail; PDFs are kept as sent. A timeline entry records the upload.
        """
        case = _case_or_404(case_ref, for_update=True)
        if request.mimetype != "multipart/form-data":
            message = "Send the file as multipart/form-data, in a part named `file`."
            abort(415, message=message, errors={"files": {"file": [message]}})
        settings = current_app.config["SETTINGS"]
        try:
            kind = parse_kind(request.form.get("kind"), AttachmentKind.document)
            note = parse_note(request.form.get("note"))
            part = request.files.get("file")
            upload = read_upload(part.stream if part else None, part and part.filename, settings)
            attachment = add_attachment(
                db.session(), storage(), settings, case, upload, kind, note, g.principal.actor
            )
        except AttachmentRefused as error:
            _refused(error)
        location = url_for(".AttachmentById", case_ref=case_ref, attachment_id=attachment.id)
        return attachment, {"Location": location, "ETag": f'"{attachment.sha256}"'}


@blp.route(ATTACHMENT)
class AttachmentById(MethodView):
    @blp.auth_required
    @blp.response(200, AttachmentSchema)
    def get(self, case_ref: str, attachment_id: uuid.UUID) -> Any:
        """One attachment's metadata"""
        attachment = _attachment_or_404(case_ref, attachment_id)
        return attachment, {"ETag": f'"{attachment.sha256}"'}

    @blp.auth_required
    @blp.alt_response(403, description="Only service staff may do this")
    @transaction
    @blp.response(204)
    def delete(self, case_ref: str, attachment_id: uuid.UUID) -> None:
        """Remove an attachment (staff); the timeline keeps an internal entry"""
        case = _case_or_404(case_ref, for_update=True)
        attachment = find_attachment(db.session(), case, attachment_id)
        if attachment is None:
            abort(404, message=f"No attachment {attachment_id} on case {case_ref}.")
        require_staff()
        remove_attachment(db.session(), storage(), case, attachment, g.principal.actor)


@blp.route(f"{ATTACHMENT}/content", endpoint="attachment_content")
@blp.auth_required
@blp.doc(responses={"200": binary_response("The file", accepted_types())})
def attachment_content(case_ref: str, attachment_id: uuid.UUID) -> Any:
    """Download the file (images as re-encoded; PDFs as a download)"""
    response = file_response(_attachment_or_404(case_ref, attachment_id))
    if response is None:
        abort(404, message="The file is not in the store.")
    return response


@blp.route(f"{ATTACHMENT}/thumbnail", endpoint="attachment_thumbnail")
@blp.auth_required
@blp.doc(responses={"200": binary_response("The thumbnail", [THUMBNAIL_TYPE])})
def attachment_thumbnail(case_ref: str, attachment_id: uuid.UUID) -> Any:
    """The image's thumbnail (JPEG); 404 for a PDF"""
    response = file_response(_attachment_or_404(case_ref, attachment_id), thumbnail=True)
    if response is None:
        abort(404, message="This attachment has no thumbnail.")
    return response
