"""The customer pages' routes: read the link, call one service function, render.

GETs only read. POSTs lock the case row, check the form's binding, decide, commit once
and then hand the notices to RQ. Every refusal is a page (never a JSON error, never
a 500), and a page for a bad link shows nothing of any case.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from service.attachments.models import AttachmentKind
from service.attachments.processing import PDF, sniff
from service.attachments.service import (
    AttachmentRefused,
    add_attachment,
    case_attachments,
    find_attachment,
    parse_note,
    read_upload,
)
from service.attachments.serving import file_response, raise_body_limit
from service.attachments.storage import storage
from service.core import db
from service.core.db import utcnow
from service.core.ratelimit import limit_ip
from service.customer_pages import forms
from service.customer_pages.forms import FormInvalid
from service.customer_pages.service import (
    PageNotice,
    answer_survey,
    case_for_token,
    customer_actor,
    decide_quote,
    open_survey,
    quote_decidable,
)
from service.customer_pages.strings import DEFAULT_LOCALE, STRINGS, translator
from service.customer_pages.views import Presenter
from service.links import LinkExpired, LinkInvalid, make_token
from service.quotes.service import current_quote

bp = Blueprint("customer_pages", __name__, template_folder="templates")


@bp.before_request
def _limit_per_ip() -> None:
    # A link's token is its only key: a client guessing tokens is held to a budget.
    limit_ip("customer_pages")


# Inline CSS is all the pages use; nothing else may load, and no one may frame the
# approve button (clickjacking).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


@bp.after_request
def _page_headers(response: Response) -> Response:
    # The token in the URL is the customer's key: keep it out of Referer headers (the
    # carrier's tracking site), shared caches and search engines.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _page(present: Presenter, template: str, status: int = 200, **context: Any) -> Response:
    case = present.case
    html = render_template(
        f"customer_pages/{template}",
        locale=present.locale,
        t=present.t,
        present=present,
        case=case,
        storefront_name=present.storefront_name,
        status_url=url_for(".status", token=make_token(case, "status")),
        quote_url=url_for(".quote", token=make_token(case, "quote")),
        **context,
    )
    return Response(html, status, content_type="text/html; charset=utf-8")


def _quote_page(
    present: Presenter, token: str, now: datetime, status: int = 200, **context: Any
) -> Response:
    case = present.case
    quote = current_quote(case)
    if quote is None:
        return _page(present, "notice.html", 404, title="no_quote_title", body="no_quote_body")
    return _page(
        present,
        "quote.html",
        status,
        token=token,
        quote=present.quote(quote, now),
        decidable=quote_decidable(case, quote, now),
        binding=forms.bind(forms.QUOTE_FORM, case.id, quote.id),
        **context,
    )


def _survey_page(
    present: Presenter, token: str, survey_id: Any, status: int = 200, **context: Any
) -> Response:
    context.setdefault("values", {})
    context.setdefault("errors", {})
    return _page(
        present,
        "survey.html",
        status,
        token=token,
        binding=forms.bind(forms.SURVEY_FORM, present.case.id, survey_id),
        **context,
    )


def _committed() -> None:
    db.session().commit()
    # Only now may the notices the decision wrote be handed to the workers.
    db.run_after_commit()


# --- status ------------------------------------------------------------------------


def _status_page(present: Presenter, token: str, status: int = 200, **context: Any) -> Response:
    session = db.session()
    case = present.case
    now = utcnow()
    quote = current_quote(case)
    return _page(
        present,
        "status.html",
        status,
        token=token,
        quote=present.quote(quote, now) if quote else None,
        quote_waiting=quote_decidable(case, quote, now),
        conversation=present.conversation(session),
        attachments=case_attachments(session, case),
        photo_binding=forms.bind(forms.PHOTO_FORM, case.id, case.id),
        **context,
    )


@bp.get("/c/<token>")
def status(token: str) -> Response:
    session = db.session()
    case = case_for_token(session, token, "status")
    return _status_page(Presenter(session, case), token, added=request.args.get("added") == "1")


# --- photos: the customer's own, from a phone; the desk's, to look at ------------------


@bp.post("/c/<token>/attachments")
def add_photo(token: str) -> Response:
    raise_body_limit()
    session = db.session()
    case = case_for_token(session, token, "status", for_update=True)
    present = Presenter(session, case)
    try:
        forms.bound_id(forms.PHOTO_FORM, request.form, case.id)
        note = parse_note(forms.clean_text(request.form.get("note", "")))
        part = request.files.get("file")
        settings = current_app.config["SETTINGS"]
        upload = read_upload(
            part.stream if part and part.filename else None, part and part.filename, settings
        )
        kind = AttachmentKind.invoice if sniff(upload.data) == PDF else AttachmentKind.damage_photo
        add_attachment(session, storage(), settings, case, upload, kind, note, customer_actor(case))
    except RequestEntityTooLarge:
        db.rollback()
        return _status_page(present, token, 413, photo_error="photo_error_too_large")
    except AttachmentRefused as refused:
        db.rollback()
        return _status_page(
            present, token, refused.status, photo_error=f"photo_error_{refused.reason}"
        )
    _committed()
    return redirect(url_for(".status", token=token, added=1, _anchor="photos"), 303)


@bp.get("/c/<token>/attachments/<uuid:attachment_id>")
def attachment_file(token: str, attachment_id: uuid.UUID) -> Response:
    return _attachment(token, attachment_id, thumbnail=False)


@bp.get("/c/<token>/attachments/<uuid:attachment_id>/thumbnail")
def attachment_thumbnail(token: str, attachment_id: uuid.UUID) -> Response:
    return _attachment(token, attachment_id, thumbnail=True)


def _attachment(token: str, attachment_id: uuid.UUID, thumbnail: bool) -> Response:
    session = db.session()
    case = case_for_token(session, token, "status")
    attachment = find_attachment(session, case, attachment_id)
    response = file_response(attachment, thumbnail) if attachment else None
    if response is None:
        return _caseless_page(404, "error_title", "error_body")
    return response


# --- quote approval ----------------------------------------------------------------


@bp.get("/c/quote/<token>")
def quote(token: str) -> Response:
    session = db.session()
    case = case_for_token(session, token, "quote")
    return _quote_page(Presenter(session, case), token, utcnow())


@bp.post("/c/quote/<token>/approve")
def approve_quote(token: str) -> Response:
    return _decide(token, approve=True)


@bp.post("/c/quote/<token>/decline")
def decline_quote(token: str) -> Response:
    return _decide(token, approve=False)


@bp.get("/c/quote/<token>/approve")
@bp.get("/c/quote/<token>/decline")
def decision_by_get(token: str) -> Response:
    # A bookmarked or reloaded confirmation URL: show the quote, decide nothing.
    return redirect(url_for(".quote", token=token), 303)


def _decide(token: str, approve: bool) -> Response:
    session = db.session()
    case = case_for_token(session, token, "quote", for_update=True)
    quote_id = forms.bound_id(forms.QUOTE_FORM, request.form, case.id)
    present = Presenter(session, case)
    now = utcnow()
    reason = None
    if not approve:
        parsed = forms.parse_reason(request.form)
        if parsed.error:
            return _quote_page(
                present, token, now, 422, reason=parsed.reason, reason_error=parsed.error
            )
        reason = parsed.reason
    decision = decide_quote(session, case, quote_id, approve, reason, now)
    _committed()
    return _page(
        present, "quote_done.html", decision=decision, quote=present.quote(decision.quote, now)
    )


# --- survey ------------------------------------------------------------------------


@bp.get("/c/survey/<token>")
def survey(token: str) -> Response:
    # Shows the form only: link scanners open every link they see.
    session = db.session()
    case = case_for_token(session, token, "survey")
    found = open_survey(session, case, utcnow())
    return _survey_page(Presenter(session, case), token, found.id)


@bp.post("/c/survey/<token>")
def submit_survey(token: str) -> Response:
    session = db.session()
    case = case_for_token(session, token, "survey", for_update=True)
    survey_id = forms.bound_id(forms.SURVEY_FORM, request.form, case.id)
    present = Presenter(session, case)
    now = utcnow()
    found = open_survey(session, case, now, form_survey_id=survey_id)
    parsed = forms.parse_survey(request.form)
    if parsed.errors:
        return _survey_page(
            present, token, found.id, 422, values=parsed.values, errors=parsed.errors
        )
    answer_survey(session, case, found, parsed.answers, now)
    _committed()
    return _page(
        present, "notice.html", title="survey_thanks_title", body="survey_thanks_body", done=True
    )


# --- pages for what did not happen ----------------------------------------------------


def _caseless_page(status: int, title: str, body: str) -> Response:
    """A page for a request we cannot tie to a case: in the browser's language first,
    then the other, since we do not know the customer's."""
    preferred = request.accept_languages.best_match(list(STRINGS), default=DEFAULT_LOCALE)
    locales = [preferred, *(locale for locale in STRINGS if locale != preferred)]
    html = render_template(
        "customer_pages/caseless.html",
        locale=preferred,
        t=translator(preferred),
        messages=[(locale, translator(locale)) for locale in locales],
        title=title,
        body=body,
    )
    return Response(html, status, content_type="text/html; charset=utf-8")


@bp.errorhandler(LinkInvalid)
def _link_invalid(_error: LinkInvalid) -> Response:
    return _caseless_page(403, "link_invalid_title", "link_invalid_body")


@bp.errorhandler(LinkExpired)
def _link_expired(_error: LinkExpired) -> Response:
    return _caseless_page(410, "link_expired_title", "link_expired_body")


@bp.errorhandler(FormInvalid)
def _form_invalid(_error: FormInvalid) -> Response:
    db.rollback()
    return _caseless_page(403, "form_invalid_title", "form_invalid_body")


@bp.errorhandler(PageNotice)
def _notice(notice: PageNotice) -> Response:
    db.rollback()
    present = Presenter(db.session(), notice.case)
    values = {
        name: present.when(value) if isinstance(value, datetime) else value
        for name, value in notice.values.items()
    }
    return _page(
        present,
        "notice.html",
        notice.status,
        title=notice.title,
        body=notice.body,
        values=values,
        done=notice.status < 300,
    )


@bp.errorhandler(OperationalError)
def _busy(_error: OperationalError) -> Response:
    db.rollback()
    return _caseless_page(503, "busy_title", "busy_body")


@bp.errorhandler(IntegrityError)
@bp.errorhandler(StaleDataError)
def _changed_meanwhile(_error: Exception) -> Response:
    # The row lock makes this unlikely; should the case change under us all the same,
    # the customer may simply try again.
    db.rollback()
    return _caseless_page(409, "busy_title", "busy_body")


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    # Oversized or malformed forms and the like: still a page, never the API's JSON.
    return _caseless_page(error.code or 400, "error_title", "error_body")


#: The path prefix of these pages: an error before any route matched is still a page.
PREFIX = "/c/"


def unrouted_error(error: HTTPException) -> Response:
    """A path under /c/ that no page has (a link cut short in a message), or a method
    none takes: the friendly page with the pages' headers, never the API's JSON."""
    if error.code == 404:
        response = _caseless_page(404, "link_invalid_title", "link_invalid_body")
    else:
        response = _caseless_page(error.code or 400, "error_title", "error_body")
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return _page_headers(response)
