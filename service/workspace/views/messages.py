"""Writing to the customer from the case page: POST /cases/<ref>/messages takes the
form (channels, a typed text or a saved reply, or an internal note), loads it with the
API's `MessageInSchema` and sends it through `conversations.outbound.write_message`:
the same outbox, consent, quiet hours and first-response rule as the API's
`POST /cases/{id}/messages`. The conversation itself is drawn by the case page
(`case_view.case_context`).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, request
from flask_babel import gettext as _

from service.conversations.outbound import MessageError, write_message
from service.conversations.schemas import MessageInSchema
from service.core import db
from service.core.db import utcnow
from service.workspace.actions import case_or_404
from service.workspace.case_view import case_context
from service.workspace.pages import (
    CASE_PAGE,
    bp,
    commit,
    redirect_to,
    render,
    staff_page,
    workspace_actor,
)


def _form_data() -> dict[str, Any]:
    """The form as the API's body: empty fields are absent, not empty strings."""
    data: dict[str, Any] = {"channels": request.form.getlist("channels") or ["email"]}
    if request.form.get("internal"):
        data["internal"] = True
    if macro_id := request.form.get("macro_id", "").strip():
        data["macro_id"] = macro_id
    if body := request.form.get("body", "").strip():
        data["body"] = body
    return data


@bp.post("/cases/<case_id>/messages")
@staff_page()
def write_to_customer(case_id: str) -> Response:
    case = case_or_404(case_id, for_update=True)
    try:
        data = MessageInSchema().load(_form_data())
        write_message(db.session(), case, data, workspace_actor())
    except (ma.ValidationError, MessageError) as error:
        db.rollback()
        errors = error.messages if isinstance(error, ma.ValidationError) else {error.field: [error]}
        problems = "; ".join(
            f"{field}: {' '.join(str(m) for m in messages)}"
            for field, messages in errors.items()  # type: ignore[union-attr]
        )
        case = case_or_404(case_id)
        return render(
            "workspace/case.html",
            status=422,
            **case_context(case, utcnow()),
            banner=_("The message was not sent: %(problems)s", problems=problems),
            message_values=request.form,
            open_form="message",
        )
    commit()
    return redirect_to(CASE_PAGE, case_id=case.id)
