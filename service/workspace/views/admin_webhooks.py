"""Administration, a storefront's webhook endpoints (admins only), next to its API keys.

/admin/storefronts/<id>/webhooks lists the endpoints, registers one (its secret shown
once, on the page answering the POST), rotates a secret (the old one signs beside the
new for WEBHOOK_ROTATION_OVERLAP_HOURS), enables or disables one and sends a test
event; .../<endpoint>/deliveries is the delivery log with a redeliver button. The same
service functions as the API and the CLI (service.webhooks.service).
"""

from __future__ import annotations

import uuid

from flask import Response, current_app, flash
from flask_babel import format_datetime
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from service.core import db
from service.webhooks import service
from service.webhooks.events import EVENT_TYPES
from service.webhooks.models import WebhookDelivery, WebhookEndpoint
from service.workspace.admin_forms import ConfirmForm, NewWebhookForm, show_errors
from service.workspace.pages import ADMINS, PageError, bp, commit, redirect_to, render, staff_page
from service.workspace.views.admin_storefronts import _storefront

#: Deliveries shown in the log, newest first.
LOG_SIZE = 50


def _form(formdata: object = ...) -> NewWebhookForm:
    form = NewWebhookForm() if formdata is ... else NewWebhookForm(formdata=None)
    form.event_types.choices = [(name, name) for name in EVENT_TYPES]
    return form


def _endpoint(storefront_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    storefront = _storefront(storefront_id)
    endpoint = db.session().get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.storefront_id != storefront.id:
        raise PageError(404, _("There is no such webhook endpoint."))
    return endpoint


def _page(storefront_id: uuid.UUID, status: int = 200, **extra: object) -> Response:
    storefront = _storefront(storefront_id)
    return render(
        "workspace/admin_webhooks.html",
        status=status,
        storefront=storefront,
        form=extra.pop("form", None) or _form(None),
        confirm=ConfirmForm(),
        endpoints=service.storefront_endpoints(db.session(), storefront.id),
        format_datetime=format_datetime,
        **extra,
    )


@bp.get("/admin/storefronts/<uuid:storefront_id>/webhooks")
@staff_page(roles=ADMINS)
def admin_webhooks(storefront_id: uuid.UUID) -> Response:
    return _page(storefront_id)


@bp.post("/admin/storefronts/<uuid:storefront_id>/webhooks")
@staff_page(roles=ADMINS)
def admin_webhook_create(storefront_id: uuid.UUID) -> Response:
    storefront = _storefront(storefront_id)
    form = _form()
    if form.validate_on_submit():
        data = {
            "url": form.url.data.strip(),
            "description": form.description.data or None,
            "event_types": form.event_types.data or [],
        }
        try:
            endpoint, secret = service.create_endpoint(
                db.session(), storefront.id, data, current_app.config["SETTINGS"]
            )
        except ValidationError as exc:
            db.rollback()
            show_errors(form, exc)
        else:
            commit()
            return _page(storefront_id, shown=endpoint, secret=secret)
    return _page(storefront_id, 422, form=form)


@bp.post("/admin/storefronts/<uuid:storefront_id>/webhooks/<uuid:endpoint_id>/rotate")
@staff_page(roles=ADMINS)
def admin_webhook_rotate(storefront_id: uuid.UUID, endpoint_id: uuid.UUID) -> Response:
    endpoint = _endpoint(storefront_id, endpoint_id)
    if not ConfirmForm().validate_on_submit():
        return redirect_to("workspace.admin_webhooks", storefront_id=storefront_id)
    secret = service.rotate_secret(db.session(), endpoint, current_app.config["SETTINGS"])
    commit()
    return _page(storefront_id, shown=endpoint, secret=secret)


@bp.post("/admin/storefronts/<uuid:storefront_id>/webhooks/<uuid:endpoint_id>/switch")
@staff_page(roles=ADMINS)
def admin_webhook_switch(storefront_id: uuid.UUID, endpoint_id: uuid.UUID) -> Response:
    endpoint = _endpoint(storefront_id, endpoint_id)
    if ConfirmForm().validate_on_submit():
        enabled = not endpoint.enabled
        service.change_endpoint(
            db.session(), endpoint, {"enabled": enabled}, current_app.config["SETTINGS"]
        )
        commit()
        if enabled:
            flash(_("Endpoint enabled: held deliveries go out now."), "success")
        else:
            flash(_("Endpoint disabled: it receives no new events."), "success")
    return redirect_to("workspace.admin_webhooks", storefront_id=storefront_id)


@bp.post("/admin/storefronts/<uuid:storefront_id>/webhooks/<uuid:endpoint_id>/test")
@staff_page(roles=ADMINS)
def admin_webhook_test(storefront_id: uuid.UUID, endpoint_id: uuid.UUID) -> Response:
    endpoint = _endpoint(storefront_id, endpoint_id)
    if ConfirmForm().validate_on_submit():
        service.send_test(db.session(), endpoint)
        commit()
        flash(_("Test event queued."), "success")
    return redirect_to(
        "workspace.admin_webhook_log", storefront_id=storefront_id, endpoint_id=endpoint_id
    )


@bp.get("/admin/storefronts/<uuid:storefront_id>/webhooks/<uuid:endpoint_id>/deliveries")
@staff_page(roles=ADMINS)
def admin_webhook_log(storefront_id: uuid.UUID, endpoint_id: uuid.UUID) -> Response:
    endpoint = _endpoint(storefront_id, endpoint_id)
    deliveries = list(
        db.session().scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .limit(LOG_SIZE)
        )
    )
    return render(
        "workspace/admin_webhook_log.html",
        storefront=_storefront(storefront_id),
        endpoint=endpoint,
        deliveries=deliveries,
        attempts=service.attempts_of(db.session(), [d.id for d in deliveries]),
        confirm=ConfirmForm(),
        format_datetime=format_datetime,
    )


@bp.post(
    "/admin/storefronts/<uuid:storefront_id>/webhooks/<uuid:endpoint_id>"
    "/deliveries/<uuid:delivery_id>/redeliver"
)
@staff_page(roles=ADMINS)
def admin_webhook_redeliver(
    storefront_id: uuid.UUID, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> Response:
    endpoint = _endpoint(storefront_id, endpoint_id)
    delivery = db.session().get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise PageError(404, _("There is no such delivery."))
    if ConfirmForm().validate_on_submit():
        service.redeliver(db.session(), delivery)
        commit()
        flash(_("Delivery queued again."), "success")
    return redirect_to(
        "workspace.admin_webhook_log", storefront_id=storefront_id, endpoint_id=endpoint_id
    )
