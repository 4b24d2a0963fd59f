"""Sending a stored file back: the same answer for the API, the workspace and the
customer's page, so none of them can serve a file in a riskier way than the others."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, request, send_file
from werkzeug.exceptions import RequestEntityTooLarge

from service.attachments.models import Attachment
from service.attachments.processing import THUMBNAIL_TYPE
from service.attachments.service import upload_body_limit
from service.attachments.storage import BlobMissing, storage


def file_response(attachment: Attachment, thumbnail: bool = False) -> Response | None:
    """The file (or its thumbnail); None when there is none to send."""
    key = attachment.thumbnail_key if thumbnail else attachment.storage_key
    if key is None:
        return None
    try:
        data = storage().get(key)
    except BlobMissing:
        current_app.logger.warning("attachment %s has no stored file %s", attachment.id, key)
        return None
    response = send_file(
        io.BytesIO(data),
        mimetype=THUMBNAIL_TYPE if thumbnail else attachment.content_type,
        # PDFs are never shown inline: a browser's PDF viewer runs its scripts.
        as_attachment=not thumbnail and not attachment.is_image,
        download_name=attachment.filename
        if not thumbnail
        else f"{attachment.filename.rsplit('.', 1)[0]}-thumbnail.jpg",
        etag=f"{attachment.sha256}-{'t' if thumbnail else 'f'}",
        conditional=True,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Opened directly, the file can run nothing and reach nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def raise_body_limit() -> None:
    """Let this request's body be as large as an upload may be (Flask reads the limit
    when the body is first read)."""
    request.max_content_length = upload_body_limit(current_app.config["SETTINGS"])


def upload_body(on_too_large: Callable[[str], Any]) -> Callable[[Callable[..., Any]], Any]:
    """An upload view: a larger body allowed; a body past even that answered by
    `on_too_large(message)` (the 413 in the caller's own shape) before it is read."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            raise_body_limit()
            try:
                return view(*args, **kwargs)
            except RequestEntityTooLarge:
                limit = current_app.config["SETTINGS"].attachment_max_bytes
                return on_too_large(f"The file is larger than {limit} bytes.")

        return wrapper

    return decorator
