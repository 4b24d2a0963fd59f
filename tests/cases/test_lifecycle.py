"""The transition table: checked against the hand-written lifecycle
(tests/cases/expected_lifecycle.py), then walked row by row through the API."""

from __future__ import annotations

import pytest

from service.cases.lifecycle import TRANSITIONS
from service.cases.models import CaseKind, CaseStatus
from tests.cases.expected_lifecycle import BY_ACTION, EXPECTED, Row
from tests.cases.lifecycle_paths import body_for, path_to


def _as_row(transition) -> Row:
    return Row(
        transition.action,
        frozenset(s.value for s in transition.sources),
        transition.target.value,
        frozenset(k.value for k in transition.kinds),
        frozenset(a.value for a in transition.actors),
        frozenset(r.value for r in transition.staff_roles),
    )


def test_the_transition_table_is_the_documented_lifecycle():
    assert list(TRANSITIONS) == [row.action for row in EXPECTED]
    for action, transition in TRANSITIONS.items():
        assert transition.action == action
        assert _as_row(transition) == BY_ACTION[action], action


def _reachable_rows() -> list[tuple[str, CaseStatus, CaseKind]]:
    """Every (action, from-status, kind) of the table whose from-status the kind reaches."""
    rows = []
    for transition in TRANSITIONS.values():
        for kind in sorted(transition.kinds):
            for source in sorted(transition.sources):
                try:
                    path_to(kind, source)
                except LookupError:
                    continue
                rows.append((transition.action, source, kind))
    return rows


ROWS = _reachable_rows()


@pytest.mark.parametrize(
    ("action", "source", "kind"), ROWS, ids=[f"{a}-{s.value}-{k.value}" for a, s, k in ROWS]
)
def test_every_row_of_the_transition_table(
    client, admin, technician, walk, act, action, source, kind
):
    case = walk(source, kind)
    assert case["status"] == source.value
    assert action in case["allowed_actions"]
    before = client.get(f"/api/v1/cases/{case['id']}/timeline", headers=admin.headers).get_json()

    response = act(
        case["id"], action, body_for(action, case, str(technician.user.id)), admin.headers
    )

    assert response.status_code == 200, response.get_json()
    after = response.get_json()
    target = CaseStatus(BY_ACTION[action].target)
    assert after["status"] == target.value
    assert after["version"] > case["version"]
    assert response.headers["ETag"] != ""
    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline", headers=admin.headers).get_json()
    assert len(timeline) == len(before) + 1
    last = timeline[-1]
    assert (last["action"], last["from_status"], last["to_status"]) == (
        action,
        source.value,
        target.value,
    )
    assert last["actor"]["type"] == "staff"
    assert last["actor"]["name"] == "Ada Admin"
    expected_allowed = [
        row.action
        for row in EXPECTED
        if kind.value in row.kinds and target.value in row.sources and "staff" in row.actors
    ]
    assert set(after["allowed_actions"]) <= set(expected_allowed)


def test_the_timeline_explains_the_status(client, admin, walk):
    case = walk(CaseStatus.closed)
    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline", headers=admin.headers).get_json()
    status = None
    for event in timeline:
        assert event["from_status"] == status
        status = event["to_status"]
    assert status == "closed"
    assert [e["action"] for e in timeline] == ["open", *path_to(CaseKind.repair, CaseStatus.closed)]
