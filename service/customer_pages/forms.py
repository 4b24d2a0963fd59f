"""What the customer pages' forms carry and how what the customer sends is read.

Every form holds a signed field binding it to its case and to the quote or survey it
showed (``<case id>:<quote or survey id>``, signed with the app's secret and a salt per
form). A POST without it, with a forged one, or with one from another case is refused:
only a page we rendered can submit, and a decision always names what the customer saw.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from flask import current_app
from itsdangerous import BadSignature, Signer

from service.surveys.service import ANSWER_FIELDS

QUOTE_FORM: Final = "quote-form"
SURVEY_FORM: Final = "survey-form"
#: The status page's photo upload (bound to the case itself).
PHOTO_FORM: Final = "photo-form"
#: The form field that carries the binding.
BINDING_FIELD: Final = "csrf_token"
#: Same limit as notes through the API.
TEXT_MAX: Final = 2000
RATINGS: Final = frozenset({"1", "2", "3", "4", "5"})

# PostgreSQL refuses NUL in text, and no other control character belongs in a comment.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FormInvalid(Exception):
    """The binding is missing, tampered with, or for another case (403)."""


def _signer(salt: str) -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt=salt)


def bind(salt: str, case_id: uuid.UUID, object_id: uuid.UUID) -> str:
    """The binding field's value for a form showing `object_id` of case `case_id`."""
    return _signer(salt).sign(f"{case_id}:{object_id}").decode()


def bound_id(salt: str, form: Mapping[str, str], case_id: uuid.UUID) -> uuid.UUID:
    """The quote or survey id the form was rendered for; raises FormInvalid."""
    try:
        value = _signer(salt).unsign(form.get(BINDING_FIELD, "")).decode()
        case_part, object_part = value.split(":")
        if uuid.UUID(case_part) != case_id:
            raise FormInvalid
        return uuid.UUID(object_part)
    except (BadSignature, ValueError, UnicodeError) as exc:
        raise FormInvalid from exc


def clean_text(raw: str) -> str | None:
    """Typed text as we store it: one newline style, no control characters; None if blank."""
    text = _CONTROL.sub("", raw.replace("\r\n", "\n").replace("\r", "\n")).strip()
    return text or None


@dataclass
class ReasonForm:
    reason: str | None
    #: The strings key of the error, if any.
    error: str | None = None


def parse_reason(form: Mapping[str, str]) -> ReasonForm:
    """The optional reason given with a decline."""
    reason = clean_text(form.get("reason", ""))
    if reason is not None and len(reason) > TEXT_MAX:
        return ReasonForm(reason, "reason_too_long")
    return ReasonForm(reason)


@dataclass
class SurveyForm:
    #: What the customer sent, to show again beside the errors.
    values: dict[str, str] = field(default_factory=dict)
    #: Field -> strings key of its error.
    errors: dict[str, str] = field(default_factory=dict)
    #: The answers as `record_answer` takes them (complete only without errors).
    answers: dict[str, Any] = field(default_factory=dict)


def parse_survey(form: Mapping[str, str]) -> SurveyForm:
    """Four ratings, each exactly one of 1..5, and an optional comment."""
    parsed = SurveyForm()
    for name in ANSWER_FIELDS:
        value = form.get(name, "").strip()
        parsed.values[name] = value
        if value in RATINGS:
            parsed.answers[name] = int(value)
        else:
            parsed.errors[name] = "error_rating"
    comment = clean_text(form.get("comment", ""))
    parsed.values["comment"] = comment or ""
    if comment is not None and len(comment) > TEXT_MAX:
        parsed.errors["comment"] = "error_comment"
    parsed.answers["comment"] = comment
    return parsed
