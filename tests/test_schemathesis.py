"""Schemathesis over every operation of our OpenAPI spec, authenticated with a real
storefront key: whatever it sends (valid and invalid bodies, queries, paths, headers,
and methods the path does not take), no answer is a 5xx and every answer is one the
spec documents, with the documented content type, headers and body schema.

Each operation runs three times: with the path arguments Schemathesis makes up, and
against a real case and customer with the current ETag in If-Match (as the storefront
and as a staff admin), so that bodies reach the service code rather than stopping at
404, 412 or 428.

Bounded and derandomized, so CI runs the same examples every time. To dig deeper:
`SCHEMATHESIS_RANDOM=1 SCHEMATHESIS_MAX_EXAMPLES=200 pytest tests/test_schemathesis.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("SCHEMATHESIS_RANDOM"),
    database=None,
    suppress_health_check=list(HealthCheck),
)

# The committed spec, which tests/test_openapi.py holds equal to the app's. (Loading it
# from the app through a fixture, schemathesis.pytest.from_fixture, fails on pytest 9.)
schema = schemathesis.openapi.from_path(Path(__file__).parent.parent / "openapi" / "openapi.json")


def call(case, app, headers: dict[str, str]) -> None:
    # Checks that send follow-up requests need the app on the schema too.
    case.operation.schema.app = app
    case.call_and_validate(app=app, headers=headers, checks=CHECKS)


def on_real_case(case, client, headers: dict[str, str], real: dict) -> dict[str, str]:
    """Point `case` at a real case and customer; the headers with its current ETag."""
    if "case_ref" in case.path_parameters:
        case.path_parameters["case_ref"] = real["number"]
    if "customer_id" in case.path_parameters:
        case.path_parameters["customer_id"] = real["customer"]["id"]
    if case.method.upper() not in ("POST", "PATCH") or not case.path_parameters:
        return headers
    # Actions and the assignment are checked against the case's ETag.
    resource = case.formatted_path.split("/actions/")[0].removesuffix("/assignment")
    etag = client.get(resource, headers=headers).headers.get("ETag")
    return {**headers, "If-Match": etag} if etag else headers


@pytest.fixture
def real(open_case):
    """A real case and its customer, at the storefront whose key we send."""
    return open_case()


@schema.parametrize()
@FUZZ
def test_any_request_to_any_operation_gets_a_documented_answer_and_no_5xx(case, app, tenant):
    call(case, app, tenant.headers)


@schema.parametrize()
@FUZZ
def test_any_request_about_a_real_case_gets_a_documented_answer_and_no_5xx(
    case, app, client, tenant, real
):
    call(case, app, on_real_case(case, client, tenant.headers, real))


@schema.parametrize()
@FUZZ
def test_any_staff_request_about_a_real_case_gets_a_documented_answer_and_no_5xx(
    case, app, client, admin, real
):
    call(case, app, on_real_case(case, client, admin.headers, real))
