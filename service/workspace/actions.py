"""Changing a case from a page: the same service functions as the API, with the same
checks, guarded by the version the form was rendered with.

A form that changes a case carries `version` (the case's version when the page was
drawn, as the API's ETag does). `act()`:

1. locks the case (scoped like the API: staff bound to a storefront see only its cases);
2. compares the version: if someone else changed the case since, nothing is written and
   the outcome says who changed it and when ("changed by X at T — reload");
3. validates the form's data with the action's body schema from the transition table
   (service.cases.transitions; the same schema as `POST /cases/{id}/actions/{action}`);
4. calls `perform()` (or `dispatch.assign` for `assign`) as the signed-in person, so the
   role, status and guard checks are the API's own;
5. commits, then hands the notices to the workers; on any refusal it rolls back.

The page renders the `Outcome`: `ok`, else `message` and field `errors` for the form.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import marshmallow as ma
from flask import g
from flask_babel import gettext as _
from sqlalchemy import select

from service.cases.action_schemas import AssignmentSchema
from service.cases.dispatch import assign
from service.cases.errors import ActionDataError, ActionRefused
from service.cases.intake import get_case
from service.cases.lifecycle import perform
from service.cases.models import Case, CaseEvent
from service.cases.transitions import TRANSITIONS
from service.core import db
from service.workspace.pages import PageError, commit, workspace_actor

#: What `act()` may do besides the transition table's actions.
OTHER_OPERATIONS = {"assign": AssignmentSchema}


@dataclass
class Outcome:
    ok: bool
    case: Case | None = None
    message: str | None = None
    #: Field name -> messages, as marshmallow gives them.
    errors: dict[str, Any] = field(default_factory=dict)
    #: Set when the form's version was stale: who changed the case last, and when.
    changed_by: str | None = None
    changed_at: datetime | None = None


def case_or_404(ref: str | uuid.UUID, for_update: bool = False) -> Case:
    """The case by id or number, within the signed-in person's scope, or a 404 page."""
    case = get_case(db.session(), g.principal.scope, str(ref), for_update=for_update)
    if case is None:
        raise PageError(404, _("There is no case %(ref)s.", ref=ref))
    return case


def last_change(case: Case) -> CaseEvent | None:
    return (
        db.session()
        .scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id)
            .order_by(CaseEvent.sequence.desc())
        )
        .first()
    )


def act(ref: str | uuid.UUID, operation: str, form_data: dict[str, Any], version: int) -> Outcome:
    """Do `operation` (an action of the table, or "assign") on the case, if it is still
    at `version`. Commits on success; writes nothing otherwise."""
    session = db.session()
    case = case_or_404(ref, for_update=True)
    if case.version != version:
        event = last_change(case)
        db.rollback()
        return Outcome(
            False,
            case,
            _("This case was changed meanwhile. Reload it to see the change."),
            changed_by=event.actor_name if event else None,
            changed_at=event.created_at if event else None,
        )
    schema = OTHER_OPERATIONS.get(operation) or TRANSITIONS[operation].body
    try:
        data = schema().load(form_data)
    except ma.ValidationError as error:
        db.rollback()
        return Outcome(False, case, _("Some fields need attention."), errors=error.messages)
    try:
        if operation in OTHER_OPERATIONS:
            assign(session, case, data, workspace_actor())
        else:
            perform(session, case, operation, data, workspace_actor())
    except ActionDataError as error:
        db.rollback()
        return Outcome(False, case, error.message, errors={error.field: [error.message]})
    except ActionRefused as error:
        db.rollback()
        return Outcome(False, case, error.message)
    commit()
    return Outcome(True, case)
