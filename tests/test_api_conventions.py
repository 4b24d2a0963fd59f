"""What integrators expect of every operation, held for all of them at once: a
stable operationId, every error documented with the error schema, Location and ETag on
each 201, 415 for a body that is not JSON."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from service.cases.models import CaseStatus
from service.core.operation_ids import operation_id

SPEC = json.loads((Path(__file__).parent.parent / "openapi" / "openapi.json").read_text())
OPERATIONS = [
    (method, path, operation)
    for path, item in SPEC["paths"].items()
    for method, operation in item.items()
    if method != "parameters"
]


def test_every_operation_has_a_unique_readable_operation_id():
    ids = [operation.get("operationId") for _method, _path, operation in OPERATIONS]
    assert all(ids) and not [name for name, n in Counter(ids).items() if n > 1]
    named = {(m, p): o["operationId"] for m, p, o in OPERATIONS}
    assert named["post", "/api/v1/cases"] == "createCase"
    assert named["get", "/api/v1/cases"] == "listCases"
    assert named["patch", "/api/v1/cases/{case_ref}"] == "updateCase"
    assert named["post", "/api/v1/cases/{case_ref}/actions/receive"] == "receiveCase"
    assert named["post", "/api/v1/cases/{case_ref}/actions/send_quote"] == "sendQuote"


def test_operation_ids_come_from_method_and_path():
    assert operation_id("get", "/cases/<string:case_ref>/shipments") == "listCaseShipments"
    assert operation_id("post", "/cases/<string:case_ref>/shipments") == "createCaseShipment"
    assert operation_id("post", "/storefronts/<uuid:s>/keys/<p>/revoke") == "revokeStorefrontKey"
    assert operation_id("get", "/staff") == "listStaff"
    assert operation_id("get", "/staff/<uuid:staff_id>") == "getStaff"
    assert operation_id("delete", "/macros/<uuid:macro_id>") == "deleteMacro"
    assert operation_id("get", "/cases/<string:case_ref>/survey") == "getCaseSurvey"


def _resolve(response: dict) -> dict:
    if "$ref" in response:
        return SPEC["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return response


def test_every_error_response_is_documented_with_the_error_schema():
    for method, path, operation in OPERATIONS:
        responses = operation["responses"]
        expected = {"429", "500", "503"}
        if "requestBody" in operation:
            expected |= {"400", "413", "415", "422"}
        if "{" in path:
            expected |= {"404"}
        if operation.get("security"):
            expected |= {"401"}
        missing = expected - set(responses)
        assert not missing, f"{method.upper()} {path} does not document {sorted(missing)}"
        for status, response in responses.items():
            if status != "default" and int(status) < 400:
                continue
            schema = _resolve(response)["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    limited = _resolve({"$ref": "#/components/responses/TOO_MANY_REQUESTS"})
    assert {"Retry-After", "RateLimit-Policy", "RateLimit"} <= set(limited["headers"])


def test_every_201_documents_location_and_etag_and_the_main_operations_have_examples():
    for _method, path, operation in OPERATIONS:
        if "201" in operation["responses"]:
            assert {"Location", "ETag"} <= set(operation["responses"]["201"]["headers"]), path
    create = SPEC["paths"]["/api/v1/cases"]["post"]
    assert create["requestBody"]["content"]["application/json"]["example"]["kind"] == "repair"
    assert create["responses"]["201"]["content"]["application/json"]["example"]["number"]
    update = SPEC["paths"]["/api/v1/cases/{case_ref}"]["patch"]
    assert update["requestBody"]["content"]["application/json"]["example"]


def test_every_create_answers_location_and_etag(client, tenant, admin, walk, open_case):
    case = open_case()
    on_its_way = walk(CaseStatus.awaiting_item)
    creates = [
        (f"/api/v1/cases/{on_its_way['id']}/shipments", {"tracking_number": "SF1385628716739"}),
        (
            f"/api/v1/cases/{case['id']}/contacts",
            {"direction": "out", "channel": "phone", "summary": "Called back"},
        ),
        (f"/api/v1/cases/{case['id']}/messages", {"body": "We have your case."}),
        (
            "/api/v1/macros",
            {
                "name": "Thanks",
                "bodies": {"en": "Thanks"},
                "storefront_id": str(tenant.storefront.id),
            },
        ),
        (
            "/api/v1/staff",
            {"email": "new@desk.example", "name": "New", "role": "agent", "password": "x" * 12},
        ),
        (f"/api/v1/storefronts/{tenant.storefront.id}/keys", {"label": "erp"}),
    ]
    for path, body in creates:
        answer = client.post(path, json=body, headers=admin.headers)
        assert answer.status_code == 201, (path, answer.get_json())
        assert answer.headers["ETag"].startswith('"'), path
        location = answer.headers["Location"]
        assert client.get(location, headers=admin.headers).status_code == 200, (path, location)
    staff = client.post(
        "/api/v1/staff",
        json={"email": "other@desk.example", "name": "O", "role": "agent", "password": "y" * 12},
        headers=admin.headers,
    )
    # The ETag the new resource's GET gives: If-Match works at once.
    assert (
        client.get(staff.headers["Location"], headers=admin.headers).headers["ETag"]
        == (staff.headers["ETag"])
    )


def test_a_body_that_is_not_json_is_415_in_the_error_shape(client, tenant):
    answer = client.post(
        "/api/v1/cases", data="kind=repair", content_type="text/plain", headers=tenant.headers
    )
    assert answer.status_code == 415
    body = answer.get_json()
    assert body["code"] == 415 and "Content-Type" in body["errors"]["headers"]
