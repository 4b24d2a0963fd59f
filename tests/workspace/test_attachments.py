"""The case page's photos and documents: the desk uploads goods-in photos, sees their
thumbnails, removes one; a refused file comes back on the page with the reason, nothing
stored; a body larger than the app's usual limit is taken on the upload page only."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from service.attachments.models import Attachment
from tests.attachments.files import executable, exif_of, noise_png, photo


def _token(client, case: dict) -> str:
    html = client.get(f"/cases/{case['id']}").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _upload(client, case: dict, data: bytes, filename: str = "goods.jpg", **fields):
    return client.post(
        f"/cases/{case['id']}/attachments",
        data={"csrf_token": _token(client, case), "file": (io.BytesIO(data), filename), **fields},
        content_type="multipart/form-data",
    )


def _count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Attachment))


def test_the_desk_uploads_a_goods_in_photo_and_sees_its_thumbnail(desk, agent, open_case):
    case = open_case()
    response = _upload(desk, case, photo(), note="Box dented")
    assert response.status_code == 303
    html = desk.get(f"/cases/{case['id']}").get_data(as_text=True)
    match = re.search(r'<img src="(/cases/[^"]+/thumbnail)"', html)
    assert match, "no thumbnail on the case page"
    assert "Photo of the goods as received" in html and "Box dented" in html
    assert "File attached" in html  # the timeline entry
    thumbnail = desk.get(match.group(1))
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/jpeg"
    full = desk.get(match.group(1).removesuffix("/thumbnail"))
    assert exif_of(full.data)["gps"] == {}


def test_a_refused_file_comes_back_on_the_case_page_and_nothing_is_stored(
    desk, open_case, db_session
):
    case = open_case()
    response = _upload(desk, case, executable(), filename="goods.jpg")
    assert response.status_code == 415
    assert "Only photos (JPEG, PNG, WebP, HEIC) and PDF files" in response.get_data(as_text=True)
    assert _count(db_session) == 0


def test_an_upload_larger_than_max_content_length_is_taken_on_the_upload_page(app, desk, open_case):
    case = open_case()
    big = noise_png(700, 700)
    assert len(big) > app.config["MAX_CONTENT_LENGTH"]
    assert _upload(desk, case, big, filename="scan.png").status_code == 303


def test_a_file_past_the_upload_limit_is_a_413_page(app, desk, open_case, monkeypatch, db_session):
    case = open_case()
    token = _token(desk, case)
    monkeypatch.setattr(app.config["SETTINGS"], "attachment_max_bytes", 2_000)
    response = desk.post(
        f"/cases/{case['id']}/attachments",
        data={"csrf_token": token, "file": (io.BytesIO(noise_png(200, 200)), "big.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "The file is too large." in response.get_data(as_text=True)
    assert _count(db_session) == 0


def test_the_desk_removes_an_attachment(desk, open_case, db_session):
    case = open_case()
    _upload(desk, case, photo())
    [attachment] = db_session.scalars(select(Attachment)).all()
    response = desk.post(
        f"/cases/{case['id']}/attachments/{attachment.id}/remove",
        data={"csrf_token": _token(desk, case)},
    )
    assert response.status_code == 303
    assert _count(db_session) == 0


def test_the_upload_needs_the_forms_csrf_token(desk, open_case, db_session):
    case = open_case()
    response = desk.post(
        f"/cases/{case['id']}/attachments",
        data={"file": (io.BytesIO(photo()), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert _count(db_session) == 0
