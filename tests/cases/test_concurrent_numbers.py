"""Case numbers stay unique under concurrent creation (real commits, real connections)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import delete

from service.storefronts.keys import create_storefront, issue_key
from service.storefronts.models import Storefront
from tests.conftest import case_payload

CREATIONS = 50


def test_fifty_concurrent_creations_get_fifty_distinct_numbers(committing_app):
    database = committing_app.extensions["database"]
    with database.sessionmaker() as session:
        storefront = create_storefront(session, "Busy Shop", "busy-shop", case_prefix="BZ")
        _row, key = issue_key(session, storefront)
        session.commit()
        storefront_id = storefront.id

    def create(n: int) -> tuple[int, str]:
        client = committing_app.test_client()
        response = client.post(
            "/api/v1/cases",
            json=case_payload(order_reference=f"ORD-{n}"),
            headers={"Authorization": f"Bearer {key}"},
        )
        return response.status_code, response.get_json().get("number", "")

    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(create, range(CREATIONS)))
        assert [status for status, _ in results] == [201] * CREATIONS
        numbers = {number for _, number in results}
        assert numbers == {f"BZ-{n:06d}" for n in range(1, CREATIONS + 1)}
    finally:
        with database.sessionmaker() as session:
            session.execute(delete(Storefront).where(Storefront.id == storefront_id))
            session.commit()
