"""Racing actions on one case (real commits, separate connections): exactly one wins."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, func, select

from service import create_app
from service.auth import issue_staff_token
from service.cases.models import CaseEvent
from service.staff.models import StaffRole, StaffUser
from service.storefronts.keys import create_storefront, issue_key
from service.storefronts.models import Storefront
from tests.conftest import TEST_REDIS_URL, case_payload

ROUNDS = 5


@pytest.fixture
def committing_app(app, database_url, instance_dir, staff_password_hash):
    """An app without the per-test rollback, with a storefront and a staff token."""
    racing = create_app(
        instance_dir=instance_dir,
        database_url=database_url,
        redis_url=TEST_REDIS_URL,
        secret_key="test",
    )
    database = racing.extensions["database"]
    with database.sessionmaker() as session:
        storefront = create_storefront(session, "Race Shop", "race-shop", case_prefix="RC")
        _row, key = issue_key(session, storefront)
        staff = StaffUser(
            email="racer@desk.example",
            name="Racer",
            role=StaffRole.admin,
            password_hash=staff_password_hash,
            storefront_id=storefront.id,
        )
        session.add(staff)
        token = issue_staff_token(session, staff)
        session.commit()
        storefront_id = storefront.id
    racing.config["RACE"] = {"key": key, "token": token}
    yield racing
    with database.sessionmaker() as session:
        session.execute(delete(StaffUser).where(StaffUser.storefront_id == storefront_id))
        session.execute(delete(Storefront).where(Storefront.id == storefront_id))
        session.commit()
    database.engine.dispose()


def test_two_conflicting_actions_racing_one_wins_and_the_timeline_has_one_event(committing_app):
    key, token = committing_app.config["RACE"]["key"], committing_app.config["RACE"]["token"]
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
            return racer.post(
                f"/api/v1/cases/{case_id}/actions/{action}",
                json=body,
                headers={**staff, "If-Match": etag},
            ).status_code

        with ThreadPoolExecutor(max_workers=len(contenders)) as pool:
            statuses = sorted(pool.map(race, contenders))

        assert statuses[0] == 200 and statuses[1] in (409, 412), statuses
        with database.sessionmaker() as session:
            events = session.scalar(
                select(func.count())
                .select_from(CaseEvent)
                .where(CaseEvent.case_id == uuid.UUID(case_id))
            )
        assert events == 2  # open + the winner
