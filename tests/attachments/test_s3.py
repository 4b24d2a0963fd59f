"""The S3 backend against a real S3-compatible server on loopback (moto's server mode,
speaking the S3 protocol over HTTP): the same uploads, with the bytes in the bucket."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from service.attachments.storage import BlobMissing, S3Storage
from tests.attachments.files import executable, exif_of, photo

BUCKET = "aftersales-attachments"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def s3_settings(app, s3_endpoint, monkeypatch):
    settings = app.config["SETTINGS"]
    for name, value in {
        "attachment_storage": "s3",
        "attachment_s3_bucket": BUCKET,
        "attachment_s3_endpoint_url": s3_endpoint,
        "attachment_s3_access_key_id": "test",
        "attachment_s3_secret_access_key": "test",
    }.items():
        monkeypatch.setattr(settings, name, value)
    return settings


def _objects(settings) -> dict[str, bytes]:
    store = S3Storage(settings)
    listed = store.client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {item["Key"]: store.get(item["Key"]) for item in listed}


def test_an_upload_lands_in_the_bucket_without_gps_and_is_served_from_it(
    client, tenant, admin, open_case, upload, s3_settings, stored_files
):
    case = open_case()
    before, files = _objects(s3_settings), stored_files()
    response = upload(case, photo())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    added = {k: v for k, v in _objects(s3_settings).items() if k not in before}
    assert set(added) == {
        f"{case['id']}/{body['id']}/file.jpg",
        f"{case['id']}/{body['id']}/thumbnail.jpg",
    }
    assert exif_of(added[f"{case['id']}/{body['id']}/file.jpg"]) == {"base": {}, "gps": {}}
    assert stored_files() == files  # nothing went to the folder
    served = client.get(body["content_url"], headers=tenant.headers)
    assert served.data == added[f"{case['id']}/{body['id']}/file.jpg"]

    url = f"/api/v1/cases/{case['id']}/attachments/{body['id']}"
    assert client.delete(url, headers=admin.headers).status_code == 204
    assert set(_objects(s3_settings)) == set(before)


def test_a_refused_upload_puts_nothing_in_the_bucket(open_case, upload, s3_settings):
    case = open_case()
    before = _objects(s3_settings)
    assert upload(case, executable()).status_code == 415
    assert _objects(s3_settings) == before


def test_a_missing_object_is_blob_missing(s3_settings):
    with pytest.raises(BlobMissing):
        S3Storage(s3_settings).get("no/such/key")
