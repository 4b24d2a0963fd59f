"""Administration, staff (admins only): /admin lists staff and creates accounts;
/admin/staff/<id> changes name, role and storefront binding, deactivates or
reactivates, resets the password, revokes personal tokens.

Every change calls the service function the CLI and the API call
(service.staff.admin); its field errors are shown on the form and nothing is written.
A generated password is shown once, on the page that answers the POST (never put in a
flash message: Flask's cookie is signed, not encrypted).
"""

from __future__ import annotations

import uuid

from flask import Response, flash, g
from flask_babel import gettext as _
from flask_babel import ngettext
from marshmallow import ValidationError
from sqlalchemy import select

from service.core import db
from service.staff import admin as staff_admin
from service.staff.models import StaffUser
from service.storefronts.models import Storefront
from service.workspace.admin_forms import (
    ConfirmForm,
    NewStaffForm,
    StaffForm,
    role_choices,
    show_errors,
)
from service.workspace.pages import ADMINS, PageError, bp, commit, redirect_to, render, staff_page


def _scope() -> uuid.UUID | None:
    """An admin bound to a storefront administers only it (as in the API)."""
    return g.principal.scope


def _storefront_choices() -> list[tuple[str, str]]:
    stmt = select(Storefront).order_by(Storefront.name)
    if _scope() is not None:
        stmt = stmt.where(Storefront.id == _scope())
    choices = [(str(s.id), s.name) for s in db.session().scalars(stmt)]
    return choices if _scope() is not None else [("", _("Every storefront")), *choices]


def _person(staff_id: uuid.UUID) -> StaffUser:
    person = staff_admin.get_staff(db.session(), _scope(), staff_id)
    if person is None:
        raise PageError(404, _("There is no such staff member."))
    return person


def _new_form() -> NewStaffForm:
    form = NewStaffForm()
    form.role.choices = role_choices()
    form.storefront_id.choices = _storefront_choices()
    return form


def _staff_list(form: NewStaffForm, status: int = 200, **extra: object) -> Response:
    session = db.session()
    stmt = select(StaffUser).order_by(~StaffUser.active, StaffUser.name)
    if _scope() is not None:
        stmt = stmt.where(StaffUser.storefront_id == _scope())
    people = list(session.scalars(stmt))
    tokens = staff_admin.live_tokens(session, [p.id for p in people])
    storefronts = {s.id: s.name for s in session.scalars(select(Storefront))}
    return render(
        "workspace/admin_staff.html",
        status=status,
        form=form,
        people=people,
        tokens=tokens,
        storefront_names=storefronts,
        **extra,
    )


@bp.get("/admin")
@staff_page(roles=ADMINS)
def admin() -> Response:
    return _staff_list(_new_form())


@bp.post("/admin/staff")
@staff_page(roles=ADMINS)
def admin_staff_create() -> Response:
    form = _new_form()
    if form.validate_on_submit():
        try:
            person, password = staff_admin.add_staff(
                db.session(),
                form.email.data,
                form.name.data,
                form.role.data,
                form.password.data or None,
                uuid.UUID(form.storefront_id.data) if form.storefront_id.data else None,
                scope=_scope(),
            )
        except (ValidationError, ValueError) as exc:
            db.rollback()
            if isinstance(exc, ValidationError):
                show_errors(form, exc)
            else:
                form.storefront_id.errors = [_("No such storefront.")]
        else:
            commit()
            flash(_("%(name)s can now sign in.", name=person.name), "success")
            shown = None if form.password.data else password
            return _staff_list(_new_form(), created=person, password=shown)
    return _staff_list(form, status=422)


def _staff_page(
    person: StaffUser, form: StaffForm | None = None, status: int = 200, **extra: object
) -> Response:
    if form is None:
        form = StaffForm(
            formdata=None,
            name=person.name,
            role=person.role.value,
            storefront_id=str(person.storefront_id or ""),
        )
    form.role.choices = role_choices()
    form.storefront_id.choices = _storefront_choices()
    tokens = staff_admin.live_tokens(db.session(), [person.id]).get(person.id, 0)
    return render(
        "workspace/admin_person.html",
        status=status,
        person=person,
        form=form,
        confirm=ConfirmForm(),
        tokens=tokens,
        **extra,
    )


@bp.get("/admin/staff/<uuid:staff_id>")
@staff_page(roles=ADMINS)
def admin_person(staff_id: uuid.UUID) -> Response:
    return _staff_page(_person(staff_id))


@bp.post("/admin/staff/<uuid:staff_id>")
@staff_page(roles=ADMINS)
def admin_person_change(staff_id: uuid.UUID) -> Response:
    person = _person(staff_id)
    form = StaffForm()
    if form.validate_on_submit():
        try:
            storefront_id = uuid.UUID(form.storefront_id.data) if form.storefront_id.data else None
        except ValueError:
            form.storefront_id.errors = [_("No such storefront.")]
        else:
            try:
                staff_admin.change_staff(
                    db.session(),
                    person,
                    {
                        "name": form.name.data,
                        "role": form.role.data,
                        "storefront_id": storefront_id,
                    },
                )
            except ValidationError as exc:
                db.rollback()
                show_errors(form, exc)
            else:
                commit()
                flash(_("Saved."), "success")
                return redirect_to("workspace.admin_person", staff_id=person.id)
    return _staff_page(db.session().get(StaffUser, staff_id), form, 422)


@bp.post("/admin/staff/<uuid:staff_id>/active")
@staff_page(roles=ADMINS)
def admin_person_active(staff_id: uuid.UUID) -> Response:
    person = _person(staff_id)
    form = ConfirmForm()
    active = form.value.data == "1"
    if form.validate_on_submit():
        try:
            staff_admin.change_staff(db.session(), person, {"active": active})
        except ValidationError as exc:
            db.rollback()
            flash(" ".join(show_errors(ConfirmForm(formdata=None), exc)), "error")
        else:
            commit()
            if active:
                flash(_("%(name)s may sign in again.", name=person.name), "success")
            else:
                flash(
                    _("%(name)s is deactivated: signed out, tokens revoked.", name=person.name),
                    "success",
                )
    return redirect_to("workspace.admin_person", staff_id=staff_id)


@bp.post("/admin/staff/<uuid:staff_id>/password")
@staff_page(roles=ADMINS)
def admin_person_password(staff_id: uuid.UUID) -> Response:
    person = _person(staff_id)
    if not ConfirmForm().validate_on_submit():
        return redirect_to("workspace.admin_person", staff_id=staff_id)
    password = staff_admin.reset_password(db.session(), person)
    commit()
    return _staff_page(person, password=password)


@bp.post("/admin/staff/<uuid:staff_id>/tokens")
@staff_page(roles=ADMINS)
def admin_person_tokens(staff_id: uuid.UUID) -> Response:
    person = _person(staff_id)
    if ConfirmForm().validate_on_submit():
        count = staff_admin.revoke_tokens(db.session(), person)
        commit()
        flash(ngettext("Revoked %(num)d token.", "Revoked %(num)d tokens.", count), "success")
    return redirect_to("workspace.admin_person", staff_id=staff_id)
