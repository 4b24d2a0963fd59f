"""The customer's status page: thumbnails of the case's photos, served only through the
case's signed link, and a plain file form to add photos from a phone."""

from __future__ import annotations

import io
import re
import time
import uuid

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from service.attachments.models import Attachment
from service.cases.models import Case
from service.customer_pages.strings import STRINGS
from service.links import customer_link
from tests.attachments.files import executable, exif_of, photo


@pytest.fixture
def status_path(app, db_session):
    def make(case: dict) -> str:
        with app.app_context():
            row = db_session.get(Case, uuid.UUID(case["id"]), populate_existing=True)
            return customer_link(row, "status").removeprefix("http://aftersales.test")

    return make


def _binding(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no form binding on the page"
    return match.group(1)


def _send(client, path: str, data: bytes, filename: str = "IMG_0001.JPG", **fields):
    page = client.get(path).get_data(as_text=True)
    return client.post(
        f"{path}/attachments",
        data={"csrf_token": _binding(page), "file": (io.BytesIO(data), filename), **fields},
        content_type="multipart/form-data",
    )


def _count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Attachment))


def test_the_status_page_shows_the_desks_photo_as_a_thumbnail_through_its_link(
    client, open_case, upload, status_path
):
    case = open_case()
    body = upload(case, photo(), kind="goods_in_photo").get_json()
    path = status_path(case)
    page = client.get(path)
    html = page.get_data(as_text=True)
    thumbnail = f"{path}/attachments/{body['id']}/thumbnail"
    assert f'src="{thumbnail}"' in html
    # The page's policy lets its own images load, and nothing else.
    assert "img-src 'self' data:" in page.headers["Content-Security-Policy"]
    served = client.get(thumbnail)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    full = client.get(f"{path}/attachments/{body['id']}")
    assert full.status_code == 200 and exif_of(full.data)["gps"] == {}


def test_the_customer_adds_a_photo_from_the_form_and_its_gps_is_gone(
    client, tenant, open_case, status_path, db_session
):
    case = open_case()
    path = status_path(case)
    response = _send(client, path, photo(), note="Scratch on the back")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("added=1#photos")
    listed = client.get(f"/api/v1/cases/{case['id']}/attachments", headers=tenant.headers)
    [added] = listed.get_json()
    assert added["kind"] == "damage_photo" and added["note"] == "Scratch on the back"
    assert added["uploaded_by"] == {"type": "customer", "name": "Li Wei"}
    stored = client.get(added["content_url"], headers=tenant.headers).data
    assert exif_of(stored) == {"base": {}, "gps": {}}
    page = client.get(f"{path}?added=1").get_data(as_text=True)
    assert f"/attachments/{added['id']}/thumbnail" in page
    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline", headers=tenant.headers)
    assert timeline.get_json()[-1]["actor"]["type"] == "customer"


def test_a_renamed_executable_from_the_form_is_refused_on_the_page_and_nothing_is_kept(
    client, open_case, status_path, db_session, stored_files
):
    path = status_path(open_case())
    files = stored_files()
    response = _send(client, path, executable(), filename="photo.jpg")
    assert response.status_code == 415
    assert STRINGS["zh-CN"]["photo_error_type"] in response.get_data(as_text=True)
    assert _count(db_session) == 0 and stored_files() == files


def test_a_form_without_its_binding_is_refused(client, open_case, status_path, db_session):
    path = status_path(open_case())
    response = client.post(
        f"{path}/attachments",
        data={"file": (io.BytesIO(photo()), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert _count(db_session) == 0


def test_a_wrong_or_revoked_link_is_403_on_every_photo_route(
    client, open_case, upload, status_path, db_session
):
    case = open_case()
    body = upload(case, photo()).get_json()
    good = status_path(case)
    tampered = good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb")
    row = db_session.get(Case, uuid.UUID(case["id"]))
    row.link_key = "rotated"
    db_session.commit()
    for path in (tampered, good):
        for method, url in (
            ("GET", f"{path}/attachments/{body['id']}/thumbnail"),
            ("GET", f"{path}/attachments/{body['id']}"),
            ("POST", f"{path}/attachments"),
        ):
            response = client.open(url, method=method)
            assert response.status_code == 403, (method, url)
            assert response.mimetype == "text/html"
    assert _count(db_session) == 1


def test_an_expired_link_is_410_on_the_photo_routes(
    client, open_case, upload, status_path, monkeypatch
):
    case = open_case()
    body = upload(case, photo()).get_json()
    signed_at = int(time.time()) - 61 * 86400
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: signed_at)
    path = status_path(case)
    monkeypatch.undo()
    assert client.get(f"{path}/attachments/{body['id']}/thumbnail").status_code == 410
    assert client.get(f"{path}/attachments/{body['id']}").status_code == 410


def test_another_cases_photo_is_404_through_this_cases_link(client, open_case, upload, status_path):
    mine, other = open_case(), open_case()
    theirs = upload(other, photo()).get_json()
    path = status_path(mine)
    assert client.get(f"{path}/attachments/{theirs['id']}/thumbnail").status_code == 404
    assert client.get(f"{path}/attachments/{theirs['id']}").status_code == 404
