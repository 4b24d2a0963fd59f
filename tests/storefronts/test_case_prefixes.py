"""Case prefixes are unique across storefronts, so a case number names one case."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import MetaData, Table, create_engine, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from service.cases.models import Case
from service.core import migrate
from service.storefronts.keys import CasePrefixError, create_storefront, derive_prefix
from service.storefronts.models import Storefront
from tests.conftest import case_payload
from tests.test_migrations import empty_database_url  # noqa: F401 (a fixture)


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_the_cli_refuses_a_case_prefix_another_storefront_has(app, db_session, tenant):
    before = db_session.scalar(select(func.count()).select_from(Storefront))

    result = _cli(app, "storefronts", "create", "Copycat", "--case-prefix", "ms")

    assert result.exit_code != 0
    assert "case_prefix: MS is already used by Main Shop." in result.output
    assert db_session.scalar(select(func.count()).select_from(Storefront)) == before


def test_the_cli_refuses_a_malformed_case_prefix(app, db_session):
    result = _cli(app, "storefronts", "create", "Dashes", "--case-prefix", "A-B")

    assert result.exit_code != 0
    assert "case_prefix: 1 to 12 letters or digits, starting with a letter" in result.output
    assert db_session.scalars(select(Storefront).where(Storefront.name == "Dashes")).first() is None


def test_the_cli_derives_a_free_prefix_from_the_name(app, db_session):
    assert _cli(app, "storefronts", "create", "Acme Gadgets").exit_code == 0
    result = _cli(app, "storefronts", "create", "Acme Gizmos")
    assert result.exit_code == 0, result.output

    prefixes = dict(
        db_session.execute(
            select(Storefront.name, Storefront.case_prefix).where(Storefront.name.like("Acme%"))
        ).all()
    )
    assert prefixes == {"Acme Gadgets": "AG", "Acme Gizmos": "AG2"}
    assert "case numbers AG2-000001" in result.output


@pytest.mark.parametrize(
    ("name", "prefix"),
    [("Acme Gadgets", "AG"), ("Harbour", "HARB"), ("7 Seas Trading", "ST"), ("*** ***", "RMA")],
)
def test_a_default_prefix_is_derived_from_the_name(name, prefix):
    assert derive_prefix(name) == prefix


def test_two_storefronts_can_no_longer_both_be_sa(db_session):
    create_storefront(db_session, "Shop A", "shop-a", case_prefix="SA")
    with pytest.raises(CasePrefixError):
        create_storefront(db_session, "Shop B", "shop-b", case_prefix="sa")
    # The constraint holds too when the check is bypassed (two creations racing).
    db_session.add(Storefront(name="Shop C", slug="shop-c", case_prefix="SA"))
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_a_staff_lookup_by_case_number_finds_the_one_case(client, create_tenant, admin, db_session):
    sa = create_tenant("Shop A", case_prefix="SA")
    sb = create_tenant("Shop B", case_prefix="SB")
    mine = client.post("/api/v1/cases", json=case_payload(), headers=sa.headers).get_json()
    client.post("/api/v1/cases", json=case_payload(), headers=sb.headers)
    assert mine["number"] == "SA-000001"

    found = client.get("/api/v1/cases/sa-000001", headers=admin.headers)

    assert found.status_code == 200
    assert found.get_json()["id"] == mine["id"]


def test_the_migration_renames_later_duplicate_prefixes_deterministically(
    empty_database_url,  # noqa: F811
):
    migrate.upgrade(empty_database_url, "061779b8c652")
    engine = create_engine(empty_database_url)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    names = ["first", "second", "third", "already-sa2"]
    prefixes = ["SA", "SA", "SA", "SA2"]
    # The table as that revision made it (today's model has columns added since).
    storefronts = Table("storefronts", MetaData(), autoload_with=engine)
    try:
        with engine.begin() as connection:
            for n, (name, prefix) in enumerate(zip(names, prefixes, strict=True)):
                connection.execute(
                    insert(storefronts).values(
                        id=uuid.uuid4().hex,  # both SQLite and PostgreSQL read this
                        name=name,
                        slug=name,
                        case_prefix=prefix,
                        created_at=start + timedelta(days=n),
                        updated_at=start,
                    )
                )
        migrate.upgrade(empty_database_url)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT slug, case_prefix FROM storefronts")).all()
            renamed = dict(rows)
        assert renamed == {"first": "SA", "second": "SA3", "third": "SA4", "already-sa2": "SA2"}
    finally:
        engine.dispose()
        migrate.downgrade(empty_database_url, "base")


def test_a_number_shared_with_old_renamed_cases_finds_the_prefix_owners_case(
    client, create_tenant, admin, db_session
):
    """Cases numbered before the prefixes were made unique keep their numbers, so an old
    case of a renamed storefront can share one with the storefront that kept the prefix:
    a staff lookup by number finds the owner's case, even when the old one is older;
    among old cases alone, the oldest. Each stays reachable by id and, within its own
    storefront, by number."""
    owner = create_tenant("Shop A", case_prefix="SA")
    renamed = create_tenant("Shop B", case_prefix="SB")
    also_renamed = create_tenant("Shop C", case_prefix="SC")

    def open_as(tenant, number: str, created_at: datetime) -> str:
        made = client.post("/api/v1/cases", json=case_payload(), headers=tenant.headers)
        case = db_session.get(Case, uuid.UUID(made.get_json()["id"]))
        case.number, case.created_at = number, created_at
        db_session.commit()
        return str(case.id)

    start = datetime(2026, 1, 1, tzinfo=UTC)
    old = open_as(renamed, "SA-000001", start)
    owners = open_as(owner, "SA-000001", start + timedelta(days=30))
    # Written first but the younger: insertion order is not the answer.
    younger = open_as(renamed, "SA-000002", start + timedelta(days=2))
    oldest = open_as(also_renamed, "SA-000002", start + timedelta(days=1))

    def staff_finds(number: str) -> str:
        found = client.get(f"/api/v1/cases/{number}", headers=admin.headers)
        assert found.status_code == 200, number
        return found.get_json()["id"]

    assert staff_finds("SA-000001") == owners
    assert staff_finds("sa-000002") == oldest
    for tenant, number, case_id in [
        (renamed, "SA-000001", old),
        (owner, "SA-000001", owners),
        (renamed, "SA-000002", younger),
    ]:
        mine = client.get(f"/api/v1/cases/{number}", headers=tenant.headers)
        assert mine.get_json()["id"] == case_id
    assert client.get(f"/api/v1/cases/{old}", headers=admin.headers).get_json()["id"] == old
