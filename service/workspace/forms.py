"""Flask-WTF forms of the workspace pages. Every form carries the CSRF token
(`{{ form.csrf_token }}`); the blueprint refuses any POST without a valid one.

Forms that change a case take their rules from the API's body schemas
(service.cases.action_schemas) rather than restating them: the form collects the
fields, the schema validates them, `perform()` applies them (see service.workspace.actions).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectChoice, SelectField
from wtforms.validators import DataRequired, EqualTo, Length

from service.staff.accounts import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)]
    )
    repeat = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two do not match."))],
    )


class LanguageForm(FlaskForm):
    locale = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class BulkForm(FlaskForm):
    """The queue's bulk action on the ticked cases (each `case` field is `<id>:<version>`)."""

    operation = SelectField(
        _l("With the selected"),
        choices=[SelectChoice("assign", _l("Assign to")), SelectChoice("escalate", _l("Escalate"))],
        validators=[DataRequired()],
    )
    #: Filled per request with the staff one may assign to ("" unassigns).
    assignee = SelectField(_l("Assignee"), choices=[], validate_choice=False)
