"""Where attachment files live: a folder (the default, under `instance/`) or an
S3-compatible bucket (production: AWS S3, MinIO, Ceph, Aliyun OSS...).

The database row is the truth about an attachment; the store only holds bytes under
keys the service makes (`<case id>/<attachment id>/<name>`), so no key ever comes from
a client. Every backend answers the same three calls.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from flask import current_app

from service.core.config import Settings


class BlobMissing(LookupError):
    """The row names a file the store does not have (removed by hand, or a lost write)."""


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None:
        """Remove `key`; removing what is not there is no error (deletes are retried)."""


class FolderStorage:
    """Files under `root`, written atomically (a reader never sees half a file)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        # Keys are ours, but a bug must never turn into a write outside the folder.
        if self.root.resolve() not in path.parents:
            raise ValueError(f"attachment key outside the store: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise BlobMissing(key) from exc

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        # Leave no empty per-attachment folders behind.
        for folder in (path.parent, path.parent.parent):
            try:
                folder.rmdir()
            except OSError:
                break


class S3Storage:
    """Objects in one bucket, through boto3 (any S3-compatible endpoint)."""

    def __init__(self, settings: Settings) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = settings.attachment_s3_bucket
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=settings.attachment_s3_endpoint_url,
            region_name=settings.attachment_s3_region,
            aws_access_key_id=settings.attachment_s3_access_key_id,
            aws_secret_access_key=settings.attachment_s3_secret_access_key,
            # Path-style addressing works with every S3-compatible server.
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey as exc:
            raise BlobMissing(key) from exc

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)


def make_storage(settings: Settings) -> Storage:
    if settings.attachment_storage == "s3":
        return S3Storage(settings)
    assert settings.attachment_folder is not None  # Settings.from_env fills it in
    return FolderStorage(settings.attachment_folder)


def storage() -> Storage:
    """The app's store, made once per app (a boto3 client is costly to make)."""
    settings = current_app.config["SETTINGS"]
    made = current_app.extensions.get("attachment_storage")
    # Keyed by the settings that choose it, so a test that switches backend gets its own.
    choice = (
        settings.attachment_storage,
        settings.attachment_folder,
        settings.attachment_s3_bucket,
        settings.attachment_s3_endpoint_url,
    )
    if made is None or made[0] != choice:
        made = (choice, make_storage(settings))
        current_app.extensions["attachment_storage"] = made
    return made[1]
