"""Fixtures for the attachment tests: `upload(case, data, ...)` posts a file to a case
over the API; `stored_files()` lists what the attachment folder holds."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Tenant


@pytest.fixture
def upload(client: FlaskClient, tenant: Tenant) -> Callable[..., Any]:
    def post(
        case: dict,
        data: bytes,
        filename: str = "photo.jpg",
        headers: dict | None = None,
        content_type: str = "image/jpeg",
        **fields: str,
    ) -> Any:
        return client.post(
            f"/api/v1/cases/{case['id']}/attachments",
            data={"file": (io.BytesIO(data), filename, content_type), **fields},
            content_type="multipart/form-data",
            headers=headers if headers is not None else tenant.headers,
        )

    return post


@pytest.fixture
def stored_files(app: Flask) -> Callable[[], set[Path]]:
    def files() -> set[Path]:
        root = Path(app.config["SETTINGS"].attachment_folder)
        return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()

    return files
