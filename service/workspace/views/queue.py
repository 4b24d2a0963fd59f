"""The queue (the home page) and its bulk actions.

GET /queue reads the view from the URL (service.workspace.queue), pages the API's own
list query (`cases_query` + `case_page`) and renders the page, or for htmx just the
`rows` block. POST /queue/bulk assigns or escalates the ticked cases one by one through
`actions.act(..., "assign", ...)` (the service function of POST /cases/{id}/assignment),
each checked against the version it was shown with; it reports what was done and what
had changed meanwhile, then returns to the same view.
"""

from __future__ import annotations

import uuid
from typing import Any

from babel.dates import format_timedelta
from flask import Response, current_app, flash, g, redirect, request
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, load_only, raiseload
from wtforms import SelectChoice

from service.cases.intake import cases_query
from service.cases.listing import case_page
from service.cases.models import Case, CaseChannel, CaseKind, CaseStatus
from service.core import db
from service.core.db import utcnow
from service.customers.models import Customer
from service.staff.models import StaffUser
from service.staff.service import staff_query
from service.storefronts.models import Storefront
from service.workspace.actions import act
from service.workspace.forms import BulkForm
from service.workspace.pages import PageError, bp, render, safe_next, staff_page
from service.workspace.queue import (
    DUE_WITHIN,
    PAGE_SIZE,
    VIEWS,
    countdown,
    parse_view,
    running_clocks,
)
from service.workspace.words import word

#: What a queue row shows, and nothing else: the case's own columns of the row and its
#: clocks, the customer's name and contact, the assignee's name (not their password
#: hash). Anything else a template touched would raise, not quietly query per row.
ROW = (
    load_only(
        Case.number,
        Case.storefront_id,
        Case.kind,
        Case.channel,
        Case.status,
        Case.priority,
        Case.escalated,
        Case.customer_replied,
        Case.version,
        Case.created_at,
        Case.next_due_at,
        Case.first_response_due_at,
        Case.first_responded_at,
        Case.resolution_due_at,
        Case.resolution_paused_at,
        Case.completed_at,
        Case.followup_due_at,
        Case.followed_up_at,
        raiseload=True,
    ),
    joinedload(Case.customer).load_only(
        Customer.name, Customer.phone, Customer.email, raiseload=True
    ),
    joinedload(Case.assignee).load_only(StaffUser.name, raiseload=True),
    raiseload(Case.items),
    raiseload(Case.quotes),
    raiseload(Case.shipments),
    raiseload(Case.events),
)


def _storefronts() -> list[Storefront]:
    stmt = select(Storefront).order_by(Storefront.name)
    if g.principal.scope is not None:
        stmt = stmt.where(Storefront.id == g.principal.scope)
    return list(db.session().scalars(stmt))


def _staff_choices() -> list[StaffUser]:
    stmt = staff_query(g.principal.scope, {"active": True})
    return list(db.session().scalars(stmt.order_by(StaffUser.role, StaffUser.name)))


#: The assignee choice that takes the assignee away.
UNASSIGN = "none"


def _assignee_choices(staff: list[StaffUser]) -> list[SelectChoice]:
    return [
        SelectChoice("", _("Choose…")),
        *(SelectChoice(str(p.id), f"{p.name} ({word(p.role)})") for p in staff),
        SelectChoice(UNASSIGN, _("No one (unassign)")),
    ]


@bp.get("/queue")
@staff_page()
def queue() -> Response:
    now = utcnow()
    view = parse_view(request.args, now)
    region = current_app.config["SETTINGS"].default_phone_region
    stmt = cases_query(g.principal.scope, view.filters, now, phone_region=region).options(*ROW)
    page = case_page(db.session(), stmt, view.sort, PAGE_SIZE, view.cursor)
    storefronts = _storefronts()
    form = BulkForm()
    staff = _staff_choices()
    form.assignee.choices = _assignee_choices(staff)
    return render(
        "workspace/queue.html",
        fragment="rows",
        view=view,
        cases=page["items"],
        next_cursor=page["next_cursor"],
        now=now,
        clocks_of=lambda case: running_clocks(case, now),
        countdown=countdown,
        age=lambda case: format_timedelta(
            now - case.created_at, format="narrow", locale=get_locale()
        ),
        storefronts=storefronts,
        storefront_names={s.id: s.name for s in storefronts},
        staff=staff,
        form=form,
        saved_views=VIEWS,
        statuses=list(CaseStatus),
        kinds=list(CaseKind),
        channels=list(CaseChannel),
        due_within=DUE_WITHIN,
        back=request.full_path.rstrip("?"),
    )


def _selected() -> list[tuple[uuid.UUID, int]]:
    chosen = []
    for value in request.form.getlist("case"):
        raw_id, _sep, raw_version = value.partition(":")
        try:
            chosen.append((uuid.UUID(raw_id), int(raw_version)))
        except ValueError:
            continue
    return chosen


@bp.post("/queue/bulk")
@staff_page()
def queue_bulk() -> Response:
    form = BulkForm()
    form.assignee.choices = _assignee_choices(_staff_choices())
    back = safe_next(request.form.get("back"))
    selected = _selected()
    if not form.validate_on_submit() or not selected:
        flash(_("Tick one or more cases, then choose what to do with them."), "error")
        return redirect(back, 303)
    if form.operation.data == "escalate":
        data: dict[str, Any] = {"escalated": True}
    elif form.assignee.data:
        data = {"assignee_id": None if form.assignee.data == UNASSIGN else form.assignee.data}
    else:
        flash(_("Choose whom to assign the cases to."), "error")
        return redirect(back, 303)
    done, stale, refused = [], [], []
    for case_id, version in selected:
        try:
            outcome = act(case_id, "assign", data, version)
        except PageError as missing:
            # Gone, or outside this person's storefront: say so, go on with the rest.
            refused.append((str(case_id), missing.message))
            continue
        if outcome.ok:
            done.append(outcome.case.number)
        elif outcome.changed_at is not None or outcome.changed_by is not None:
            stale.append((outcome.case.number, outcome.changed_by))
        else:
            refused.append((outcome.case.number if outcome.case else str(case_id), outcome.message))
    if done:
        flash(ngettext("%(num)d case updated.", "%(num)d cases updated.", len(done)), "success")
    for number, who in stale:
        flash(
            _(
                "%(number)s was changed by %(who)s meanwhile: left as it was. Reload to see it.",
                number=number,
                who=who or "?",
            ),
            "error",
        )
    for number, message in refused:
        flash(f"{number}: {message}", "error")
    return redirect(back, 303)
