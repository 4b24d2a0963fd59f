"""One error shape everywhere: every API error is `{code, status, message, errors}`
(405 with `Allow`); paths under /c/ that are no page get the customer pages' own
friendly page and headers; the spec documents every error with the error schema."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import TooManyRequests

from service.cases.models import CaseStatus
from service.customer_pages.routes import CONTENT_SECURITY_POLICY
from tests.conftest import case_payload

SHAPE = {"code", "status", "message", "errors"}


def assert_error(response, code: int) -> dict:
    assert response.status_code == code, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    body = response.get_json()
    assert set(body) >= SHAPE, body
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    return body


def test_malformed_json_is_400_in_the_shape(client, tenant):
    response = client.post(
        "/api/v1/cases", data="{", content_type="application/json", headers=tenant.headers
    )
    assert assert_error(response, 400)["errors"] == {"json": ["Invalid JSON body."]}


def test_no_credentials_is_401_in_the_shape_with_the_challenge(client):
    response = client.get("/api/v1/cases")
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_storefront_on_a_staff_operation_is_403_in_the_shape(client, tenant, open_case):
    case = open_case()
    assert_error(client.get(f"/api/v1/cases/{case['id']}/contacts", headers=tenant.headers), 403)


@pytest.mark.parametrize("url", ["/api/v1/cases/MS-404", "/api/v1/nothing", "/nothing"])
def test_not_found_is_404_in_the_shape(client, tenant, url):
    assert_error(client.get(url, headers=tenant.headers), 404)


def test_a_method_not_allowed_is_405_in_the_shape_with_allow(client, tenant):
    response = client.put("/api/v1/cases", json={}, headers=tenant.headers)
    assert_error(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_a_refused_action_is_409_in_the_shape_with_what_is_allowed(client, admin, walk, act):
    case = walk(CaseStatus.open)
    body = assert_error(act(case["id"], "ship", {"tracking_number": "x"}, admin.headers), 409)
    assert body["current_status"] == "open"
    assert "cancel" in body["allowed_actions"]


def test_a_stale_if_match_is_412_and_a_missing_one_428_in_the_shape(client, admin, walk):
    case = walk(CaseStatus.open)
    url = f"/api/v1/cases/{case['id']}/actions/cancel"
    body = {"reason": "Changed mind"}
    assert_error(client.post(url, json=body, headers=admin.headers), 428)
    before = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).headers["ETag"]
    moved = client.post(
        f"/api/v1/cases/{case['id']}/assignment",
        json={"priority": "high"},
        headers={**admin.headers, "If-Match": before},
    )
    assert moved.status_code == 200
    stale = {**admin.headers, "If-Match": before}
    assert_error(client.post(url, json=body, headers=stale), 412)


def test_an_oversized_body_is_413_in_the_shape(client, tenant, app):
    limit = app.config["SETTINGS"].max_content_length
    raw = json.dumps(case_payload(description="x" * (limit + 1)))
    response = client.post(
        "/api/v1/cases", data=raw, content_type="application/json", headers=tenant.headers
    )
    assert str(limit) in assert_error(response, 413)["message"]


def test_invalid_input_is_422_in_the_shape(client, tenant):
    body = assert_error(client.post("/api/v1/cases", json={}, headers=tenant.headers), 422)
    assert "kind" in body["errors"]["json"]


@pytest.fixture
def faulty_app(committing_app: Flask) -> Flask:
    """Routes failing as a rate limiter, a bug and a lost database would: the handlers
    run as in production (the app does not propagate exceptions in tests)."""

    @committing_app.get("/api/v1/_test/limited")
    def limited() -> None:
        raise TooManyRequests()

    @committing_app.get("/api/v1/_test/bug")
    def bug() -> None:
        raise RuntimeError("a bug")

    @committing_app.get("/api/v1/_test/database")
    def database() -> None:
        raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))

    return committing_app


@pytest.mark.parametrize(
    ("url", "code"),
    [("/api/v1/_test/limited", 429), ("/api/v1/_test/bug", 500), ("/api/v1/_test/database", 503)],
)
def test_rate_limits_bugs_and_a_lost_database_answer_in_the_shape(faulty_app, url, code):
    body = assert_error(faulty_app.test_client().get(url), code)
    assert "a bug" not in body["message"]


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("GET", "/c/", 404),
        ("GET", "/c/a/b/c", 404),
        ("GET", "/c/quote/", 404),
        ("PUT", "/c/some-token", 405),
        ("DELETE", "/c/survey/some-token", 405),
    ],
)
def test_paths_under_c_that_are_no_page_get_the_friendly_page_with_its_headers(
    client, method, path, code
):
    response = client.open(path, method=method)
    assert response.status_code == code
    assert response.content_type.startswith("text/html")
    page = response.get_data(as_text=True)
    assert "<html" in page and '"code"' not in page
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    if code == 405:
        assert "GET" in response.headers["Allow"]


def _resolve(spec: dict, response: dict) -> dict:
    if "$ref" in response:
        return spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return response


def test_every_operation_documents_its_errors_with_the_error_schema(app):
    spec = app.extensions["api"].spec.to_dict()
    error = spec["components"]["schemas"]["Error"]
    assert set(error["required"]) == SHAPE
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            codes = set(operation["responses"])
            assert {"401", "500", "503", "default"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= codes, (method, path)
            for code, response in operation["responses"].items():
                if code == "default" or int(code) >= 400:
                    schema = _resolve(spec, response)["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, code)
