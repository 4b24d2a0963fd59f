"""Wiring the workspace into the app: the blueprint with its pages, languages, CSRF on
every POST, and errors shown as pages (never the API's JSON)."""

from __future__ import annotations

from importlib import import_module

from flask import Flask, Response, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from service.attachments.serving import raise_body_limit
from service.core import db
from service.workspace import i18n
from service.workspace.pages import PageError, bp, render

#: The page modules; each registers its routes on `bp` when imported.
VIEWS = (
    "service.workspace.views.auth",
    "service.workspace.views.queue",
    "service.workspace.views.case",
    "service.workspace.views.attachments",
    "service.workspace.views.messages",
    "service.workspace.views.calls",
    "service.workspace.views.goods_in",
    "service.workspace.views.admin_staff",
    "service.workspace.views.admin_storefronts",
    "service.workspace.views.admin_webhooks",
    "service.workspace.views.reports",
    "service.workspace.views.quality",
)

csrf = CSRFProtect()


#: Pages taking a file: their bodies may be as large as an upload (service/attachments/).
UPLOAD_ENDPOINTS = frozenset({"workspace.upload_attachment"})


@bp.before_request
def _check_csrf() -> None:
    # Before the token is read from the body, which is when Flask applies the limit.
    if request.endpoint in UPLOAD_ENDPOINTS:
        raise_body_limit()
    # Only the workspace's forms are protected this way: the API authenticates by
    # bearer token (no cookie, so no CSRF) and the customer pages sign their forms.
    csrf.protect()


def _error_page(status: int, message: str) -> Response:
    db.rollback()
    return render("workspace/error.html", status=status, code=status, message=message)


@bp.errorhandler(PageError)
def _page_error(error: PageError) -> Response:
    return _error_page(error.status, error.message)


@bp.errorhandler(CSRFError)
def _csrf_error(_error: CSRFError) -> Response:
    return _error_page(
        400, _("The form had expired or came from elsewhere. Reload the page and try again.")
    )


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    messages = {
        403: _("Your role may not do this."),
        404: _("There is no such page."),
        405: _("That page does not take this kind of request."),
        413: _("The file is too large."),
        429: _("Too many requests from your address. Wait a minute and try again."),
    }
    response = _error_page(error.code or 400, messages.get(error.code or 400, _("Bad request.")))
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    app.config.update(
        # Flask's signed cookie holds only the CSRF secret; who is signed in is the
        # server-side session of our own cookie.
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Checked by the blueprint above, not app-wide.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
    )
    csrf.init_app(app)
    i18n.init_app(app)
    for module in VIEWS:
        import_module(module)
    app.register_blueprint(bp)
