"""What a report request resolves to: the storefronts a caller may see and chose, the
time zone, and the period; then the report itself (service.reports.build)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.reports.build import build_report
from service.reports.periods import Period, last_complete, period_for, range_period
from service.staff.models import StaffRole
from service.storefronts.models import Storefront

#: Staff roles that read reports (storefront keys read their own storefront's).
REPORT_READERS = frozenset({StaffRole.supervisor, StaffRole.admin, StaffRole.qa_reviewer})


class UnknownStorefront(Exception):
    """A storefront not found within the caller's scope (reported as 404)."""


@dataclass(frozen=True)
class Request:
    storefronts: list[Storefront]
    #: No storefront chosen by a caller who sees them all: every storefront counts.
    every_storefront: bool
    period: Period


def choose_storefronts(
    session: Session, scope: uuid.UUID | None, chosen: Sequence[uuid.UUID]
) -> tuple[list[Storefront], bool]:
    """The storefronts of the report and whether that means all of them."""
    stmt = select(Storefront).order_by(Storefront.name, Storefront.id)
    if scope is not None:
        stmt = stmt.where(Storefront.id == scope)
    visible = list(session.scalars(stmt))
    if not chosen:
        return visible, scope is None
    by_id = {s.id: s for s in visible}
    missing = [str(sid) for sid in chosen if sid not in by_id]
    if missing:
        raise UnknownStorefront(", ".join(missing))
    return [by_id[sid] for sid in dict.fromkeys(chosen)], False


def report_zone(storefronts: Sequence[Storefront], asked: str | None) -> str:
    """The zone asked for, else the storefronts' own if they share one, else UTC."""
    if asked:
        return asked
    zones = {s.time_zone for s in storefronts}
    return zones.pop() if len(zones) == 1 else "UTC"


def resolve(
    session: Session,
    scope: uuid.UUID | None,
    kind: str,
    args: dict[str, Any],
    now: datetime,
) -> Request:
    storefronts, every = choose_storefronts(session, scope, args.get("storefront") or [])
    zone = report_zone(storefronts, args.get("time_zone"))
    if kind == "range":
        period = range_period(args["first"], args["last"], zone)
    elif args.get("day") is not None:
        period = period_for(kind, args["day"], zone)
    else:
        period = last_complete(kind, now, zone)
    return Request(storefronts, every, period)


def report(
    session: Session, scope: uuid.UUID | None, kind: str, args: dict[str, Any], now: datetime
) -> dict[str, Any]:
    chosen = resolve(session, scope, kind, args, now)
    return build_report(session, chosen.storefronts, chosen.period, now, chosen.every_storefront)


def storefront_report(
    session: Session, storefront: Storefront, kind: str, day: date, now: datetime
) -> dict[str, Any]:
    """One storefront's report of the period holding local `day` (scheduled delivery)."""
    return build_report(session, [storefront], period_for(kind, day, storefront.time_zone), now)
