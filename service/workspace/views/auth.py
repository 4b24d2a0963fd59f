"""Signing in and out, the own password, the language switch; `/` goes to the queue."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from service.core import db
from service.core.db import utcnow
from service.core.ratelimit import per_ip_limit
from service.staff.accounts import MIN_PASSWORD_LENGTH
from service.workspace import sessions
from service.workspace.forms import ChangePasswordForm, LanguageForm, LoginForm
from service.workspace.i18n import LANGUAGE_COOKIE, LOCALES
from service.workspace.pages import (
    COOKIE,
    bp,
    commit,
    render,
    safe_next,
    signed_in_staff,
    staff_page,
)


def _set_session_cookie(response: Response, token: str) -> None:
    settings = current_app.config["SETTINGS"]
    response.set_cookie(
        COOKIE,
        token,
        # A browser session cookie; the server ends it after the idle timeout.
        secure=settings.secure_cookies,
        httponly=True,
        samesite="Lax",
        path="/",
    )


@bp.get("/")
def home() -> Response:
    if signed_in_staff() is None:
        return redirect(url_for(".login"))
    return redirect(url_for(".queue"))


@bp.route("/login", methods=["GET", "POST"])
@per_ip_limit("sign_in")
def login() -> Response:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if signed_in_staff() is not None:
            return redirect(safe_next(form.next.data))
        return render("workspace/login.html", form=form)
    status = 422
    if form.validate_on_submit():
        attempt = sessions.sign_in(
            db.session(),
            form.email.data,
            form.password.data,
            request.remote_addr or "unknown",
            utcnow(),
            timedelta(minutes=current_app.config["SETTINGS"].staff_session_idle_minutes),
            previous_token=request.cookies.get(COOKIE),
            user_agent=request.user_agent.string,
        )
        commit()
        if attempt.token:
            response = redirect(safe_next(form.next.data), 303)
            _set_session_cookie(response, attempt.token)
            return response
        if attempt.refused == "throttled":
            minutes = max(1, -(-attempt.retry_after // 60))
            form.form_errors.append(
                _("Too many failed sign-ins. Try again in %(minutes)d minutes.", minutes=minutes)
            )
            response = render("workspace/login.html", form=form, status=429)
            response.headers["Retry-After"] = str(attempt.retry_after)
            return response
        if attempt.refused == "inactive":
            status = 403
            form.form_errors.append(
                _("This account has been deactivated. Ask an administrator to reactivate it.")
            )
        else:
            status = 401
            form.form_errors.append(_("Wrong e-mail or password."))
    return render("workspace/login.html", form=form, status=status)


@bp.post("/logout")
def logout() -> Response:
    token = request.cookies.get(COOKIE)
    if token:
        sessions.end_session(db.session(), token)
        commit()
    response = redirect(url_for(".login"), 303)
    response.delete_cookie(COOKIE, path="/")
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@staff_page()
def change_password() -> Response:
    form = ChangePasswordForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            refused = sessions.change_password(
                db.session(), g.staff, form.current.data, form.new.data, request.cookies.get(COOKIE)
            )
            if refused is None:
                commit()
                flash(_("Your password has been changed."), "success")
                return redirect(url_for(".queue"), 303)
            db.rollback()
            form.current.errors = [_("That is not your current password.")]
    return render(
        "workspace/password.html", form=form, status=status, min_length=MIN_PASSWORD_LENGTH
    )


@bp.post("/language")
def language() -> Response:
    form = LanguageForm()
    response = redirect(safe_next(form.next.data), 303)
    if form.validate_on_submit() and form.locale.data in LOCALES:
        staff = signed_in_staff()
        if staff is not None:
            staff.locale = form.locale.data
            commit()
        response.set_cookie(
            LANGUAGE_COOKIE, form.locale.data, max_age=365 * 86400, samesite="Lax", httponly=True
        )
    return response
