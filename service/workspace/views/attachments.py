"""The case page's photos and documents: POST /cases/<id>/attachments uploads one (the
desk's goods-in photos at receipt, an invoice), GET .../<attachment> and .../thumbnail
serve them to signed-in staff, POST .../<attachment>/remove removes one.

The same service functions as the API (service.attachments.service) judge and store the
file; a refused file comes back on the case page with the reason, nothing stored.
"""

from __future__ import annotations

import uuid

from flask import Response, current_app, request
from flask_babel import gettext as _

from service.attachments.models import AttachmentKind
from service.attachments.service import (
    AttachmentRefused,
    add_attachment,
    find_attachment,
    parse_kind,
    parse_note,
    read_upload,
    remove_attachment,
)
from service.attachments.serving import file_response
from service.attachments.storage import storage
from service.core import db
from service.workspace.actions import case_or_404
from service.workspace.pages import (
    CASE_PAGE,
    PageError,
    bp,
    commit,
    redirect_to,
    staff_page,
    workspace_actor,
)
from service.workspace.views.case import case_page


def _reason(refused: AttachmentRefused) -> str:
    settings = current_app.config["SETTINGS"]
    reasons = {
        "missing": _("Choose a file to upload."),
        "empty": _("The file is empty."),
        "too_large": _(
            "The file is larger than %(megabytes)s MB.",
            megabytes=round(settings.attachment_max_bytes / 1_048_576, 1),
        ),
        "type": _("Only photos (JPEG, PNG, WebP, HEIC) and PDF files can be attached."),
        "pixels": _(
            "The picture has too many pixels (at most %(n)d).", n=settings.attachment_max_pixels
        ),
        "unreadable": _("The picture cannot be read: it is damaged or cut short."),
        "count": _("This case already has %(n)d attachments.", n=settings.attachment_max_per_case),
        "kind": _("Choose what the file is."),
        "note": _("The note holds characters that cannot be stored, or is too long."),
    }
    return reasons.get(refused.reason, refused.message)


@bp.post("/cases/<case_id>/attachments")
@staff_page()
def upload_attachment(case_id: str) -> Response:
    case = case_or_404(case_id, for_update=True)
    settings = current_app.config["SETTINGS"]
    try:
        kind = parse_kind(request.form.get("kind"), AttachmentKind.goods_in_photo)
        note = parse_note(request.form.get("note"))
        part = request.files.get("file")
        upload = read_upload(
            part.stream if part and part.filename else None, part and part.filename, settings
        )
        add_attachment(
            db.session(), storage(), settings, case, upload, kind, note, workspace_actor()
        )
    except AttachmentRefused as refused:
        db.rollback()
        return case_page(case_id, status=refused.status, attachment_error=_reason(refused))
    commit()
    return redirect_to(CASE_PAGE, case_id=case.id, _anchor="attachments")


def _served(case_id: str, attachment_id: uuid.UUID, thumbnail: bool) -> Response:
    attachment = find_attachment(db.session(), case_or_404(case_id), attachment_id)
    response = file_response(attachment, thumbnail) if attachment else None
    if response is None:
        raise PageError(404, _("There is no such file."))
    return response


@bp.get("/cases/<case_id>/attachments/<uuid:attachment_id>")
@staff_page()
def attachment_file(case_id: str, attachment_id: uuid.UUID) -> Response:
    return _served(case_id, attachment_id, thumbnail=False)


@bp.get("/cases/<case_id>/attachments/<uuid:attachment_id>/thumbnail")
@staff_page()
def attachment_thumbnail(case_id: str, attachment_id: uuid.UUID) -> Response:
    return _served(case_id, attachment_id, thumbnail=True)


@bp.post("/cases/<case_id>/attachments/<uuid:attachment_id>/remove")
@staff_page()
def remove_attachment_page(case_id: str, attachment_id: uuid.UUID) -> Response:
    case = case_or_404(case_id, for_update=True)
    attachment = find_attachment(db.session(), case, attachment_id)
    if attachment is None:
        raise PageError(404, _("There is no such file."))
    remove_attachment(db.session(), storage(), case, attachment, workspace_actor())
    commit()
    return redirect_to(CASE_PAGE, case_id=case.id, _anchor="attachments")
