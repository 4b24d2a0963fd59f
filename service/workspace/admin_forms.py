"""Forms of the administration pages. They only collect the fields: the rules are in
the service functions (service.staff.admin, service.storefronts.settings), whose
`ValidationError` is shown on the fields it names (`show_errors`)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from service.cases.models import CaseKind
from service.staff.models import StaffRole
from service.workspace.words import WORDS, word


def role_choices() -> list[tuple[str, str]]:
    return [(role.value, word(role)) for role in StaffRole]


class NewStaffForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=320)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=[], validate_choice=False)
    #: "" works for every storefront.
    storefront_id = SelectField(_l("Storefront"), choices=[], validate_choice=False)
    password = PasswordField(
        _l("Password (empty: generate one)"), validators=[Optional(), Length(max=200)]
    )


class StaffForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=[], validate_choice=False)
    storefront_id = SelectField(_l("Storefront"), choices=[], validate_choice=False)


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token (and perhaps a value)."""

    value = HiddenField()


class NewStorefrontForm(FlaskForm):
    name = StringField(_l("Storefront name"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(_l("Short name (slug)"), validators=[Optional(), Length(max=64)])
    case_prefix = StringField(_l("Case prefix"), validators=[DataRequired(), Length(max=12)])


def _hours(label: Any, low: int, high: int) -> IntegerField:
    return IntegerField(label, validators=[DataRequired(), NumberRange(low, high)])


class SettingsForm(FlaskForm):
    name = StringField(_l("Storefront name"), validators=[DataRequired(), Length(max=200)])
    case_prefix = StringField(_l("Case prefix"), validators=[DataRequired(), Length(max=12)])
    warranty_months = IntegerField(_l("Warranty (months)"), validators=[NumberRange(0, 240)])
    return_window_days = IntegerField(_l("Return window (days)"), validators=[NumberRange(0, 365)])
    first_response_hours = _hours(_l("First response target (hours)"), 1, 720)
    survey_delay_hours = IntegerField(_l("Survey delay (hours)"), validators=[NumberRange(0, 72)])
    quiet_start_hour = IntegerField(_l("Quiet hours from (hour)"), validators=[NumberRange(0, 23)])
    quiet_end_hour = IntegerField(_l("Quiet hours until (hour)"), validators=[NumberRange(0, 23)])
    tax_rate_bp = IntegerField(
        _l("Tax rate (basis points, 1300 = 13 %)"), validators=[NumberRange(0, 10_000)]
    )
    time_zone = StringField(
        _l("Time zone (IANA, e.g. Asia/Shanghai)"), validators=[DataRequired(), Length(max=64)]
    )
    #: Empty: the service's default budgets apply.
    rate_limit_read_per_minute = IntegerField(
        _l("API reads per minute per key (empty: the default)"),
        validators=[Optional(), NumberRange(1, 100_000)],
    )
    rate_limit_write_per_minute = IntegerField(
        _l("API writes per minute per key (empty: the default)"),
        validators=[Optional(), NumberRange(1, 100_000)],
    )
    #: Resolution targets: one optional field per kind (empty: the default applies).
    resolution_default = IntegerField(
        _l("Resolution target, default (hours)"), validators=[Optional(), NumberRange(1, 8760)]
    )


for _kind in CaseKind:
    setattr(
        SettingsForm,
        f"resolution_{_kind.value}",
        IntegerField(
            _l("Resolution target: %(kind)s (hours)", kind=WORDS[_kind]),
            validators=[Optional(), NumberRange(1, 8760)],
        ),
    )

RESOLUTION_KEYS = ("default", *(k.value for k in CaseKind))
SETTINGS_FIELDS = (
    "name",
    "case_prefix",
    "warranty_months",
    "return_window_days",
    "first_response_hours",
    "survey_delay_hours",
    "quiet_start_hour",
    "quiet_end_hour",
    "tax_rate_bp",
    "time_zone",
    "rate_limit_read_per_minute",
    "rate_limit_write_per_minute",
)


def settings_changes(form: SettingsForm) -> dict[str, Any]:
    changes = {name: form[name].data for name in SETTINGS_FIELDS}
    changes["resolution_hours"] = {
        key: form[f"resolution_{key}"].data
        for key in RESOLUTION_KEYS
        if form[f"resolution_{key}"].data is not None
    }
    return changes


def fill_settings(form: SettingsForm, storefront: Any) -> None:
    for name in SETTINGS_FIELDS:
        form[name].data = getattr(storefront, name)
    for key in RESOLUTION_KEYS:
        form[f"resolution_{key}"].data = (storefront.resolution_hours or {}).get(key)


class NewKeyForm(FlaskForm):
    label = StringField(_l("What the key is for"), validators=[Optional(), Length(max=200)])


def show_errors(
    form: FlaskForm, error: ValidationError, aliases: dict[str, str] | None = None
) -> list[str]:
    """Put the service's field errors on the form's fields; the messages of fields the
    form does not have go to the form's own errors (`form.form_errors`) and are returned."""
    left: list[str] = []
    messages = error.messages if isinstance(error.messages, dict) else {"": error.messages}
    for name, problems in messages.items():
        if isinstance(problems, dict):
            # resolution_hours: {"repair": ["..."]}
            for key, inner in problems.items():
                field = form._fields.get(f"resolution_{key}")
                texts = inner if isinstance(inner, list) else [str(inner)]
                if field is not None:
                    field.errors = [*field.errors, *texts]
                else:
                    left.extend(f"{key}: {t}" for t in texts)
            continue
        texts = problems if isinstance(problems, list) else [str(problems)]
        field = form._fields.get((aliases or {}).get(name, name))
        if field is not None:
            field.errors = [*field.errors, *texts]
        else:
            left.extend(f"{name}: {t}" if name else t for t in texts)
    form.form_errors.extend(left)
    return left


class NewWebhookForm(FlaskForm):
    url = StringField(_l("Endpoint URL"), validators=[DataRequired(), Length(max=2000)])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=500)])
    #: Empty: every event type.
    event_types = SelectMultipleField(_l("Event types (none: all)"), choices=[])
