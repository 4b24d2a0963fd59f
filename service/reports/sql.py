"""SQL pieces the report queries share, portable between SQLite and PostgreSQL:
seconds between two timestamps, "which period" flags, local-day buckets, and
nearest-rank percentiles with window functions (no percentile_cont in SQLite)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Float, case, func, null, select, text, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from service.cases.models import Case


class seconds_between(FunctionElement[float]):
    """`later - earlier` in seconds, as a float."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between)
def _seconds_pg(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)}))"
    )


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    # julianday() is a float of days: round off its error to the millisecond.
    return (
        f"ROUND((julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)})) * 86400.0, 3)"
    )


def tune_for_reports(session: Session) -> None:
    """PostgreSQL: no JIT (it spent ~100 ms compiling each of these short aggregates
    at 1M cases, more than most of them take to run) and room to hash the groups in
    memory, for the rest of this transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        # One round trip for both (set_config(..., true) is SET LOCAL).
        session.execute(text("SELECT set_config('jit', 'off', true), "
                             "set_config('work_mem', '32MB', true)"))  # fmt: skip


def in_period(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return (column >= start) & (column < end)


def period_flag(column: Any, current_start: datetime) -> ColumnElement[int]:
    """1 for the current period, 0 for the previous (the query spans both)."""
    return case((column >= current_start, 1), else_=0)


def day_bucket(column: Any, boundaries: Sequence[datetime]) -> ColumnElement[int]:
    """The index of the local day `column` falls on (boundaries: the midnights in UTC)."""
    return case(
        *((column < bound, index) for index, bound in enumerate(boundaries[1:])),
        else_=len(boundaries) - 1,
    )


def in_scope(storefront_ids: Sequence[uuid.UUID] | None, column: Any = None) -> Any:
    """The storefronts chosen (None: all)."""
    column = Case.storefront_id if column is None else column
    return True if storefront_ids is None else column.in_(list(storefront_ids))


def count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def percentiles(
    session: Session,
    duration: Any,
    groups: Sequence[Any],
    where: Sequence[Any],
    also_by: Any = None,
) -> dict[tuple[Any, ...], tuple[int, float | None, float | None]]:
    """Per group: (count, median, 90th percentile) of `duration`, nearest rank (the
    value at rank ceil(p·n)), computed in the database. With `also_by`, the same per
    (group..., also_by) too, in the same statement (one scan, two window orders)."""
    labelled = [g.label(f"g{i}") for i, g in enumerate(groups)]
    finer = [*groups, also_by] if also_by is not None else None
    columns = [
        *labelled,
        duration.label("d"),
        func.row_number().over(partition_by=list(groups), order_by=duration).label("rn"),
        func.count().over(partition_by=list(groups)).label("n"),
    ]
    if finer is not None:
        columns += [
            also_by.label("by"),
            func.row_number().over(partition_by=finer, order_by=duration).label("rn2"),
            func.count().over(partition_by=finer).label("n2"),
        ]
    inner = select(*columns).where(*where, duration.is_not(None)).cte("ranked")
    keys = [inner.c[f"g{i}"] for i in range(len(groups))]

    def level(rn: Any, n: Any, extra: list[Any], group: bool = True) -> Any:
        rank50, rank90 = (n * 50 + 99) // 100, (n * 90 + 99) // 100
        return (
            select(
                *keys,
                *extra,
                func.max(n),
                func.max(case((rn == rank50, inner.c.d))),
                func.max(case((rn == rank90, inner.c.d))),
            )
            .where((rn == rank50) | (rn == rank90))
            .group_by(*keys, *(extra if group else []))
        )

    width = len(keys)
    if finer is None:
        rows = session.execute(level(inner.c.rn, inner.c.n, []))
        return {tuple(row[:width]): tuple(row[width:]) for row in rows}
    # Both levels in one statement; the overall rows carry a NULL `by`.
    both = union_all(
        level(inner.c.rn, inner.c.n, [null().label("by")], group=False),
        level(inner.c.rn2, inner.c.n2, [inner.c.by]),
    )
    found: dict[tuple[Any, ...], tuple[int, float | None, float | None]] = {}
    for row in session.execute(both):
        key = tuple(row[:width]) if row[width] is None else tuple(row[: width + 1])
        found[key] = tuple(row[width + 1 :])
    return found


class codepoint_order(FunctionElement[str]):
    """A text column ordered by code point on every backend (PostgreSQL's "C"
    collation, SQLite's default), as Python sorts strings: the rollup's merged lists
    and the database's own order agree whatever the database's collation."""

    inherit_cache = True
    name = "codepoint_order"


@compiles(codepoint_order)
def _codepoint_pg(element: codepoint_order, compiler: Any, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return f'{compiler.process(column, **kw)} COLLATE "C"'


@compiles(codepoint_order, "sqlite")
def _codepoint_sqlite(element: codepoint_order, compiler: Any, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return compiler.process(column, **kw)
