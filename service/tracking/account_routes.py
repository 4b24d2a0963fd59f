"""A storefront's tracking account over the API (administrators' staff tokens only):
`GET/PUT /storefronts/{id}/tracking`. The same service function as `flask tracking
set` (service.tracking.accounts). Secrets are write-only: the answer shows the
provider, whether it is enabled and the callback URL, and a salt we generated, once."""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import abort

from service.core import db
from service.core.api import Blueprint, Schema, transaction
from service.storefronts.routes import ADMINS_ONLY, storefront_or_404
from service.tracking.accounts import AccountError, account_of, configure
from service.tracking.models import TrackingAccount
from service.tracking.providers import ADAPTERS, callback_url

blp = Blueprint(
    "tracking_accounts", __name__, url_prefix="/storefronts", description="Carrier tracking"
)

CREDENTIAL = ma.validate.Length(min=1, max=200)


class TrackingAccountInSchema(Schema):
    provider = ma.fields.String(
        validate=ma.validate.OneOf(sorted(ADAPTERS)),
        metadata={"description": "`kuaidi100` or `aftership`; required at creation."},
    )
    api_key = ma.fields.String(
        load_only=True,
        validate=CREDENTIAL,
        metadata={
            "description": "Kuaidi100 `key` or AfterShip `as-api-key`; required at creation."
        },
    )
    secret = ma.fields.String(
        load_only=True,
        validate=CREDENTIAL,
        metadata={
            "description": "Kuaidi100 salt (generated when left out) or the AfterShip webhook "
            "secret (required for AfterShip)."
        },
    )
    enabled = ma.fields.Boolean()


class TrackingAccountSchema(Schema):
    provider = ma.fields.String()
    enabled = ma.fields.Boolean()
    callback_url = ma.fields.Function(
        callback_url, metadata={"description": "Where the provider pushes updates."}
    )
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class TrackingAccountSetSchema(Schema):
    provider = ma.fields.String()
    enabled = ma.fields.Boolean()
    callback_url = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    generated_secret = ma.fields.String(
        allow_none=True,
        metadata={"description": "The Kuaidi100 salt we generated, shown this once."},
    )


@blp.route("/<uuid:storefront_id>/tracking")
class TrackingAccountViews(MethodView):
    @blp.auth_required
    @blp.alt_response(403, description=ADMINS_ONLY)
    @blp.response(200, TrackingAccountSchema)
    def get(self, storefront_id: uuid.UUID) -> TrackingAccount:
        """The storefront's tracking aggregator account (administrators; no secrets)"""
        storefront = storefront_or_404(storefront_id)
        account = account_of(db.session(), storefront)
        if account is None:
            abort(404, message="This storefront has no tracking account.")
        return account

    @blp.auth_required
    @blp.alt_response(403, description=ADMINS_ONLY)
    @blp.arguments(TrackingAccountInSchema)
    @transaction
    @blp.response(200, TrackingAccountSetSchema)
    def put(self, data: dict[str, Any], storefront_id: uuid.UUID) -> dict[str, Any]:
        """Set the storefront's tracking account (administrators; only the fields given change)"""
        storefront = storefront_or_404(storefront_id)
        try:
            configured = configure(db.session(), storefront, **data)
        except AccountError as error:
            abort(
                422,
                message="The request failed validation: see `errors`.",
                errors={"json": {error.field: [str(error).split(": ", 1)[1]]}},
            )
        account = configured.account
        return {
            "provider": account.provider,
            "enabled": account.enabled,
            "callback_url": callback_url(account),
            "created_at": account.created_at,
            "updated_at": account.updated_at,
            "generated_secret": configured.generated_secret,
        }
