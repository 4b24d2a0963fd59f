"""Storefront administration over the API (administrators' staff tokens only):
settings (`GET/PATCH /storefronts/{id}`, If-Match on PATCH) and API keys (list, issue,
revoke). The same service functions as the admin pages and the CLI
(service.storefronts.settings, service.storefronts.keys). An admin bound to a
storefront sees only that one; another is a 404.

Issuing a key does not honour `Idempotency-Key`: a replay would have to store the key
to return it again, and keys are stored only as hashes. Issue another if a response
was lost, and revoke the unknown one.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import ValidationError
from sqlalchemy import select

from service.core import db
from service.core.api import Blueprint, transaction
from service.core.auth import require_admin
from service.storefronts.keys import issue_key, revoke_key, storefront_keys
from service.storefronts.models import ApiKey, Storefront
from service.storefronts.schemas import KeyCreatedSchema, KeyCreateSchema, KeyListSchema, KeySchema
from service.storefronts.settings import SettingsSchema, StorefrontSchema, change_settings

blp = Blueprint(
    "storefronts", __name__, url_prefix="/storefronts", description="Storefront administration"
)

ADMINS_ONLY = "Only administrators may do this"


def storefront_or_404(storefront_id: uuid.UUID) -> Storefront:
    require_admin()
    scope = g.principal.scope
    storefront = db.session().get(Storefront, storefront_id)
    if storefront is None or (scope is not None and storefront.id != scope):
        abort(404, message=f"No storefront {storefront_id}.")
    return storefront


@blp.route("/<uuid:storefront_id>")
class StorefrontViews(MethodView):
    @blp.auth_required
    @blp.alt_response(403, description=ADMINS_ONLY)
    @blp.etag
    @blp.response(200, StorefrontSchema)
    def get(self, storefront_id: uuid.UUID) -> Storefront:
        """A storefront and its settings (administrators)"""
        storefront = storefront_or_404(storefront_id)
        blp.set_etag(StorefrontSchema().dump(storefront))
        return storefront

    @blp.auth_required
    @blp.alt_response(403, description=ADMINS_ONLY)
    @blp.etag
    @blp.arguments(SettingsSchema(partial=True))
    @transaction
    @blp.response(200, StorefrontSchema)
    def patch(self, data: dict[str, Any], storefront_id: uuid.UUID) -> Storefront:
        """Change settings (administrators); the case prefix is unique across storefronts"""
        storefront = storefront_or_404(storefront_id)
        blp.check_etag(StorefrontSchema().dump(storefront))
        try:
            # The schema loaded `data` already; the service checks again with the
            # database (a prefix in use) and writes all or nothing.
            change_settings(db.session(), storefront, SettingsSchema().dump(data))
        except ValidationError as error:
            abort(
                422,
                message="The request failed validation: see `errors`.",
                errors={"json": error.messages},
            )
        blp.set_etag(StorefrontSchema().dump(storefront))
        return storefront


@blp.route("/<uuid:storefront_id>/keys")
class KeyViews(MethodView):
    @blp.auth_required
    @blp.alt_response(403, description=ADMINS_ONLY)
    @blp.response(200, KeyListSchema)
    def get(self, storefront_id: uuid.UUID) -> dict[str, Any]:
        """The storefront's API keys, live first, with when each was last used"""
        storefront = storefront_or_404(storefront_id)
        return {"items": storefront_keys(db.session(), storefront.id)}

    @blp.auth_required
    @blp.alt_response(403, description=ADMINS_ONLY)
    @blp.arguments(KeyCreateSchema)
    @transaction
    @blp.response(201, KeyCreatedSchema)
    def post(self, data: dict[str, Any], storefront_id: uuid.UUID) -> dict[str, Any]:
        """Issue an API key; the key is in this response only"""
        storefront = storefront_or_404(storefront_id)
        api_key, plaintext = issue_key(db.session(), storefront, data["label"])
        return {name: getattr(api_key, name) for name in KeySchema().fields} | {"key": plaintext}


@blp.route("/<uuid:storefront_id>/keys/<string:prefix>/revoke", methods=["POST"])
@blp.auth_required
@blp.alt_response(403, description=ADMINS_ONLY)
@transaction
@blp.response(200, KeySchema)
def revoke_storefront_key(storefront_id: uuid.UUID, prefix: str) -> ApiKey:
    """Revoke a key: it gets 401 from now on"""
    storefront = storefront_or_404(storefront_id)
    owner = (
        db.session().scalars(select(ApiKey.storefront_id).where(ApiKey.prefix == prefix)).first()
    )
    if owner != storefront.id:
        abort(404, message=f"No key {prefix} for this storefront.")
    api_key = revoke_key(db.session(), prefix)
    db.session().flush()
    return api_key
