"""Aftersales: an after-sales RMA and service-order API."""

from __future__ import annotations

from typing import Any

from flask import Flask

from service.core.config import Settings

#: The API's blueprints, registered in this order.
BLUEPRINTS = (
    "service.cases.routes",
    "service.notifications.routes",
    "service.surveys.routes",
    "service.customers.routes",
    "service.conversations.routes",
    "service.staff.routes",
    "service.storefronts.routes",
    "service.reports.routes",
    "service.quality.routes",
    "service.attachments.routes",
    "service.tracking.routes",
    "service.tracking.account_routes",
    "service.webhooks.routes",
    "service.webhooks.feed",
)


def create_app(**overrides: Any) -> Flask:
    """The app factory. `overrides` replace settings read from the environment."""
    from importlib import import_module

    from service import cli
    from service.core import db, health, metrics, ratelimit, redis_conn
    from service.core import logging as app_logging
    from service.core.api import API_PREFIX, Api

    settings = Settings.from_env(**overrides)
    settings.instance_dir.mkdir(parents=True, exist_ok=True)

    app = Flask(__name__, instance_path=str(settings.instance_dir))
    if settings.forwarded_for_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only the client address: the scheme is gunicorn's (forwarded_allow_ips).
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=settings.forwarded_for_hops,
            x_proto=0,
            x_host=0,
            x_port=0,
            x_prefix=0,
        )
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        API_TITLE="Aftersales API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_REDOC_PATH="docs",
        # Vendored (service/workspace/static/vendor/): the docs page works offline.
        OPENAPI_REDOC_URL="/workspace/static/vendor/redoc/redoc.standalone.js",
        API_SPEC_OPTIONS={
            "info": {
                "description": "Track after-sales cases from intake to follow-up. "
                "Authenticate with `Authorization: Bearer <token>`: a storefront API key "
                "(`ask_...`) or a staff member's personal token (`ast_...`)."
            },
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        },
    )

    app_logging.init_app(app)
    database = db.Database(settings.database_url, echo=settings.sql_echo)
    app.extensions["database"] = database
    app.teardown_appcontext(db.close_session)
    redis_conn.init_app(app)
    ratelimit.init_app(app)

    api = Api(app)
    app.extensions["api"] = api
    for module in BLUEPRINTS:
        blp = import_module(module).blp
        api.register_blueprint(blp, url_prefix=API_PREFIX + blp.url_prefix)
    app.register_blueprint(health.bp)
    metrics.init_app(app)
    customer_pages = import_module("service.customer_pages.routes")
    app.register_blueprint(customer_pages.bp)
    api.page_errors[customer_pages.PREFIX] = customer_pages.unrouted_error
    app.register_blueprint(import_module("service.notifications.routes").webhooks)
    app.register_blueprint(import_module("service.conversations.routes").webhooks)
    app.register_blueprint(import_module("service.tracking.routes").webhooks)
    import_module("service.workspace.routes").init_app(app)
    cli.init_app(app)
    return app
