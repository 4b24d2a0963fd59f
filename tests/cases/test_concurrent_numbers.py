"""Case numbers stay unique under concurrent creation, and cases opened at once for one
new customer find one customer (real commits, real connections, 16 threads).

On PostgreSQL numbers come from a sequence per storefront (no lock held to commit) and
the customer's match-or-create is queued by an advisory lock; without that lock the
customer tests fail there (two inserts of one external id: 409; two customers for one
e-mail address). On SQLite writers queue anyway."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, func, insert, select, text

from service.customers.models import Customer
from service.storefronts.keys import create_storefront, issue_key
from service.storefronts.models import Storefront, case_number_sequence
from tests.conftest import case_payload

CREATIONS = 50


@pytest.fixture
def busy_shop(committing_app) -> Iterator[tuple[str, object]]:
    database = committing_app.extensions["database"]
    with database.sessionmaker() as session:
        storefront = create_storefront(session, "Busy Shop", "busy-shop", case_prefix="BZ")
        _row, key = issue_key(session, storefront)
        session.commit()
        storefront_id = storefront.id
    yield key, storefront_id
    with database.sessionmaker() as session:
        session.execute(delete(Customer).where(Customer.storefront_id == storefront_id))
        session.execute(delete(Storefront).where(Storefront.id == storefront_id))
        session.commit()


def create_many(app, key: str, customer_of) -> list[tuple[int, dict]]:
    def create(n: int) -> tuple[int, dict]:
        response = app.test_client().post(
            "/api/v1/cases",
            json=case_payload(order_reference=f"ORD-{n}", customer=customer_of(n)),
            headers={"Authorization": f"Bearer {key}"},
        )
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(create, range(CREATIONS)))


def customers(app, storefront_id) -> int:
    with app.extensions["database"].sessionmaker() as session:
        counted = select(func.count()).select_from(Customer)
        return session.scalar(counted.where(Customer.storefront_id == storefront_id))


def test_fifty_concurrent_creations_get_fifty_distinct_numbers(committing_app, busy_shop):
    key, _storefront_id = busy_shop
    results = create_many(
        committing_app, key, lambda n: {**case_payload()["customer"], "external_id": f"c-{n}"}
    )
    assert [status for status, _ in results] == [201] * CREATIONS
    numbers = {body["number"] for _, body in results}
    assert numbers == {f"BZ-{n:06d}" for n in range(1, CREATIONS + 1)}


def test_cases_opened_at_once_for_one_new_customer_find_one_customer(committing_app, busy_shop):
    key, storefront_id = busy_shop
    results = create_many(committing_app, key, lambda n: case_payload()["customer"])
    assert [status for status, _ in results] == [201] * CREATIONS, results[:3]
    assert customers(committing_app, storefront_id) == 1


def test_one_new_customer_without_an_external_id_is_made_once_too(committing_app, busy_shop):
    key, storefront_id = busy_shop
    contact = {k: v for k, v in case_payload()["customer"].items() if k != "external_id"}
    results = create_many(committing_app, key, lambda n: contact)
    assert [status for status, _ in results] == [201] * CREATIONS
    assert customers(committing_app, storefront_id) == 1


def test_a_storefront_inserted_by_sql_numbers_its_cases_and_takes_its_sequence_along(
    committing_app,
):
    database = committing_app.extensions["database"]
    storefront_id = uuid.uuid4()
    with database.sessionmaker() as session:
        # As a data import would: a plain INSERT, no ORM events, no service code.
        session.execute(
            insert(Storefront.__table__).values(
                id=storefront_id, name="Imported", slug="imported", case_prefix="IMP"
            )
        )
        _row, key = issue_key(session, session.get(Storefront, storefront_id))
        session.commit()
    try:
        response = committing_app.test_client().post(
            "/api/v1/cases",
            json=case_payload(customer={"name": "New", "email": "new@example.com"}),
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["number"] == "IMP-000001"
    finally:
        with database.sessionmaker() as session:
            session.execute(delete(Customer).where(Customer.storefront_id == storefront_id))
            session.execute(delete(Storefront).where(Storefront.id == storefront_id))
            session.commit()
            if session.get_bind().dialect.name == "postgresql":
                left = session.scalar(
                    text("SELECT count(*) FROM pg_class WHERE relname = :name"),
                    {"name": case_number_sequence(storefront_id)},
                )
                assert left == 0  # dropped with its storefront
