"""What the case page shows, read in one place: the customer's other cases, the items'
verdicts, the timeline, notices, quotes, shipments, contacts, the survey and the clocks,
and the forms of the actions the signed-in person may do now.

The forms come from the transition table: `allowed_actions(case, actor)` (the API's
own list, so a technician never sees a desk-only button) and each action's body schema
through service.workspace.case_forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency, get_currency_precision
from flask import g
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from service.attachments.models import AttachmentKind
from service.attachments.service import case_attachments
from service.cases.action_schemas import AssignmentSchema
from service.cases.eligibility import case_eligibility
from service.cases.lifecycle import allowed_actions
from service.cases.models import Case, CaseStatus
from service.cases.transitions import TRANSITIONS, WORKSHOP
from service.contact_log.service import case_contacts
from service.conversations.models import Macro
from service.conversations.outbound import case_messages, deliveries
from service.core import db
from service.notifications.models import NoticeStatus, Notification
from service.quotes.models import QuoteStatus
from service.quotes.service import current_quote
from service.shipments.carriers import CARRIERS
from service.sla.clocks import COMPLETED
from service.staff.models import StaffUser
from service.staff.service import staff_query
from service.storefronts.models import Storefront
from service.surveys.models import SurveyStatus
from service.surveys.schemas import SurveyAnswerSchema
from service.surveys.service import current_survey
from service.workspace.case_forms import (
    ACTION_LABELS,
    CONDITIONS,
    LABELS,
    LINE_KINDS,
    Form,
    choice_label,
    default_currency,
    fields_of,
    label_of,
    line_count,
)
from service.workspace.pages import workspace_actor
from service.workspace.queue import countdown, running_clocks

#: How many of the customer's other cases the page lists.
HISTORY = 20
#: A new quote is valid this long unless the technician says otherwise.
QUOTE_DAYS = 14

EVENT_WORDS = {
    "open": _l("Opened"),
    "contact": _l("Call or contact logged"),
    "assign": _l("Assignment changed"),
    "edit": _l("Details changed"),
    "approve_quote": _l("Quote approved"),
    "decline_quote": _l("Quote declined"),
    "tracking_update": _l("Carrier tracking update"),
    "tracking_flagged": _l("Tracking needs attention"),
    "tracking_flag_cleared": _l("Tracking back to normal"),
    "attach": _l("File attached"),
    "detach": _l("File removed"),
}
#: What an attachment is, in the upload form's choice and the list (the desk's own
#: goods-in photos first: that is what the desk adds most).
ATTACHMENT_KINDS = {
    AttachmentKind.goods_in_photo: _l("Photo of the goods as received"),
    AttachmentKind.damage_photo: _l("Photo of the fault or damage"),
    AttachmentKind.invoice: _l("Invoice or proof of purchase"),
    AttachmentKind.document: _l("Other document"),
}
TRACKING_FLAG_WORDS = {
    "exception": _l("carrier exception"),
    "returned": _l("returned to sender"),
    "expired": _l("tracking expired"),
    "aborted": _l("tracking stopped by the provider"),
    "stalled": _l("no update for days"),
}
QUOTE_WORDS = {
    QuoteStatus.pending: _l("Awaiting the customer"),
    QuoteStatus.approved: _l("Approved"),
    QuoteStatus.declined: _l("Declined"),
    QuoteStatus.superseded: _l("Superseded"),
}
SURVEY_WORDS = {
    SurveyStatus.scheduled: _l("Scheduled"),
    SurveyStatus.sent: _l("Sent to the customer"),
    SurveyStatus.answered: _l("Answered"),
    SurveyStatus.expired: _l("Expired unanswered"),
}


def money(minor: int | None, currency: str) -> str:
    if minor is None:
        return ""
    amount = Decimal(minor).scaleb(-get_currency_precision(currency))
    return format_currency(amount, currency, locale=str(get_locale()))


def history(case: Case) -> list[Case]:
    """The customer's other cases, newest first (within the person's scope)."""
    stmt = (
        select(Case)
        .where(Case.customer_id == case.customer_id, Case.id != case.id)
        .order_by(Case.created_at.desc())
        .limit(HISTORY)
    )
    if g.principal.scope is not None:
        stmt = stmt.where(Case.storefront_id == g.principal.scope)
    return list(db.session().scalars(stmt))


def notices(case: Case) -> list[Notification]:
    return list(
        db.session().scalars(
            select(Notification)
            .where(Notification.case_id == case.id)
            .order_by(Notification.created_at, Notification.id)
        )
    )


def active_staff(case: Case, roles: frozenset | None = None) -> list[StaffUser]:
    """Whom the case may be given to: active staff of its storefront (or of all)."""
    stmt = staff_query(g.principal.scope, {"active": True}).where(
        StaffUser.storefront_id.is_(None) | (StaffUser.storefront_id == case.storefront_id)
    )
    if roles is not None:
        stmt = stmt.where(StaffUser.role.in_(roles))
    return list(db.session().scalars(stmt.order_by(StaffUser.name)))


def action_forms(case: Case, now: datetime) -> list[Form]:
    """A form per action the signed-in person may do now, then the assignment form."""
    actor = workspace_actor()
    forms = [
        Form(action, fields_of(TRANSITIONS[action].body))
        for action in allowed_actions(case, actor, now)
    ]
    forms.append(Form("assign", fields_of(AssignmentSchema)))
    return forms


def follow_up_form(case: Case) -> Form | None:
    """The phone follow-up (回访), while the case's survey can still be answered."""
    survey = current_survey(db.session(), case)
    if survey is None or case.status not in COMPLETED:
        return None
    if survey.status not in (SurveyStatus.scheduled, SurveyStatus.sent):
        return None
    return Form("follow_up", fields_of(SurveyAnswerSchema))


#: service.cases.eligibility's case-level explanations, in the page's language.
ELIGIBILITY_WORDS = {
    "Every item is within its return window.": _l("Every item is within its return window."),
    "Some items are outside their return window; staff will review the request.": _l(
        "Some items are outside their return window; staff will review the request."
    ),
    "Every item is within its return window or warranty.": _l(
        "Every item is within its return window or warranty."
    ),
    "Some items are outside both return window and warranty; staff will review.": _l(
        "Some items are outside both return window and warranty; staff will review."
    ),
    "Every item is in warranty: the repair is free of charge.": _l(
        "Every item is in warranty: the repair is free of charge."
    ),
    "Some items are out of warranty: their repair will be quoted for approval.": _l(
        "Some items are out of warranty: their repair will be quoted for approval."
    ),
    "No item eligibility applies to this kind of case.": _l(
        "No item eligibility applies to this kind of case."
    ),
}


def eligibility(case: Case) -> dict[str, Any]:
    verdict = case_eligibility(case)
    why = str(verdict["explanation"])
    return {**verdict, "explanation": str(ELIGIBILITY_WORDS.get(why, why))}


def notice_state(notice: Notification) -> str:
    """sent / deferred until / suppressed / failed, with the when or the why."""
    when = notice.sent_at or notice.scheduled_for
    if notice.status == NoticeStatus.sent:
        return _("Sent %(when)s", when=format_datetime(when, "short"))
    if notice.status == NoticeStatus.deferred:
        return _("Deferred until %(when)s", when=format_datetime(notice.scheduled_for, "short"))
    if notice.status == NoticeStatus.suppressed:
        return _("Suppressed: %(why)s", why=notice.last_error or "?")
    if notice.status == NoticeStatus.failed:
        return _("Failed: %(why)s", why=notice.last_error or "?")
    return _("Waiting to be sent")


WORDING = {
    "error_label": label_of,
    "field_label": lambda name: str(LABELS.get(name, name)),
    "action_word": lambda action: str(
        EVENT_WORDS.get(action) or ACTION_LABELS.get(action) or action
    ),
    "tracking_flag_word": lambda reason: str(TRACKING_FLAG_WORDS.get(reason, reason)),
    "quote_word": lambda status: str(QUOTE_WORDS.get(status, status.value)),
    "survey_word": lambda status: str(SURVEY_WORDS.get(status, status.value)),
    "notice_state": notice_state,
    "choice_label": choice_label,
    "format_datetime": format_datetime,
    "format_date": format_date,
}


def warranty_words(item: Any) -> str:
    """service.cases.eligibility's explanation, in the page's language."""
    facts = {
        "until": item.warranty_until.isoformat(),
        "months": item.warranty_months,
        "bought": item.purchase_date.isoformat(),
    }
    if item.in_warranty:
        return _(
            "In warranty until %(until)s (%(months)d months from purchase on %(bought)s): "
            "repairs are free of charge.",
            **facts,
        )
    return _(
        "Warranty ended on %(until)s (%(months)d months from purchase on %(bought)s): "
        "repairs are quoted.",
        **facts,
    )


def return_words(item: Any) -> str:
    facts = {"days": item.return_window_days, "until": item.return_until.isoformat()}
    if item.returnable:
        return _("Within the %(days)d-day return window, which ends on %(until)s.", **facts)
    return _("Outside the %(days)d-day return window, which ended on %(until)s.", **facts)


@dataclass
class ItemVerdict:
    item: Any
    warranty: str
    return_window: str


def conversation(case: Case) -> dict[str, Any]:
    """The messages of the case (oldest first, each with its deliveries) and the saved
    replies of its storefront."""
    session = db.session()
    macros = select(Macro).where(Macro.storefront_id == case.storefront_id).order_by(Macro.name)
    return {
        "messages": [(m, deliveries(session, m)) for m in case_messages(session, case)],
        "macros": list(session.scalars(macros)),
    }


def case_context(case: Case, now: datetime, forms: list[Form] | None = None) -> dict[str, Any]:
    """Everything case.html draws. `forms` replaces the fresh form of the same action
    (one that came back with the person's values and the errors)."""
    fresh = action_forms(case, now)
    if forms:
        given = {form.action: form for form in forms}
        fresh = [given.get(form.action, form) for form in fresh]
    follow_up = follow_up_form(case)
    if forms and follow_up is not None:
        follow_up = next((f for f in forms if f.action == "follow_up"), follow_up)
    quote = current_quote(case)
    return {
        "case": case,
        "now": now,
        "storefront": db.session().get(Storefront, case.storefront_id),
        "history": history(case),
        "eligibility": eligibility(case),
        "verdicts": [
            ItemVerdict(item, warranty_words(item), return_words(item)) for item in case.items
        ],
        "forms": fresh,
        "follow_up": follow_up,
        "survey": current_survey(db.session(), case),
        "events": list(case.events),
        "notices": notices(case),
        "contacts": case_contacts(db.session(), case),
        "attachments": case_attachments(db.session(), case),
        "attachment_kinds": [(kind.value, str(label)) for kind, label in ATTACHMENT_KINDS.items()],
        "attachment_kind_word": lambda kind: str(ATTACHMENT_KINDS.get(kind, kind)),
        **conversation(case),
        "quote": quote,
        "clocks": running_clocks(case, now),
        "countdown": countdown,
        "money": money,
        "staff": active_staff(case),
        "technicians": active_staff(case, WORKSHOP),
        "currency": default_currency(case, str(get_locale())),
        "closed": case.status in (CaseStatus.closed, CaseStatus.cancelled),
        "conditions": CONDITIONS,
        "line_kinds": LINE_KINDS,
        "carriers": sorted(CARRIERS.values(), key=lambda carrier: carrier.name.lower()),
        "valid_until_default": (now + timedelta(days=QUOTE_DAYS)).date().isoformat(),
        "blank_lines": max(line_count(form) for form in fresh),
        **WORDING,
    }
