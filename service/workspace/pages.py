"""The workspace blueprint and what every page shares: who is signed in
(`@staff_page`), the `Actor` they act as, rendering a page or one of its blocks, the
navigation, committing, and the pages' security headers."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from jinja2_fragments.flask import render_block

from service.core import db
from service.core.auth import Actor, Principal
from service.core.db import utcnow
from service.staff.models import StaffRole, StaffUser
from service.workspace.i18n import LANGUAGE_NAMES, page_locale
from service.workspace.sessions import current_session
from service.workspace.words import clock_word, word

bp = Blueprint(
    "workspace",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/workspace/static",
)

#: The staff session cookie: a random token, nothing else (see service.workspace.sessions).
COOKIE = "aftersales_staff"
#: Everything the pages load comes from here; nothing may come from another host.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

ALL_STAFF = frozenset(StaffRole)
ADMINS = frozenset({StaffRole.admin})
#: Who reads reports (service.reports.service.REPORT_READERS; kept here so the navigation
#: needs no import of the reports feature).
REPORTS = frozenset({StaffRole.supervisor, StaffRole.admin, StaffRole.qa_reviewer})


@dataclass(frozen=True)
class NavItem:
    label: Any
    endpoint: str
    #: `g` then this key goes there.
    key: str
    roles: frozenset[StaffRole] = ALL_STAFF


#: The header's navigation. An item shows when its endpoint exists (pages register
#: themselves) and the person's role is in `roles`.
NAV = (
    NavItem(_l("Queue"), "workspace.queue", "q"),
    NavItem(_l("Goods-in"), "workspace.goods_in", "i"),
    NavItem(_l("Reports"), "workspace.reports", "r", REPORTS),
    NavItem(_l("Quality"), "workspace.quality", "u"),
    NavItem(_l("Admin"), "workspace.admin", "a", ADMINS),
)


class PageError(Exception):
    """Stop and show the error page with `status` and `message` (already translated)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def signed_in_staff() -> StaffUser | None:
    """The person signed in on this request (loads the session once per request)."""
    if "staff" not in g:
        settings = current_app.config["SETTINGS"]
        found = current_session(
            db.session(),
            request.cookies.get(COOKIE),
            timedelta(minutes=settings.staff_session_idle_minutes),
            utcnow(),
        )
        # An expired session was deleted, a live one perhaps touched: keep that.
        db.session().commit()
        g.staff = found.staff_user if found else None
        if g.staff is not None:
            # The API's principal: schemas and checks written for the API work unchanged.
            g.principal = Principal(staff=g.staff)
    return g.staff


def workspace_actor() -> Actor:
    """The signed-in person as the timeline and `perform()` know them (as in the API)."""
    return g.principal.actor


def staff_page(
    roles: Iterable[StaffRole] = ALL_STAFF,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Require a signed-in person with one of `roles`: others are sent to sign in, or
    get a 403 page. Use the same role sets as the API (service.cases.transitions DESK,
    WORKSHOP, SUPERVISORS) so the page refuses what the API refuses."""
    allowed = frozenset(roles)

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            staff = signed_in_staff()
            if staff is None:
                target = url_for("workspace.login", next=request.full_path.rstrip("?"))
                if request.headers.get("HX-Request"):
                    # htmx would swap the login page into a fragment: have it navigate.
                    return Response(status=401, headers={"HX-Redirect": target})
                return redirect(target)
            if staff.role not in allowed:
                raise PageError(403, gettext("Your role may not use this page."))
            return view(*args, **kwargs)

        wrapper.staff_roles = allowed  # type: ignore[attr-defined]
        return wrapper

    return decorator


def may(*roles: StaffRole) -> bool:
    """In templates: `{% if may(*DESK) %}` shows a control only to those roles."""
    staff = g.get("staff")
    return staff is not None and staff.role in roles


def is_htmx() -> bool:
    """An htmx request that wants a fragment (a boosted link wants the whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def render(
    template: str, fragment: str | None = None, status: int = 200, **context: Any
) -> Response:
    """The whole page, or for an htmx request just the block `fragment` of the same
    template (jinja2-fragments): one template, never two copies."""
    if fragment and is_htmx():
        html = render_block(template, fragment, **context)
    else:
        html = render_template(template, **context)
    return Response(html, status, content_type="text/html; charset=utf-8")


def commit() -> None:
    """Commit the request's work once, then hand its notices to the workers."""
    db.session().commit()
    db.run_after_commit()


def parse_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def has_endpoint(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


#: The case page's endpoint; it takes `case_id` (the case's uuid: numbers are unique
#: per storefront only).
CASE_PAGE = "workspace.case"


def case_href(case: Any) -> str:
    """Where a case opens: its page, or (until a case page exists) the queue showing it."""
    if not has_endpoint(CASE_PAGE):
        return url_for("workspace.queue", q=case.number, status="all")
    if "case_url" not in g:
        # Built once per request: a list page links fifty cases.
        sample = uuid.UUID(int=0)
        g.case_url = url_for(CASE_PAGE, case_id=sample).split(str(sample))
    head, tail = g.case_url
    return f"{head}{case.id}{tail}"


def nav_items() -> list[NavItem]:
    staff = g.get("staff")
    if staff is None:
        return []
    return [i for i in NAV if has_endpoint(i.endpoint) and staff.role in i.roles]


@bp.app_context_processor
def _layout_context() -> dict[str, Any]:
    # Only workspace pages use these; computing them is cheap and lazy enough.
    return {
        "may": may,
        "has_endpoint": has_endpoint,
        "case_href": case_href,
        "nav_items": nav_items,
        "page_locale": page_locale,
        "LANGUAGE_NAMES": LANGUAGE_NAMES,
        "word": word,
        "clock_word": clock_word,
    }


@bp.after_request
def _page_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "workspace.static":
        # Pages show customers' data: never kept by shared caches or the back button.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Vary"] = "Cookie, HX-Request"
    return response


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path on this site (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("workspace.queue")


def redirect_to(endpoint: str, **values: Any) -> Response:
    """After a successful POST: a 303 to the page (htmx follows it too)."""
    return redirect(url_for(endpoint, **values), 303)
