"""Database plumbing: the declarative base, the engine, and one session per request or job.

Business functions take a `Session` argument and only flush; the request boundary
(`service.core.api.transaction`) or the job commits once.
"""

from __future__ import annotations

import enum
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from flask import current_app, g
from sqlalchemy import DateTime, Enum, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Boolean, TypeDecorator, Uuid

logger = logging.getLogger(__name__)

# Stable constraint names, so Alembic can drop what it created on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would otherwise drop the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def make_engine(url: str, echo: bool = False) -> Engine:
    # Parameters hold customers' names, phones and addresses: never in an error's text
    # (which reaches logs and tracebacks) nor in the echoed SQL. Echo goes through the
    # logging set-up (service.core.logging) rather than SQLAlchemy's own stdout handler.
    if echo:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    if url.startswith("sqlite"):
        engine = create_engine(url, hide_parameters=True, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, hide_parameters=True)
    _ping_idle_connections(engine)
    return engine


#: A pooled connection left unused longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_idle_connections(engine: Engine) -> None:
    """Pessimistic disconnect handling for idle connections only.

    After a database restart the pool holds dead connections; a connection that sat
    unused is pinged on checkout and, if dead, replaced (the pool retries with a new
    one), so no request is the one to find out. A connection in steady use is not:
    `pool_pre_ping` would cost every request one more round trip. If the server dies
    within the last second of use, the statement fails, SQLAlchemy invalidates the pool
    and that request gets the JSON 503 (service.core.errors); the next gets a fresh one.
    """

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")  # None: connected just now
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("idle connection found dead") from exc


def _configure_sqlite(engine: Engine) -> None:
    """Make SQLite behave like a server database for our purposes.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINTs, so we take it
    over (the recipe from SQLAlchemy's docs). BEGIN IMMEDIATE takes the write lock up
    front: a transaction that reads and then writes can otherwise fail at once with
    "database is locked" when web and worker processes write concurrently.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """The engine and session factory of one app (tests rebind `sessionmaker`)."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.engine = make_engine(url, echo)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)


def database() -> Database:
    return current_app.extensions["database"]


def session() -> Session:
    """The session of the current request (or job app context), opened on first use."""
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    """End the request's session. Never raises: this runs after the response was made,
    and a failure here (the database restarted since) would replace that answer with
    the server's bare HTML 500."""
    db_session = g.pop("db_session", None)
    if db_session is not None:
        _end(db_session, Session.close)
    # Closing without a commit is a rollback: undo what was to be kept only with one.
    for callback in g.pop("on_rollback", []):
        try:
            callback()
        except Exception:
            logger.exception("on-rollback callback failed")


def _end(db_session: Session, how: Any) -> None:
    """Roll back or close `db_session`; if the connection is dead, drop it from the pool
    instead of raising (its transaction is gone with it)."""
    try:
        how(db_session)
    except Exception:
        logger.warning("session %s failed; connection discarded", how.__name__, exc_info=True)
        try:
            db_session.invalidate()
        except Exception:
            logger.warning("could not invalidate the session's connection", exc_info=True)


def after_commit(callback: Any) -> None:
    """Run `callback()` once the current request's transaction has committed.

    Work that must not happen for rolled-back data (enqueueing jobs) goes here.
    """
    g.setdefault("after_commit", []).append(callback)


def on_rollback(callback: Any) -> None:
    """Run `callback()` should the current request's transaction roll back instead of
    committing: undo work done outside the database (files written to a store)."""
    g.setdefault("on_rollback", []).append(callback)


def rollback() -> None:
    """Roll the request's work back, with whatever was to follow its commit. Used on
    the way to an error answer, so it never raises (see `_end`)."""
    g.pop("after_commit", None)
    _end(session(), Session.rollback)
    for callback in g.pop("on_rollback", []):
        try:
            callback()
        except Exception:
            logger.exception("on-rollback callback failed")


def run_after_commit() -> None:
    """Run the callbacks; a failing one is logged, never turned into a failed request:
    the work is committed, and whatever the callback was to do has a fallback (the
    outbox sweeper)."""
    g.pop("on_rollback", None)
    for callback in g.pop("after_commit", []):
        try:
            callback()
        except Exception:
            logger.exception("after-commit callback failed")


def str_enum(cls: type[enum.Enum], name: str) -> Enum:
    """A Python enum stored by value as VARCHAR (no native enum), so adding a member
    never needs an ALTER TYPE."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=20,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


class InLookup(ColumnElement[bool]):
    """`column IN (subquery)` for a subquery that looks a few rows up by an index (the
    cases of a serial number, of a customer's e-mail).

    PostgreSQL gets `column = ANY(ARRAY(subquery))`: the lookup runs once, first, and
    the rows are fetched by `column`'s index. Planned as a semi-join instead, a list can
    be read by walking the (created_at, id) index and probing the lookup per row, which
    at a million cases is hundreds of milliseconds for a SKU on a few hundred of them.
    """

    type = Boolean()
    # A condition in itself: no `= 1` appended where booleans are integers (SQLite).
    _is_implicitly_boolean = True
    inherit_cache = True
    _traverse_internals: ClassVar[Any] = [
        ("column", InternalTraversal.dp_clauseelement),
        ("lookup", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, lookup: Any) -> None:
        self.column = column
        # Uncorrelated: the lookup names no column of the enclosing query.
        self.lookup = lookup.correlate(None).scalar_subquery()


def in_lookup(column: Any, lookup: Any) -> InLookup:
    return InLookup(column, lookup)


@compiles(InLookup)
def _in_lookup(element: InLookup, compiler: Any, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} IN {compiler.process(element.lookup, **kw)}"


@compiles(InLookup, "postgresql")
def _in_lookup_postgresql(element: InLookup, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} = ANY(ARRAY{compiler.process(element.lookup, **kw)})"
