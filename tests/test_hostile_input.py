"""No input gives a 500. Text holding NUL or an unpaired surrogate, JSON nested deeply,
datetimes at the edge of the range (in fields and in crafted cursors), absurd time
zones: each is a 4xx naming the field, and nothing is written. Large quotes fit.

Run these on PostgreSQL too (TEST_DATABASE_URL): it refuses NUL where SQLite stores it.
"""

from __future__ import annotations

import base64
import io
import json
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from service.cases.models import Case, CaseEvent, CaseItem, CaseStatus
from service.contact_log.models import Contact
from service.core.api import MAX_JSON_DEPTH
from service.core.idempotency import IdempotencyKey
from service.customers.models import Customer
from service.notifications.models import Notification
from service.quotes.models import Quote
from tests.cases.lifecycle_paths import body_for
from tests.conftest import case_payload

NUL = "a\u0000b"
SURROGATE = "a\ud800b"
UNSAFE = pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "lone-surrogate"])
EDGES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1899-12-31T23:59:59Z"]
EDGE = pytest.mark.parametrize("when", EDGES, ids=["year-1-east", "year-9999-west", "1899"])
OUT_OF_WARRANTY = {"sku": "TV-55", "name": "TV 55", "purchase_date": "2015-03-01"}
WRITTEN = (Case, CaseItem, CaseEvent, Customer, Contact, Quote, Notification, IdempotencyKey)


def written(db_session) -> tuple[int, ...]:
    return tuple(db_session.scalar(select(func.count()).select_from(model)) for model in WRITTEN)


def names(response, *path: str) -> None:
    """The error has our shape and `errors` names the field at `path`."""
    body = response.get_json()
    assert set(body) >= {"code", "status", "message", "errors"}, body
    node = body["errors"]
    for key in path:
        assert isinstance(node, dict) and key in node, f"{key!r} not in {node!r}"
        node = node[key]


def with_value(body: Any, path: str, value: Any) -> Any:
    """A copy of `body` with `value` at the dotted `path` (list indexes as numbers)."""
    body = json.loads(json.dumps(body))
    *parents, last = path.split(".")
    node = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = value
    return body


CASE_TEXT_FIELDS = [
    "description",
    "order_reference",
    "kind",
    "customer.name",
    "customer.external_id",
    "customer.email",
    "customer.phone",
    "customer.locale",
    "customer.time_zone",
    "items.0.sku",
    "items.0.name",
    "items.0.serial_number",
]


@UNSAFE
@pytest.mark.parametrize("field", CASE_TEXT_FIELDS)
def test_unsafe_text_in_a_new_case_is_422_naming_the_field_and_nothing_is_written(
    client, tenant, db_session, field, bad
):
    before = written(db_session)
    headers = {**tenant.headers, "Idempotency-Key": "hostile"}
    response = client.post(
        "/api/v1/cases", json=with_value(case_payload(), field, bad), headers=headers
    )
    assert response.status_code == 422
    names(response, "json", *field.split("."))
    assert written(db_session) == before


@UNSAFE
@pytest.mark.parametrize("field", ["name", "email", "phone", "time_zone", "locale"])
def test_unsafe_text_in_a_customer_update_is_422_and_changes_nothing(
    client, tenant, open_case, db_session, field, bad
):
    customer = open_case()["customer"]
    url = f"/api/v1/customers/{customer['id']}"
    etag = client.get(url, headers=tenant.headers).headers["ETag"]
    response = client.patch(url, json={field: bad}, headers={**tenant.headers, "If-Match": etag})
    assert response.status_code == 422
    names(response, "json", field)
    assert client.get(url, headers=tenant.headers).get_json()[field] == customer[field]


@UNSAFE
@pytest.mark.parametrize("field", ["summary", "outcome"])
def test_unsafe_text_in_a_contact_is_422_and_nothing_is_logged(
    client, admin, walk, db_session, field, bad
):
    case = walk(CaseStatus.open)
    before = written(db_session)
    body = {"direction": "in", "channel": "phone", "summary": "Called", field: bad}
    response = client.post(f"/api/v1/cases/{case['id']}/contacts", json=body, headers=admin.headers)
    assert response.status_code == 422
    names(response, "json", field)
    assert written(db_session) == before


@UNSAFE
def test_unsafe_text_in_an_action_body_is_422_and_the_case_stays(
    client, admin, walk, act, db_session, bad
):
    case = walk(CaseStatus.open)
    before = written(db_session)
    response = act(case["id"], "cancel", {"reason": bad}, admin.headers)
    assert response.status_code == 422
    names(response, "json", "reason")
    assert written(db_session) == before
    assert (
        client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()["status"]
        == CaseStatus.open.value
    )


# URLs carry bytes: a lone surrogate cannot arrive in a path or query (its UTF-8 is
# invalid and decodes to U+FFFD), a NUL can.
@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/cases?order_reference=a%00b", "order_reference"),
        ("/api/v1/cases?cursor=%00", "cursor"),
        ("/api/v1/customers?external_id=a%00b", "external_id"),
        ("/api/v1/customers?email=a%00b%40example.com", "email"),
    ],
)
def test_a_nul_in_a_filter_is_422_naming_it(client, tenant, url, param):
    response = client.get(url, headers=tenant.headers)
    assert response.status_code == 422
    names(response, "query", param)


def test_a_nul_in_the_idempotency_key_is_400_naming_it_and_nothing_is_written(
    client, tenant, db_session
):
    before = written(db_session)
    headers = {**tenant.headers, "Idempotency-Key": NUL}
    response = client.post("/api/v1/cases", json=case_payload(), headers=headers)
    assert response.status_code == 400
    names(response, "headers", "Idempotency-Key")
    assert written(db_session) == before


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/v1/cases/MS-1%00"),
        ("GET", "/api/v1/cases/MS-1%00/timeline"),
        ("POST", "/api/v1/cases/MS-1%00/actions/cancel"),
        ("POST", "/api/v1/cases/MS-1%00/contacts"),
        ("POST", "/api/v1/cases/MS-1%00/attachments"),
        ("GET", "/api/v1/cases/MS-1%00/attachments/00000000-0000-0000-0000-000000000000"),
    ],
)
def test_a_nul_in_the_case_reference_is_422_naming_it(client, admin, db_session, method, url):
    before = written(db_session)
    response = client.open(url, method=method, json={"reason": "x"}, headers=admin.headers)
    assert response.status_code == 422
    names(response, "path", "case_ref")
    assert written(db_session) == before


def _string_fields(spec: dict, schema: dict, prefix: str = "") -> list[str]:
    """Dotted paths of every string property of a request schema, through nesting."""
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "object" in types or "properties" in schema:
        return [
            path
            for name, sub in schema.get("properties", {}).items()
            if not sub.get("readOnly")
            for path in _string_fields(spec, sub, f"{prefix}{name}.")
        ]
    if "array" in types:
        return _string_fields(spec, schema.get("items", {}), f"{prefix}0.")
    return [prefix.rstrip(".")] if "string" in types or "enum" in schema else []


def test_every_text_field_of_every_request_body_refuses_nul(app, client, admin, db_session):
    """The shared check covers schemas nobody listed here: walk the spec."""
    spec = app.extensions["api"].spec.to_dict()
    checked = 0
    for path, operations in spec["paths"].items():
        url = path.replace("{case_ref}", "MS-1").replace("{prefix}", "ask_0")
        url = re.sub(r"\{\w+_id\}", "00000000-0000-0000-0000-000000000000", url)
        for method, operation in operations.items():
            if method == "parameters":
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not body:
                continue
            for field in _string_fields(spec, body["schema"]):
                payload: Any = NUL
                for part in reversed(field.split(".")):
                    payload = [payload] if part == "0" else {part: payload}
                headers = {**admin.headers, "If-Match": '"any"'}
                response = client.open(url, method=method, json=payload, headers=headers)
                assert response.status_code == 422, (method, path, field, response.get_json())
                names(response, "json", *field.split("."))
                checked += 1
    assert checked > 50
    assert written(db_session)[0] == 0


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [("POST", "/api/v1/cases", "case"), ("PATCH", "/api/v1/customers/{customer}", "patch")],
)
def test_json_nested_a_thousand_deep_is_400_and_nothing_is_written(
    client, tenant, open_case, db_session, method, url, body
):
    customer = open_case()["customer"]
    before = written(db_session)
    deep = "[" * 1000 + "]" * 1000
    raw = json.dumps(case_payload() if body == "case" else {"name": "x"})
    raw = raw[:-1] + f', "description": {deep}}}'
    response = client.open(
        url.format(customer=customer["id"]),
        method=method,
        data=raw,
        content_type="application/json",
        headers={**tenant.headers, "If-Match": "*"},
    )
    assert response.status_code == 400
    names(response, "json")
    assert str(MAX_JSON_DEPTH) in response.get_json()["message"]
    assert written(db_session) == before


def test_nesting_within_the_limit_is_still_parsed_and_judged_by_the_schema(client, tenant):
    nested = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    raw = json.dumps(case_payload())[:-1] + f', "order_reference": {nested}}}'
    response = client.post(
        "/api/v1/cases", data=raw, content_type="application/json", headers=tenant.headers
    )
    assert response.status_code == 422
    names(response, "json", "order_reference")


@EDGE
@pytest.mark.parametrize("param", ["due_before", "created_after", "created_before"])
def test_an_edge_of_range_datetime_filter_is_422_naming_it(client, tenant, param, when):
    response = client.get("/api/v1/cases", query_string={param: when}, headers=tenant.headers)
    assert response.status_code == 422
    names(response, "query", param)


def _cursor(created_at: str) -> str:
    raw = json.dumps([created_at, "00000000-0000-0000-0000-000000000000"]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("created_at", [*EDGES, "2026-01-01T00:00:00"], ids=[*EDGES, "no-zone"])
@pytest.mark.parametrize("url", ["/api/v1/cases", "/api/v1/customers"])
def test_a_crafted_cursor_out_of_range_or_without_zone_is_422(client, tenant, url, created_at):
    response = client.get(url, query_string={"cursor": _cursor(created_at)}, headers=tenant.headers)
    assert response.status_code == 422
    names(response, "query", "cursor")


@EDGE
def test_a_quote_valid_until_the_edge_of_time_is_422_and_no_quote_is_written(
    client, admin, technician, walk, act, db_session, when
):
    case = walk(CaseStatus.diagnosing)
    before = written(db_session)
    body = {**body_for("send_quote", case, str(technician.user.id)), "valid_until": when}
    response = act(case["id"], "send_quote", body, admin.headers)
    assert response.status_code == 422
    names(response, "json", "valid_until")
    assert written(db_session) == before


@EDGE
def test_a_contact_occurred_at_the_edge_of_time_is_422_and_nothing_is_logged(
    client, admin, walk, db_session, when
):
    case = walk(CaseStatus.open)
    before = written(db_session)
    body = {"direction": "out", "channel": "phone", "summary": "Called", "occurred_at": when}
    response = client.post(f"/api/v1/cases/{case['id']}/contacts", json=body, headers=admin.headers)
    assert response.status_code == 422
    names(response, "json", "occurred_at")
    assert written(db_session) == before


@pytest.mark.parametrize("zone", ["A" * 300, "../../../etc/passwd", "Asia/", "UTC\u0000"])
def test_an_impossible_time_zone_is_422_on_create_and_update(
    client, tenant, open_case, db_session, zone
):
    customer = open_case()["customer"]
    before = written(db_session)
    payload = with_value(case_payload(), "customer.time_zone", zone)
    created = client.post("/api/v1/cases", json=payload, headers=tenant.headers)
    assert created.status_code == 422
    names(created, "json", "customer", "time_zone")
    url = f"/api/v1/customers/{customer['id']}"
    etag = client.get(url, headers=tenant.headers).headers["ETag"]
    updated = client.patch(
        url, json={"time_zone": zone}, headers={**tenant.headers, "If-Match": etag}
    )
    assert updated.status_code == 422
    names(updated, "json", "time_zone")
    assert written(db_session) == before


def test_a_quote_past_32_bits_within_the_documented_limits_is_stored_exactly(
    client, admin, technician, walk, act
):
    case = walk(CaseStatus.diagnosing, items=[OUT_OF_WARRANTY])
    body = body_for("send_quote", case, str(technician.user.id))
    line = {"kind": "part", "description": "Panel", "unit_price_minor": 100_000_000}
    body["lines"] = [line] * 22  # 2,200,000,000 > 2**31 - 1
    response = act(case["id"], "send_quote", body, admin.headers)
    assert response.status_code == 200, response.get_json()
    quotes = client.get(f"/api/v1/cases/{case['id']}/quotes", headers=admin.headers).get_json()
    assert quotes[-1]["subtotal_minor"] == 2_200_000_000


def test_the_largest_quote_the_spec_allows_is_stored_exactly(client, admin, technician, walk, act):
    case = walk(CaseStatus.diagnosing, items=[OUT_OF_WARRANTY])
    body = body_for("send_quote", case, str(technician.user.id))
    line = {"kind": "part", "description": "Panel", "quantity": 1000, "unit_price_minor": 10**8}
    body["lines"] = [line] * 100
    response = act(case["id"], "send_quote", body, admin.headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["current_quote"]["subtotal_minor"] == 10**13


def test_the_spec_documents_money_as_64_bit_with_its_limits(app):
    schemas = app.extensions["api"].spec.to_dict()["components"]["schemas"]
    assert schemas["Quote"]["properties"]["total_minor"]["format"] == "int64"
    line_in = schemas["QuoteLineIn"]["properties"]["unit_price_minor"]
    assert (line_in["maximum"], line_in["format"]) == (100_000_000, "int64")
    assert schemas["SendQuote"]["properties"]["lines"]["maxItems"] == 100


def test_a_request_schema_cannot_load_a_datetime_without_the_range_check():
    import marshmallow as ma

    from service.core.api import Schema

    class CarelessSchema(Schema):
        when = ma.fields.AwareDateTime()

    with pytest.raises(TypeError, match=r"fields\.DateTime"):
        CarelessSchema().load({"when": "2026-01-01T00:00:00Z"})


# --- multipart uploads (service/attachments/): the spec walk above covers JSON bodies only.


def _upload(client, headers, case: dict, filename: str = "photo.jpg", **fields: str):
    from tests.attachments.files import photo

    return client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        data={"file": (io.BytesIO(photo()), filename), **fields},
        content_type="multipart/form-data",
        headers=headers,
    )


@pytest.mark.parametrize("field", ["kind", "note"])
def test_a_nul_in_an_upload_field_is_422_naming_it_and_nothing_is_written(
    client, tenant, open_case, db_session, field
):
    from service.attachments.models import Attachment

    case = open_case()
    before = written(db_session)
    response = _upload(client, tenant.headers, case, **{field: NUL})
    assert response.status_code == 422
    names(response, "form", field)
    assert written(db_session) == before
    assert db_session.scalar(select(func.count()).select_from(Attachment)) == 0


@pytest.mark.parametrize(
    "filename",
    ["a\u0000b.jpg", "../../etc/passwd", "C:\\Windows\\x.jpg", "<script>.jpg", "." * 300],
    ids=["nul", "traversal", "windows-path", "markup", "long-dots"],
)
def test_a_hostile_file_name_is_stored_cleaned_never_as_a_path(client, tenant, open_case, filename):
    response = _upload(client, tenant.headers, open_case(), filename=filename)
    assert response.status_code == 201, response.get_json()
    stored = response.get_json()["filename"]
    assert stored.endswith(".jpg")
    assert not set(stored) & set("\x00/\\<>")
    assert len(stored) <= 120
