"""Attachments over the API: what is kept of a photo, what is refused (and then nothing
is stored or written), the limits, the timeline, idempotency and removal."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from service.attachments.models import Attachment
from service.cases.models import CaseEvent
from tests.attachments.files import bomb_png, executable, exif_of, noise_png, pdf, photo


def _counts(db_session) -> tuple[int, int]:
    return (
        db_session.scalar(select(func.count()).select_from(Attachment)),
        db_session.scalar(select(func.count()).select_from(CaseEvent)),
    )


def test_a_photo_is_stored_upright_without_its_exif_and_gps(client, tenant, open_case, upload, app):
    case = open_case()
    original = photo()
    assert exif_of(original)["gps"], "the fixture must carry a GPS position"
    response = upload(case, original, kind="damage_photo", note="Cracked corner")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["kind"] == "damage_photo" and body["note"] == "Cracked corner"
    assert body["content_type"] == "image/jpeg"
    assert response.headers["Location"].endswith(f"/attachments/{body['id']}")
    assert response.headers["ETag"] == f'"{body["sha256"]}"'
    # Orientation 6 applied: the 400 × 300 landscape is stored as a 300 × 400 portrait.
    assert (body["width"], body["height"]) == (300, 400)

    stored = client.get(body["content_url"], headers=tenant.headers)
    assert stored.status_code == 200 and stored.mimetype == "image/jpeg"
    assert exif_of(stored.data) == {"base": {}, "gps": {}}
    # And the bytes in the store itself, not only what the route sends.
    from service.attachments.storage import storage

    with app.app_context():
        key = f"{case['id']}/{body['id']}/file.jpg"
        assert exif_of(storage().get(key)) == {"base": {}, "gps": {}}
    upright = Image.open(io.BytesIO(stored.data))
    # The red half was on the left; turned clockwise it is on top.
    assert upright.getpixel((150, 20))[0] > 200 and upright.getpixel((150, 380))[2] > 200

    thumbnail = client.get(body["thumbnail_url"], headers=tenant.headers)
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumbnail.data)).size) <= 320
    assert stored.headers["X-Content-Type-Options"] == "nosniff"


def test_an_upload_writes_a_timeline_entry_and_is_listed(client, tenant, open_case, upload):
    case = open_case()
    body = upload(case, photo(), kind="invoice").get_json()
    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline", headers=tenant.headers)
    entry = timeline.get_json()[-1]
    assert entry["action"] == "attach"
    assert entry["data"]["attachment_id"] == body["id"]
    listed = client.get(f"/api/v1/cases/{case['id']}/attachments", headers=tenant.headers)
    assert [a["id"] for a in listed.get_json()] == [body["id"]]
    one = client.get(f"/api/v1/cases/{case['id']}/attachments/{body['id']}", headers=tenant.headers)
    assert one.get_json()["sha256"] == body["sha256"]


def test_a_renamed_executable_is_415_naming_the_file_and_nothing_is_kept(
    db_session, open_case, upload, stored_files
):
    case = open_case()
    before, files = _counts(db_session), stored_files()
    response = upload(case, executable(), filename="holiday.jpg", content_type="image/jpeg")
    assert response.status_code == 415
    assert "application/x-executable" in response.get_json()["errors"]["files"]["file"][0]
    assert _counts(db_session) == before
    assert stored_files() == files


def test_an_oversized_image_is_413_naming_the_file_and_nothing_is_kept(
    app, db_session, open_case, upload, stored_files, monkeypatch
):
    case = open_case()
    monkeypatch.setattr(app.config["SETTINGS"], "attachment_max_bytes", 200_000)
    big = noise_png(300, 300)
    assert len(big) > 200_000
    before, files = _counts(db_session), stored_files()
    response = upload(case, big, filename="big.png", content_type="image/png")
    assert response.status_code == 413
    body = response.get_json()
    assert set(body) >= {"code", "status", "message", "errors"}
    assert "200000 bytes" in body["errors"]["files"]["file"][0]
    assert _counts(db_session) == before
    assert stored_files() == files


def test_a_body_far_past_the_upload_limit_is_413_in_the_api_shape_before_it_is_read(
    app, db_session, open_case, upload, stored_files, monkeypatch
):
    case = open_case()
    monkeypatch.setattr(app.config["SETTINGS"], "attachment_max_bytes", 2_000)
    before, files = _counts(db_session), stored_files()
    response = upload(case, noise_png(200, 200), filename="big.png")
    assert response.status_code == 413
    assert "files" in response.get_json()["errors"]
    assert _counts(db_session) == before and stored_files() == files


def test_a_body_bigger_than_max_content_length_but_within_the_upload_limit_is_taken(
    app, open_case, upload
):
    case = open_case()
    big = noise_png(700, 700)
    assert len(big) > app.config["MAX_CONTENT_LENGTH"]
    response = upload(case, big, filename="scan.png", content_type="image/png")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["content_type"] == "image/png"


def test_a_decompression_bomb_is_422_naming_the_file_and_nothing_is_kept(
    db_session, open_case, upload, stored_files
):
    case = open_case()
    before, files = _counts(db_session), stored_files()
    response = upload(case, bomb_png(), filename="bomb.png", content_type="image/png")
    assert response.status_code == 422
    assert "pixels" in response.get_json()["errors"]["files"]["file"][0]
    assert _counts(db_session) == before and stored_files() == files


def test_an_image_just_past_the_pixel_limit_is_refused_by_our_setting(
    app, open_case, upload, monkeypatch
):
    # Below Pillow's own guard: only ATTACHMENT_MAX_PIXELS refuses it.
    monkeypatch.setattr(app.config["SETTINGS"], "attachment_max_pixels", 100_000)
    response = upload(open_case(), bomb_png(side=400), filename="wide.png")
    assert response.status_code == 422
    assert "400 × 400" in response.get_json()["errors"]["files"]["file"][0]


def test_a_cut_short_image_is_422(open_case, upload):
    response = upload(open_case(), photo()[:600])
    assert response.status_code == 422
    assert response.get_json()["errors"]["files"]["file"]


def test_a_pdf_is_kept_as_sent_and_downloads_as_an_attachment(client, tenant, open_case, upload):
    case = open_case()
    response = upload(case, pdf(), filename="receipt.exe", content_type="application/x-msdownload")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["content_type"] == "application/pdf"
    assert body["filename"] == "receipt.pdf"
    assert body["thumbnail_url"] is None
    got = client.get(body["content_url"], headers=tenant.headers)
    assert got.data == pdf()
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert (
        client.get(
            f"/api/v1/cases/{case['id']}/attachments/{body['id']}/thumbnail", headers=tenant.headers
        ).status_code
        == 404
    )


def test_a_bad_kind_or_a_nul_in_the_note_is_422_naming_it(db_session, open_case, upload):
    case = open_case()
    before = _counts(db_session)
    bad_kind = upload(case, photo(), kind="selfie")
    assert bad_kind.status_code == 422 and "kind" in bad_kind.get_json()["errors"]["form"]
    nul = upload(case, photo(), note="a\u0000b")
    assert nul.status_code == 422 and "note" in nul.get_json()["errors"]["form"]
    assert _counts(db_session) == before


def test_no_file_or_a_json_body_is_refused_naming_the_file(client, tenant, open_case, upload):
    case = open_case()
    response = client.post(
        f"/api/v1/cases/{case['id']}/attachments", json={"kind": "invoice"}, headers=tenant.headers
    )
    assert response.status_code == 415
    assert "file" in response.get_json()["errors"]["files"]
    empty = client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        data={"kind": "invoice"},
        content_type="multipart/form-data",
        headers=tenant.headers,
    )
    assert empty.status_code == 422 and "file" in empty.get_json()["errors"]["files"]


def test_a_case_holds_at_most_the_configured_number_of_attachments(
    app, open_case, upload, monkeypatch
):
    monkeypatch.setattr(app.config["SETTINGS"], "attachment_max_per_case", 2)
    case = open_case()
    assert upload(case, photo()).status_code == 201
    assert upload(case, photo()).status_code == 201
    third = upload(case, photo())
    assert third.status_code == 409
    assert "2 attachments" in third.get_json()["errors"]["files"]["file"][0]


def test_the_same_idempotency_key_returns_the_first_upload(db_session, tenant, open_case, upload):
    case = open_case()
    headers = {**tenant.headers, "Idempotency-Key": "upload-1"}
    data = photo()
    first = upload(case, data, headers=headers)
    again = upload(case, data, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert db_session.scalar(select(func.count()).select_from(Attachment)) == 1
    other = upload(case, photo(gps=False), headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.get_json()["errors"]["headers"]


def test_staff_remove_an_attachment_and_a_storefront_may_not(
    client, admin, tenant, open_case, upload, stored_files
):
    case = open_case()
    body = upload(case, photo()).get_json()
    url = f"/api/v1/cases/{case['id']}/attachments/{body['id']}"
    assert client.delete(url, headers=tenant.headers).status_code == 403
    files = stored_files()
    assert client.delete(url, headers=admin.headers).status_code == 204
    assert client.get(url, headers=admin.headers).status_code == 404
    assert len(stored_files()) == len(files) - 2
    events = client.get(f"/api/v1/cases/{case['id']}/timeline", headers=admin.headers).get_json()
    assert events[-1]["action"] == "detach" and events[-1]["internal"] is True


def test_another_cases_attachment_id_is_404_under_this_case(client, tenant, open_case, upload):
    mine, other = open_case(), open_case()
    body = upload(other, photo()).get_json()
    url = f"/api/v1/cases/{mine['id']}/attachments/{body['id']}"
    for suffix in ("", "/content", "/thumbnail"):
        assert client.get(url + suffix, headers=tenant.headers).status_code == 404


def test_an_iphone_heic_photo_is_stored_as_a_jpeg_without_gps(client, tenant, open_case, upload):
    pytest.importorskip("pillow_heif")
    response = upload(open_case(), photo(fmt="HEIF"), filename="IMG_0042.HEIC")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["content_type"] == "image/jpeg" and body["filename"] == "IMG_0042.jpg"
    stored = client.get(body["content_url"], headers=tenant.headers).data
    assert exif_of(stored) == {"base": {}, "gps": {}}
    # pillow-heif writes the orientation into the container, not EXIF: already upright.
    assert (body["width"], body["height"]) == (400, 300)


def test_files_stored_for_an_upload_whose_transaction_rolls_back_are_removed(
    app, open_case, stored_files
):
    import uuid

    from service.attachments.models import AttachmentKind
    from service.attachments.service import Upload, add_attachment
    from service.attachments.storage import storage
    from service.cases.models import Case
    from service.core import db
    from service.core.auth import Actor, ActorType

    case = open_case()
    files = stored_files()
    with app.test_request_context():
        row = db.session().get(Case, uuid.UUID(case["id"]))
        add_attachment(
            db.session(),
            storage(),
            app.config["SETTINGS"],
            row,
            Upload("a.jpg", photo()),
            AttachmentKind.document,
            None,
            Actor(ActorType.system, None, "test"),
        )
        assert len(stored_files() - files) == 2
        db.rollback()
    assert stored_files() == files
