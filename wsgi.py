"""WSGI entry point: `gunicorn wsgi:app` (production) or `flask --app wsgi run`."""

import sys

from service import create_app
from service.core.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    sys.exit(f"aftersales: {exc}")
