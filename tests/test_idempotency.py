"""What an Idempotency-Key's request is compared by (service.core.idempotency): the
bytes of a JSON body, or for an upload what its parts hold — every client draws its own
multipart boundary, so the same upload is never the same bytes twice."""

from __future__ import annotations

import io

from service.core import idempotency

PATH = "/api/v1/cases/MS-1/attachments"


def fingerprint(
    app, fields: dict[str, str | list[str]], files: list[tuple[str, str, bytes]]
) -> str:
    data: dict = dict(fields)
    for name, filename, content in files:
        # A name given twice carries two parts.
        data.setdefault(name, []).append((io.BytesIO(content), filename))
    # The test client draws a new random boundary for each request it builds.
    with app.test_request_context(PATH, method="POST", data=data):
        return idempotency._fingerprint()


def test_the_same_upload_is_the_same_request_whatever_its_boundary(app):
    upload = ({"note": "scratch on the lid"}, [("file", "lid.jpg", b"\xff\xd8 a photo")])
    assert fingerprint(app, *upload) == fingerprint(app, *upload)


def test_a_field_a_file_its_name_or_its_part_makes_another_request(app):
    fields, files = {"note": "scratch"}, [("file", "lid.jpg", b"photo")]
    first = fingerprint(app, fields, files)
    assert fingerprint(app, {"note": "dent"}, files) != first
    assert fingerprint(app, fields, [("file", "lid.jpg", b"another photo")]) != first
    assert fingerprint(app, fields, [("file", "box.jpg", b"photo")]) != first
    assert fingerprint(app, fields, [("photo", "lid.jpg", b"photo")]) != first


def test_every_part_under_a_repeated_name_counts(app):
    one, two = ("photo", "a.jpg", b"one"), ("photo", "b.jpg", b"two")
    first = fingerprint(app, {"tag": ["lid", "box"]}, [one, two])
    assert fingerprint(app, {"tag": ["lid", "screen"]}, [one, two]) != first
    assert fingerprint(app, {"tag": ["lid", "box"]}, [one, ("photo", "b.jpg", b"2")]) != first


def test_a_file_is_compared_from_its_first_byte(app):
    first = fingerprint(app, {}, [("file", "lid.jpg", b"Aphoto")])
    assert fingerprint(app, {}, [("file", "lid.jpg", b"Bphoto")]) != first


def test_the_order_of_the_parts_does_not_matter(app):
    a, b = ("front", "front.jpg", b"one"), ("back", "back.jpg", b"two")
    assert fingerprint(app, {}, [a, b]) == fingerprint(app, {}, [b, a])


def test_a_json_body_is_compared_byte_for_byte_with_its_method_and_path(app):
    def of(method: str, path: str, body: bytes) -> str:
        with app.test_request_context(
            path, method=method, data=body, content_type="application/json"
        ):
            return idempotency._fingerprint()

    first = of("POST", "/api/v1/cases", b'{"kind": "repair"}')
    assert of("POST", "/api/v1/cases", b'{"kind": "repair"}') == first
    assert of("POST", "/api/v1/cases", b'{"kind": "return"}') != first
    assert of("POST", "/api/v1/customers", b'{"kind": "repair"}') != first
    assert of("PATCH", "/api/v1/cases", b'{"kind": "repair"}') != first
