"""Alembic is the only way the schema is made: it must agree with the models, and
downgrade all the way."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from service.core import migrate
from service.core.db import make_engine
from service.models import metadata
from tests.conftest import fresh_postgres_database


@pytest.fixture
def empty_database_url(database_url: str, tmp_path) -> Iterator[str]:
    if make_url(database_url).get_backend_name() == "postgresql":
        name = f"aftersales_migrations_{os.getpid()}"
        with fresh_postgres_database(database_url, name) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"


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
