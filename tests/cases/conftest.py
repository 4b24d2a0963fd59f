"""Fixtures for the case tests."""

from __future__ import annotations

import pytest

from service.cases.models import CaseKind, CaseStatus
from tests.cases.lifecycle_paths import body_for, items_for, path_to


@pytest.fixture
def walk(client, admin, technician, open_case, act):
    """`walk(status, kind)`: a new case taken by staff, through the API, to `status`."""

    def to(status: CaseStatus, kind: CaseKind = CaseKind.repair, **overrides) -> dict:
        overrides.setdefault("items", items_for(kind))
        opened = open_case(kind=kind.value, **overrides)
        case = client.get(f"/api/v1/cases/{opened['id']}", headers=admin.headers).get_json()
        for action in path_to(kind, status):
            response = act(
                case["id"], action, body_for(action, case, str(technician.user.id)), admin.headers
            )
            assert response.status_code == 200, (action, response.get_json())
            case = response.get_json()
        return case

    return to
