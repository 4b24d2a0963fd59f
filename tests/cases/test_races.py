"""Racing actions on one case (real commits, separate connections): exactly one wins,
and the loser is answered by the row lock of case lookup (`get_case(for_update=True)`):
it waits for the winner's commit, then finds the case changed (412).

PostgreSQL only: SQLite serialises writing transactions, so the race cannot happen there
and these tests would pass with or without the lock. On PostgreSQL, taking the lock away
(`with_for_update` in service/cases/intake.py) makes them fail: both requests read the
same version and the loser trips over the version check at flush instead (409
"Changed concurrently"); see tests/README.md.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from service.cases.models import CaseEvent
from tests.conftest import case_payload, committed_tenant, postgres_only

pytestmark = postgres_only

ROUNDS = 5


@pytest.fixture
def race(committing_app, staff_password_hash):
    with committed_tenant(
        committing_app, staff_password_hash, "Race Shop", "race-shop", "RC"
    ) as tenant:
        yield committing_app, tenant


def test_two_conflicting_actions_racing_one_wins_and_the_timeline_has_one_event(race):
    """The loser waits on the case's row lock, then sees the winner's commit: 412."""
    committing_app, tenant = race
    key, token = tenant.key, tenant.token
    staff = {"Authorization": f"Bearer {token}"}
    client = committing_app.test_client()
    database = committing_app.extensions["database"]

    for _ in range(ROUNDS):
        case = client.post(
            "/api/v1/cases", json=case_payload(), headers={"Authorization": f"Bearer {key}"}
        )
        case_id = case.get_json()["id"]
        item_id = case.get_json()["items"][0]["id"]
        etag = client.get(f"/api/v1/cases/{case_id}", headers=staff).headers["ETag"]
        contenders = [
            ("cancel", {"reason": "Customer called to cancel"}),
            ("receive", {"items": [{"item_id": item_id, "condition": "as_described"}]}),
        ]
        start = threading.Barrier(len(contenders))

        def race(contender, case_id=case_id, etag=etag, start=start):
            action, body = contender
            racer = committing_app.test_client()
            start.wait()
            response = racer.post(
                f"/api/v1/cases/{case_id}/actions/{action}",
                json=body,
                headers={**staff, "If-Match": etag},
            )
            return response.status_code, response.get_json()

        with ThreadPoolExecutor(max_workers=len(contenders)) as pool:
            responses = list(pool.map(race, contenders))

        statuses = sorted(status for status, _body in responses)
        assert statuses == [200, 412], responses
        with database.sessionmaker() as session:
            events = session.scalar(
                select(func.count())
                .select_from(CaseEvent)
                .where(CaseEvent.case_id == uuid.UUID(case_id))
            )
        assert events == 2  # open + the winner
