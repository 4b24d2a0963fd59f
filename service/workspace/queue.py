"""The queue's reading of its URL and its rows.

The URL is the saved view: every filter is a query parameter (`?assignee=me&overdue=1`),
so a view is shared by sharing the link. `parse_view` turns the parameters into the
filters of `cases_query` (service.cases.intake, the API's own list query) and the
page's sort; a bad parameter is reported on the page and left out, never a 500.
Without `status` the queue shows the open work: every status but closed and cancelled.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import marshmallow as ma
from flask import g
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from service.cases.listing import SORTS
from service.cases.models import Case, CaseChannel, CaseKind, CaseStatus
from service.core.fields import DateTime
from service.sla.clocks import clocks

#: The open work: what the queue shows unless told otherwise.
OPEN_WORK = [s for s in CaseStatus if s not in (CaseStatus.closed, CaseStatus.cancelled)]
PAGE_SIZE = 50
#: "Due within" choices, in hours.
DUE_WITHIN = (1, 4, 24, 72)

#: Saved views: plain URLs (label, query parameters).
VIEWS = (
    (_l("Open work"), {}),
    (_l("Mine"), {"assignee": "me"}),
    (_l("Unassigned"), {"assignee": "none"}),
    (_l("Overdue"), {"overdue": "1"}),
    (_l("Due within 4 h"), {"due_within": "4"}),
    (_l("Escalated"), {"escalated": "1"}),
    (_l("Customer replied"), {"customer_replied": "1"}),
    (_l("Tracking problems"), {"tracking_flagged": "1"}),
    (_l("Newest"), {"sort": "newest"}),
)


def _assignee(value: str) -> None:
    if value not in ("me", "none", "anyone"):
        try:
            uuid.UUID(value)
        except ValueError:
            raise ma.ValidationError("Not me, none, anyone or a staff id.") from None


class QueueArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    status = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf([*(s.value for s in CaseStatus), "all"]))
    )
    kind = ma.fields.List(ma.fields.Enum(CaseKind, by_value=True))
    channel = ma.fields.List(ma.fields.Enum(CaseChannel, by_value=True))
    storefront = ma.fields.UUID()
    assignee = ma.fields.String(validate=_assignee)
    overdue = ma.fields.Boolean()
    escalated = ma.fields.Boolean()
    customer_replied = ma.fields.Boolean()
    tracking_flagged = ma.fields.Boolean()
    due_within = ma.fields.Integer(validate=ma.validate.OneOf(DUE_WITHIN))
    due_before = DateTime()
    #: Opened at or after / before (the report page links its cohorts here).
    created_after = DateTime()
    created_before = DateTime()
    q = ma.fields.String(validate=ma.validate.Length(max=200))
    sort = ma.fields.String(validate=ma.validate.OneOf(SORTS))
    cursor = ma.fields.String(validate=ma.validate.Length(max=500))


_LIST_ARGS = ("status", "kind", "channel")


@dataclass
class View:
    """The queue as the URL asks for it."""

    args: dict[str, Any]
    filters: dict[str, Any]
    sort: str
    cursor: str | None
    #: Parameter -> messages, for parameters that were left out.
    errors: dict[str, list[str]] = field(default_factory=dict)

    def url_args(self, **changes: Any) -> dict[str, Any]:
        """The query parameters of this view (without the cursor), with `changes`."""
        values = {k: v for k, v in self.raw.items() if k != "cursor"}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "", [])}

    raw: dict[str, Any] = field(default_factory=dict)


def parse_view(query: MultiDict[str, str], now: datetime) -> View:
    raw: dict[str, Any] = {}
    for key in QueueArgs().fields:
        values = [v for v in query.getlist(key) if v.strip() != ""]
        if values:
            raw[key] = values if key in _LIST_ARGS else values[0]
    errors: dict[str, Any] = {}
    try:
        args = QueueArgs().load(raw)
    except ma.ValidationError as error:
        errors = {
            name: _flat(messages)
            for name, messages in (
                error.messages if isinstance(error.messages, dict) else {}
            ).items()
        }
        args = error.valid_data if isinstance(error.valid_data, dict) else {}
        args = {k: v for k, v in args.items() if k not in errors}
        raw = {k: v for k, v in raw.items() if k not in errors}
    return View(args, _filters(args, now), args.get("sort", "due"), args.get("cursor"), errors, raw)


def _flat(messages: Any) -> list[str]:
    """marshmallow's messages for a field (a list, or per list index a list) as one list."""
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flat(value)]
    return [str(m) for m in messages] if isinstance(messages, list) else [str(messages)]


def _filters(args: dict[str, Any], now: datetime) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    statuses = args.get("status") or []
    if not statuses:
        filters["status"] = OPEN_WORK
    elif "all" not in statuses:
        filters["status"] = [CaseStatus(s) for s in statuses]
    for key in ("kind", "channel"):
        if args.get(key):
            filters[key] = args[key]
    if "storefront" in args:
        filters["storefront_id"] = args["storefront"]
    assignee = args.get("assignee", "anyone")
    if assignee == "me":
        filters["assignee_id"] = g.staff.id
    elif assignee == "none":
        filters["unassigned"] = True
    elif assignee != "anyone":
        filters["assignee_id"] = uuid.UUID(assignee)
    for key in ("overdue", "escalated", "customer_replied", "tracking_flagged"):
        if key in args:
            filters[key] = args[key]
    deadlines = [args["due_before"]] if "due_before" in args else []
    if "due_within" in args:
        deadlines.append(now + timedelta(hours=args["due_within"]))
    if deadlines:
        filters["due_before"] = min(deadlines)
    for key in ("created_after", "created_before"):
        if key in args:
            filters[key] = args[key]
    if args.get("q", "").strip():
        filters["q"] = args["q"].strip()
    return filters


# --- rows -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockView:
    name: str
    due_at: datetime
    #: Time left (negative once breached); for a paused clock, what was left at the pause.
    left: timedelta
    paused: bool

    @property
    def state(self) -> str:
        if self.paused:
            return "paused"
        if self.left < timedelta(0):
            return "breached"
        return "soon" if self.left < timedelta(hours=2) else "running"


def running_clocks(case: Case, now: datetime) -> list[ClockView]:
    """The clocks still to be met: running (counting down) or paused."""
    shown = []
    active = case.status not in (CaseStatus.closed, CaseStatus.cancelled)
    for name, clock in clocks(case).items():
        if clock.due_at is None or clock.met_at is not None:
            continue
        if name == "first_response" and not active:
            continue
        if name == "resolution" and case.resolution_paused_at is not None:
            shown.append(
                ClockView(name, clock.due_at, clock.due_at - case.resolution_paused_at, True)
            )
        elif not clock.paused:
            shown.append(ClockView(name, clock.due_at, clock.due_at - now, False))
    return shown


def countdown(left: timedelta) -> str:
    """`2h 05m`, `−1d 3h`: the server's first rendering of what workspace.js ticks."""
    seconds = int(abs(left.total_seconds()))
    sign = "−" if left.total_seconds() < 0 else ""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    return f"{sign}{minutes}m {secs:02d}s"
