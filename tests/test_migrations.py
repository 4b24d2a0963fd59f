"""Alembic is the only way the schema is made: it must agree with the models, and
downgrade all the way."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from service import migrate
from service.db import make_engine
from service.models import metadata
from tests.conftest import other_database_url


@pytest.fixture
def empty_database_url(database_url: str) -> Iterator[str]:
    url = other_database_url(database_url, "aftersales_migrations")
    if make_url(url).get_backend_name() == "postgresql":
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS aftersales_migrations"))
            connection.execute(text("CREATE DATABASE aftersales_migrations"))
        yield url
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS aftersales_migrations WITH (FORCE)"))
        admin.dispose()
    else:
        yield url


def test_upgrade_to_head_matches_the_models_and_downgrade_reaches_base(empty_database_url):
    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []

        migrate.downgrade(empty_database_url, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        # And back up again: downgrades left nothing behind that blocks a re-run.
        migrate.upgrade(empty_database_url)
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
