"""SLA clocks of a case: first response, resolution (paused while waiting on the
customer) and follow-up. Kept up to date by the lifecycle at every status change, so
lists can filter on them in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, event, or_
from sqlalchemy.orm import Session

from service.cases.models import Case, CaseKind, CaseStatus

if TYPE_CHECKING:
    from service.storefronts.models import Storefront

S = CaseStatus
#: The case waits on the customer: the resolution clock stops.
WAITING_ON_CUSTOMER = frozenset({S.awaiting_item, S.quote_pending})
#: The work is done; the follow-up clock starts.
COMPLETED = frozenset({S.delivered, S.refunded, S.resolved})
FOLLOW_UP_WITHIN = timedelta(days=3)
#: Hours to resolve a case of each kind, unless the storefront says otherwise.
DEFAULT_RESOLUTION_HOURS = {
    CaseKind.repair: 240,
    CaseKind.return_: 120,
    CaseKind.exchange: 168,
    CaseKind.complaint: 48,
    CaseKind.inquiry: 24,
}
CLOCKS = ("first_response", "resolution", "follow_up")


def resolution_target(storefront: Storefront, kind: CaseKind) -> timedelta:
    hours = (storefront.resolution_hours or {}).get(kind.value, DEFAULT_RESOLUTION_HOURS[kind])
    return timedelta(hours=int(hours))


def start(case: Case, storefront: Storefront, now: datetime) -> None:
    """Clocks of a newly opened (or reopened) case."""
    case.resolution_due_at = now + resolution_target(storefront, case.kind)
    case.resolution_paused_at = None
    case.completed_at = None
    case.followup_due_at = None
    case.followed_up_at = None


def on_status_change(
    case: Case, storefront: Storefront, before: CaseStatus | None, after: CaseStatus, now: datetime
) -> None:
    if before == S.closed and after == S.open:
        start(case, storefront, now)
        return
    if after in WAITING_ON_CUSTOMER and case.resolution_paused_at is None:
        case.resolution_paused_at = now
    elif after not in WAITING_ON_CUSTOMER and case.resolution_paused_at is not None:
        # The wait does not count against the desk: push the deadline back by it.
        if case.resolution_due_at is not None:
            case.resolution_due_at += now - case.resolution_paused_at
        case.resolution_paused_at = None
    if after in COMPLETED or after == S.cancelled:
        case.completed_at = case.completed_at or now
    if after in COMPLETED and case.followup_due_at is None:
        case.followup_due_at = now + FOLLOW_UP_WITHIN


#: What the customer's message (service/conversations/) ends, per waiting state. Each
#: wait is for a thing, not for words: "I'll send it tomorrow" is not the item, and a
#: question about the quote is not a decision, so the resolution clock stays paused
#: until the status moves (the item is received, the quote decided).
REPLY_ENDS_WAIT: dict[CaseStatus, bool] = {S.awaiting_item: False, S.quote_pending: False}


def on_customer_reply(case: Case, now: datetime) -> None:
    """A reply changes no clock: not the pause of a status wait (see REPLY_ENDS_WAIT),
    not first response (which only the desk can meet), not a completed case's."""
    if REPLY_ENDS_WAIT.get(case.status, False) and case.resolution_paused_at is not None:
        if case.resolution_due_at is not None:
            case.resolution_due_at += now - case.resolution_paused_at
        case.resolution_paused_at = None


# --- reading the clocks ----------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    due_at: datetime | None
    met_at: datetime | None
    paused: bool

    def breached(self, now: datetime) -> bool:
        if self.due_at is None:
            return False
        if self.met_at is not None:
            return self.met_at > self.due_at
        return not self.paused and now > self.due_at


def clocks(case: Case) -> dict[str, Clock]:
    stopped = case.status in (S.cancelled,)
    return {
        "first_response": Clock(case.first_response_due_at, case.first_responded_at, stopped),
        "resolution": Clock(
            case.resolution_due_at, case.completed_at, case.resolution_paused_at is not None
        ),
        "follow_up": Clock(case.followup_due_at, case.followed_up_at, False),
    }


def describe(case: Case, now: datetime) -> dict[str, Any]:
    return {
        name: {
            "due_at": clock.due_at,
            "met_at": clock.met_at,
            "paused": clock.paused,
            "breached": clock.breached(now),
        }
        for name, clock in clocks(case).items()
    }


def running_deadlines(case: Any) -> dict[str, datetime]:
    """The deadline of each clock still running (as `running_late` reads them). `case`
    may be a list row holding the clock columns (service.cases.summaries)."""
    running: dict[str, datetime | None] = {}
    if case.status not in (S.cancelled, S.closed) and case.first_responded_at is None:
        running["first_response"] = case.first_response_due_at
    if case.completed_at is None and case.resolution_paused_at is None:
        running["resolution"] = case.resolution_due_at
    if case.followed_up_at is None:
        running["follow_up"] = case.followup_due_at
    return {name: due for name, due in running.items() if due is not None}


def next_due(case: Any) -> datetime | None:
    """The earliest deadline of a clock still running."""
    return min(running_deadlines(case).values(), default=None)


@event.listens_for(Session, "before_flush")
def _keep_next_due(session: Session, _context: Any, _instances: Any) -> None:
    # Every change to a clock goes through a flush, wherever it was made (lifecycle,
    # contact log, surveys), so the queue's sort column cannot fall out of step.
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Case) and obj.next_due_at != (due := next_due(obj)):
            obj.next_due_at = due


# --- the same in SQL (list filters, the breach sweep) ---------------------------------

_ACTIVE = Case.status.notin_((S.cancelled, S.closed))


def running_late(clock: str, now: datetime) -> Any:
    """SQL: `clock` is past due and still running (not met, not paused). Never NULL (an
    unset deadline is "not late"), so its negation is exact too."""
    if clock == "first_response":
        return and_(_ACTIVE, Case.first_responded_at.is_(None), Case.first_response_due_at < now)
    if clock == "resolution":
        return and_(
            Case.resolution_due_at.is_not(None),
            Case.completed_at.is_(None),
            Case.resolution_paused_at.is_(None),
            Case.resolution_due_at < now,
        )
    return and_(
        Case.followup_due_at.is_not(None),
        Case.followed_up_at.is_(None),
        Case.followup_due_at < now,
    )


def any_running_late(now: datetime) -> Any:
    return or_(*(running_late(clock, now) for clock in CLOCKS))
