"""Dispatch (派单): who works the case, how urgent it is, whether it is escalated."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.cases.effects import assignable_staff
from service.cases.lifecycle import record_event
from service.cases.models import Case
from service.core.auth import Actor
from service.core.db import utcnow


def assign(session: Session, case: Case, data: dict[str, Any], actor: Actor) -> Case:
    changes: dict[str, Any] = {}
    if "assignee_id" in data:
        assignee = (
            assignable_staff(session, case, data["assignee_id"], "assignee_id")
            if data["assignee_id"] is not None
            else None
        )
        case.assignee = assignee
        changes["assignee"] = assignee.name if assignee else None
    if "priority" in data:
        case.priority = data["priority"]
        changes["priority"] = data["priority"].value
    if "escalated" in data:
        case.escalated = data["escalated"]
        changes["escalated"] = data["escalated"]
    record_event(
        session,
        case,
        "assign",
        actor,
        case.status,
        data.get("note"),
        changes,
        utcnow(),
        internal=True,
    )
    return case
