"""Who is calling: storefronts authenticate with `Authorization: Bearer <api key>`."""

from __future__ import annotations

from flask import request
from flask_smorest import abort

from service import db
from service.storefronts.keys import find_storefront_by_key
from service.storefronts.models import Storefront


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate_storefront() -> Storefront:
    token = bearer_token()
    storefront = find_storefront_by_key(db.session(), token) if token else None
    if storefront is None:
        # One answer for missing, unknown and revoked keys: nothing to probe.
        abort(
            401,
            message="A valid API key is required: Authorization: Bearer <key>.",
            headers={"WWW-Authenticate": 'Bearer realm="aftersales"'},
        )
    return storefront
