"""Administration, storefronts and their API keys (admins only).

/admin/storefronts lists the storefronts and creates one; /admin/storefronts/<id>
edits its settings through `service.storefronts.settings.change_settings` (the same
validation as the CLI and `PATCH /storefronts/{id}`: a field error is shown on its
field and nothing is written), lists its keys with when each was last used, issues a
key (shown once, on the page answering the POST) and revokes one.
"""

from __future__ import annotations

import uuid

from flask import Response, flash, g
from flask_babel import format_datetime
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from service.core import db
from service.storefronts.keys import issue_key, revoke_key, storefront_keys
from service.storefronts.models import ApiKey, Storefront
from service.storefronts.settings import add_storefront, change_settings
from service.workspace.admin_forms import (
    ConfirmForm,
    NewKeyForm,
    NewStorefrontForm,
    SettingsForm,
    fill_settings,
    settings_changes,
    show_errors,
)
from service.workspace.pages import ADMINS, PageError, bp, commit, redirect_to, render, staff_page


def _storefront(storefront_id: uuid.UUID) -> Storefront:
    storefront = db.session().get(Storefront, storefront_id)
    scope = g.principal.scope
    if storefront is None or (scope is not None and storefront.id != scope):
        raise PageError(404, _("There is no such storefront."))
    return storefront


def _list(form: NewStorefrontForm, status: int = 200) -> Response:
    stmt = select(Storefront).order_by(Storefront.name)
    if g.principal.scope is not None:
        stmt = stmt.where(Storefront.id == g.principal.scope)
    storefronts = list(db.session().scalars(stmt))
    return render(
        "workspace/admin_storefronts.html", status=status, form=form, storefronts=storefronts
    )


@bp.get("/admin/storefronts")
@staff_page(roles=ADMINS)
def admin_storefronts() -> Response:
    return _list(NewStorefrontForm(formdata=None, case_prefix="RMA"))


@bp.post("/admin/storefronts")
@staff_page(roles=ADMINS)
def admin_storefront_create() -> Response:
    if g.principal.scope is not None:
        raise PageError(403, _("An administrator of one storefront may not add storefronts."))
    form = NewStorefrontForm()
    if form.validate_on_submit():
        try:
            storefront = add_storefront(
                db.session(),
                form.name.data,
                form.slug.data or None,
                case_prefix=form.case_prefix.data,
            )
        except ValidationError as exc:
            db.rollback()
            show_errors(form, exc)
        else:
            commit()
            flash(_("Storefront %(name)s created.", name=storefront.name), "success")
            return redirect_to("workspace.admin_storefront", storefront_id=storefront.id)
    return _list(form, 422)


def _page(
    storefront: Storefront, form: SettingsForm | None = None, status: int = 200, **extra: object
) -> Response:
    if form is None:
        form = SettingsForm(formdata=None)
        fill_settings(form, storefront)
    return render(
        "workspace/admin_storefront.html",
        status=status,
        storefront=storefront,
        form=form,
        key_form=extra.pop("key_form", None) or NewKeyForm(formdata=None),
        confirm=ConfirmForm(),
        keys=storefront_keys(db.session(), storefront.id),
        format_datetime=format_datetime,
        **extra,
    )


@bp.get("/admin/storefronts/<uuid:storefront_id>")
@staff_page(roles=ADMINS)
def admin_storefront(storefront_id: uuid.UUID) -> Response:
    return _page(_storefront(storefront_id))


@bp.post("/admin/storefronts/<uuid:storefront_id>")
@staff_page(roles=ADMINS)
def admin_storefront_change(storefront_id: uuid.UUID) -> Response:
    storefront = _storefront(storefront_id)
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            change_settings(db.session(), storefront, settings_changes(form))
        except ValidationError as exc:
            db.rollback()
            show_errors(form, exc)
        else:
            commit()
            flash(_("Settings saved."), "success")
            return redirect_to("workspace.admin_storefront", storefront_id=storefront.id)
    return _page(_storefront(storefront_id), form, 422)


@bp.post("/admin/storefronts/<uuid:storefront_id>/keys")
@staff_page(roles=ADMINS)
def admin_key_create(storefront_id: uuid.UUID) -> Response:
    storefront = _storefront(storefront_id)
    key_form = NewKeyForm()
    if not key_form.validate_on_submit():
        return _page(storefront, status=422, key_form=key_form)
    api_key, plaintext = issue_key(db.session(), storefront, key_form.label.data or None)
    commit()
    return _page(storefront, new_key=api_key, plaintext=plaintext)


@bp.post("/admin/storefronts/<uuid:storefront_id>/keys/<prefix>/revoke")
@staff_page(roles=ADMINS)
def admin_key_revoke(storefront_id: uuid.UUID, prefix: str) -> Response:
    storefront = _storefront(storefront_id)
    owner = (
        db.session().scalars(select(ApiKey.storefront_id).where(ApiKey.prefix == prefix)).first()
    )
    if owner != storefront.id:
        raise PageError(404, _("There is no such key."))
    if ConfirmForm().validate_on_submit():
        revoke_key(db.session(), prefix)
        commit()
        flash(_("Key %(prefix)s revoked: it no longer works.", prefix=prefix), "success")
    return redirect_to("workspace.admin_storefront", storefront_id=storefront.id)
