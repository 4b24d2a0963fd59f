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
    assert last["actor"] == {"type": "staff", "id": str(admin.user.id), "name": "Ada Admin"}
    assert last["internal"] is False  # a status change is for the customer to see too
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


def test_timeline_events_are_numbered_from_one_without_gaps(client, admin, walk):
    case = walk(CaseStatus.closed)
    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline", headers=admin.headers).get_json()
    assert [e["sequence"] for e in timeline] == list(range(1, len(timeline) + 1))


def test_the_note_given_with_an_action_is_on_its_timeline_event(
    client, admin, technician, walk, act
):
    case = walk(CaseStatus.open)
    body = {**body_for("request_item", case, str(technician.user.id)), "note": "Asked by phone."}
    assert act(case["id"], "request_item", body, admin.headers).status_code == 200
    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline", headers=admin.headers).get_json()
    assert (timeline[-1]["action"], timeline[-1]["note"]) == ("request_item", "Asked by phone.")


def test_a_refused_action_says_why_in_words(client, admin, technician, walk, act):
    closed = walk(CaseStatus.closed)
    receipt = body_for("receive", closed, str(technician.user.id))
    response = act(closed["id"], "receive", receipt, admin.headers)
    assert response.status_code == 409
    assert response.get_json()["message"] == "Cannot receive a case that is closed."
    opened = walk(CaseStatus.open)
    body = body_for("request_item", opened, str(technician.user.id))
    refused = act(opened["id"], "request_item", body, technician.headers)
    assert refused.status_code == 403
    assert refused.get_json()["message"] == "A technician may not request_item."


def test_the_survey_is_scheduled_when_the_case_is_completed_and_not_before(
    client, admin, walk, db_session
):
    import uuid

    from sqlalchemy import func, select

    from service.surveys.models import Survey

    def surveys(case: dict) -> int:
        return db_session.scalar(
            select(func.count()).select_from(Survey).where(Survey.case_id == uuid.UUID(case["id"]))
        )

    shipped = walk(CaseStatus.shipped)
    assert surveys(shipped) == 0
    delivered = walk.advance(shipped["id"], ["deliver"])
    assert surveys(delivered) == 1
    # A later event that changes no status (a reassignment) schedules no second one.
    etag = client.get(f"/api/v1/cases/{delivered['id']}", headers=admin.headers).headers["ETag"]
    reassigned = client.post(
        f"/api/v1/cases/{delivered['id']}/assignment",
        json={"priority": "high"},
        headers={**admin.headers, "If-Match": etag},
    )
    assert reassigned.status_code == 200, reassigned.get_json()
    assert surveys(delivered) == 1
